"""A steered run driven through the app's API: the person's edited plan is exactly what the
engine generated, and the edit is in the history.

The app is served on a fresh history; a run with steering on is started through
``gradio_client`` (``/start_run``); at each plan the bench edits the table (moves the budget
onto two skills, adds a note) and approves it (``/approve_plan``). Afterwards it compares, per
iteration and skill, the approved counts with the examples the engine made, and reads the
plans' ``edited_by``, the teacher's proposal and the notes back. Prints one JSON object.

    python bench/ui_steer.py
"""

from __future__ import annotations

import json
import socket
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from envs.history.database import History  # noqa: E402
from envs.level import Level  # noqa: E402
from ui.app import build_app  # noqa: E402
from ui.launcher import Launcher  # noqa: E402

ITERATIONS, BUDGET = 3, 30
TASK = {"eval_size": 8, "seed_counts": {"max": 16, "rev": 16, "par": 16, "len": 16}}
STUDENT = {"d_model": 32, "layers": 1, "heads": 2, "epochs": 1, "threads": 1}


def edit(table: dict, iteration: int) -> list[list]:
    """The person's edit: everything on the first skill and the fourth, nothing elsewhere."""
    rows = [[skill, sub, 0] for skill, sub, _ in table["data"]]
    rows[0][2], rows[3][2] = 10 + iteration, 5 * iteration
    return rows


def main() -> None:
    from gradio_client import Client

    with tempfile.TemporaryDirectory() as folder:
        history = History(Path(folder) / "history.duckdb")
        runner = Launcher(history, checkpoint_dir=Path(folder) / "ck")
        app = build_app(history, runner, poll_s=0.5)
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        app.launch(server_port=port, prevent_thread_lock=True, quiet=True)
        try:
            client = Client(app.local_url, verbose=False)
            result = steer(client, history, runner)
        finally:
            runner.shutdown()
            app.close()
    print(json.dumps(result, indent=1))


def steer(client, history: History, runner: Launcher) -> dict:
    form = ["arith-v0", json.dumps(TASK), Level.SKILL_LIST.value, "weakest", "procedural", "tiny-gpt",
            json.dumps(STUDENT), "", "", BUDGET, ITERATIONS, 0, True]
    *_, menu, _ = client.predict(*form, api_name="/start_run")
    run_id = menu["value"]
    approved, proposed = {}, {}
    for _ in range(ITERATIONS):
        table, key = _waiting(client, run_id)
        iteration = int(key.split("@")[1])
        proposed[iteration] = {r[0]: r[2] for r in table["data"]}
        rows = edit(table, iteration)
        approved[iteration] = {r[0]: r[2] for r in rows if r[2]}
        client.predict(key, {"headers": ["skill", "subskill", "count"], "data": rows},
                       f"person's note {iteration}", api_name="/approve_plan")
    runner.wait(run_id, 600)
    made = {}
    for iteration, skill, n in history.rows(
            "SELECT iteration, skill, count(*) FROM examples WHERE run_id = ? GROUP BY ALL", [run_id]):
        made.setdefault(iteration, {})[skill] = n
    plans = history.rows('SELECT iteration, edited_by, "values" FROM plans WHERE run_id = ?'
                         " ORDER BY iteration", [run_id])
    recorded = {i: {"edited_by": by, "proposed": json.loads(v)["proposed"], "notes": json.loads(v)["notes"]}
                for i, by, v in plans}
    return {
        "run_id": run_id, "status": history.scalar("SELECT status FROM runs WHERE run_id = ?", [run_id]),
        "iterations": {i: {"teacher_proposed": proposed[i], "person_approved": approved[i],
                           "engine_generated": made.get(i, {}), "recorded": recorded.get(i)}
                       for i in sorted(approved)},
        "counts_match": all(made.get(i) == approved[i] for i in approved),
        "edits_recorded": all(recorded.get(i, {}).get("edited_by") == "person"
                              and recorded[i]["proposed"] == proposed[i] for i in approved),
    }


def _waiting(client, run_id: str, timeout: float = 300.0) -> tuple[dict, str]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        _status, table, _reasoning, key = client.predict("", api_name="/poll_steer")
        if key.startswith(run_id + "@"):
            return table, key
        time.sleep(0.2)
    raise TimeoutError(f"no plan of {run_id} waited for approval within {timeout:.0f} s")


if __name__ == "__main__":
    main()
