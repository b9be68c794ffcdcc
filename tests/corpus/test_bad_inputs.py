"""Every case of ``bad_inputs.toml`` through the real command line (``ui.cli.main``, a few
through a real ``python -m ui.cli`` process) or the app's real Start handler: exit code 2 (or
the app's message), one line naming the flag, key, file or field, no traceback, and the
history it was pointed at unchanged: the same bytes, or else the same rows per table and the
same ``show --json``. A history that did not exist is not created."""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import shutil
import socket
import subprocess
import sys
import tomllib
from pathlib import Path

import duckdb
import pytest

from tests.corpus import makers

ROOT = Path(__file__).resolve().parents[2]
CASES = tomllib.loads((Path(__file__).parent / "bad_inputs.toml").read_text())["case"]
CATEGORIES = ("cli", "config", "data", "history", "llm", "app")

# The good history every case is pointed at (a copy): one real run, as small as runs go.
GOOD_RUN = {
    "task": {"id": "arith-v0", "options": {"skills": ["add", "rev"], "eval_size": 4,
                                           "seed_counts": {"add": 8, "rev": 8}}},
    "student": {"id": "tiny-gpt", "options": {"d_model": 16, "layers": 1, "heads": 2,
                                               "epochs": 1, "threads": 1}},
    "teacher": {"budget": 8}, "iterations": 1,
}


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]  # closed once the socket is


@pytest.fixture(scope="module")
def good(tmp_path_factory):
    """A history holding one completed run, its id, and what must stay: rows per table and
    the run's ``show --json``."""
    from ui.cli import main

    home = tmp_path_factory.mktemp("good")
    (home / "run.json").write_text(json.dumps(GOOD_RUN))
    db = home / "good.duckdb"
    with contextlib.redirect_stdout(io.StringIO()):
        assert main(["run", "--config", str(home / "run.json"), "--quiet", "--db", str(db),
                     "--checkpoints", str(home / "ck")]) == 0
    run_id = duckdb.connect(str(db), read_only=True).execute("SELECT run_id FROM runs").fetchone()[0]
    return {"db": db, "run": run_id, "ck": home / "ck", "state": state(db, run_id)}


def state(db: Path, run_id: str) -> tuple[dict[str, int], str]:
    from ui.cli import main

    con = duckdb.connect(str(db), read_only=True)
    try:
        tables = [t for (t,) in con.execute(
            "SELECT table_name FROM duckdb_tables() WHERE NOT internal ORDER BY 1").fetchall()]
        counts = {t: con.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0] for t in tables}
    finally:
        con.close()
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert main(["show", run_id, "--json", "--db", str(db)]) == 0
    return counts, out.getvalue()


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else "-"


def fill(value, names: dict[str, str]):
    if isinstance(value, str):  # only the names: JSON's own braces stay
        for name, text in names.items():
            value = value.replace("{" + name + "}", text)
        return value
    if isinstance(value, list):
        return [fill(v, names) for v in value]
    if isinstance(value, dict):
        return {k: fill(v, names) for k, v in value.items()}
    return value


def run_cli(argv: list[str], subprocess_: bool) -> tuple[int, str]:
    from ui.cli import main

    if subprocess_:
        proc = subprocess.run([sys.executable, "-m", "ui.cli", *argv], capture_output=True,
                              text=True, cwd=ROOT, timeout=300,
                              env={**os.environ, "PYTHONPATH": str(ROOT)})
        return proc.returncode, proc.stderr
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        try:
            code = main(argv)
        except SystemExit as e:
            code = e.code
    return code, err.getvalue()


def run_form(db: Path, ck: Path, form: dict) -> tuple[int, str]:
    """The app's Start button: its handler, bound as the app binds it."""
    import gradio as gr

    from envs.history import History
    from ui.handlers import Deps, bind
    from ui.launcher import Launcher
    from ui.views.run_form import form_defaults
    from ui.views.runs import start_run

    history = History(db)
    launcher = Launcher(history, checkpoint_dir=ck)
    fields = {**form_defaults(), "task_options": "{}", "student_options": "{}",
              "llm_base_url": "", "llm_model": "", "steer": False, **form}
    order = ["task", "task_options", "level", "policy", "engine", "student", "student_options",
             "llm_base_url", "llm_model", "budget", "iterations", "seed", "steer"]
    try:
        bind(start_run, Deps(history, launcher))(**{k: fields[k] for k in order})
    except gr.Error as e:
        return 2, str(e.message) + "\n"
    finally:
        launcher.shutdown(timeout=60)
    return 0, ""


def test_the_corpus_is_large_and_covers_every_category():
    ids = [c["id"] for c in CASES]
    assert len(ids) == len(set(ids)), "case ids repeat"
    assert len(CASES) >= 150
    assert {c["category"] for c in CASES} == set(CATEGORIES)


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_bad_input_is_one_line_exit_2_and_the_history_is_unchanged(case, good, tmp_path):
    if case.get("skip_root") and os.geteuid() == 0:
        pytest.skip("root reads a file whatever its mode")
    db = tmp_path / "h.duckdb"
    shutil.copy(good["db"], db)
    names = {"db": str(db), "tmp": str(tmp_path), "run": good["run"], "ck": str(tmp_path / "ck"),
             "missing": str(tmp_path / "none" / "h.duckdb"), "nodb": str(tmp_path / "new.duckdb"),
             "closed": f"http://127.0.0.1:{closed_port()}/v1"}
    for name, text in case.get("files", {}).items():
        (tmp_path / name).write_text(fill(text, names), encoding="utf-8")
    for name, kind in case.get("make", {}).items():
        makers.make(kind, tmp_path / name, good["db"])
    target = Path(fill(case.get("history", "{db}"), names))
    before = digest(target), target.exists()
    if case["category"] == "app":
        code, err = run_form(target, tmp_path / "ck", fill(case["form"], names))
    else:
        code, err = run_cli(fill(case["argv"], names), case.get("subprocess", False))
    lines = err.strip().splitlines()
    assert code == 2, f"exit {code}: {err[-1500:]}"
    assert len(lines) == 1, err[-1500:]
    assert "Traceback" not in err
    for expected in ([case["expect"]] if isinstance(case["expect"], str) else case["expect"]):
        assert fill(expected, names).lower() in lines[0].lower(), lines[0]
    assert target.exists() == before[1], f"{target} created"
    if before[1] and digest(target) != before[0]:
        assert target == db, f"{target} changed"
        assert state(db, good["run"]) == good["state"], "the history changed"


def test_a_csv_file_starting_with_a_utf8_bom_is_read(tmp_path):
    from envs.tasks import make

    path = tmp_path / "bom.csv"
    path.write_bytes("\ufeffprompt,answer,skill\n1+1=,2,add\n2+2=,4,add\n3+1=,4,add\n4+1=,5,add\n"
                     .encode("utf-8"))
    task = make("file", path=str(path))
    assert [s.name for s in task.skills] == ["add"]
    assert {i.prompt for n in ("seed", "val", "test") for i in task.split(n)} <= {
        "1+1=", "2+2=", "3+1=", "4+1="}
