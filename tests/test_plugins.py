"""A user's own task on every surface: one in a separately installed package (found by its
entry point, with no flag) and one in a plain module named by ``--plugin``, each through
``curriculab run``, ``--resume``, the app's Errors view and ``bench/teaching.py``. Both are
the README's "Add your own task" code, so the README's example is what is tested. Also the
registry's rules: built-ins once, the same place may register again, a broken plug-in is one
line."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from envs.checker import check_task
from envs.tasks.task import TASKS, make
from students.errors import ConfigError, RegistryError
from students.plugins import load_plugins
from students.registry import Registry

ROOT = Path(__file__).resolve().parents[1]
TINY = ["--budget", "40", "--student-opt", "d_model=32", "--student-opt", "layers=1",
        "--student-opt", "heads=2", "--student-opt", "epochs=1", "--student-opt", "threads=1"]


def readme_task(task_id: str) -> str:
    """The task module of the README's "Add your own task", registering ``task_id``."""
    section = (ROOT / "README.md").read_text().split("## Add your own task", 1)[1]
    code = section.split("\n## ", 1)[0].split("```python\n", 1)[1].split("```", 1)[0]
    return code.replace('"lists-v0"', f'"{task_id}"')


def install(site: Path, package: str, entry_points: str, code: str = "") -> None:
    """What pip writes for a package: the module and a dist-info with its entry points."""
    (site / package).mkdir(parents=True, exist_ok=True)
    (site / package / "__init__.py").write_text(code)
    info = site / f"{package}-0.1.dist-info"
    info.mkdir(exist_ok=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {package}\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text(entry_points)


@dataclass(frozen=True)
class Way:
    """One way a user's task gets in: its id, the flags that name it, where it runs from."""

    task: str
    flags: tuple[str, ...]
    cwd: Path
    env: dict[str, str]


@pytest.fixture(scope="module")
def world(tmp_path_factory) -> dict[str, Way]:
    root = tmp_path_factory.mktemp("plugins")
    site, work = root / "site", root / "work"
    install(site, "userlists", "[curriculab.tasks]\nuserlists = userlists\n",
            readme_task("userlists-v0"))
    work.mkdir()
    (work / "my_tasks.py").write_text(readme_task("lists-v0"))
    base = {**os.environ, "PYTHONUNBUFFERED": "1"}
    with_site = {**base, "PYTHONPATH": f"{site}{os.pathsep}{ROOT}"}
    return {"installed": Way("userlists-v0", (), root, with_site),
            "module": Way("lists-v0", ("--plugin", "my_tasks"), work,
                          {**base, "PYTHONPATH": str(ROOT)})}


def curriculab() -> list[str]:
    """The console script as a user runs it: it does not put the current directory on
    ``sys.path``, which is why ``--plugin`` has to."""
    script = shutil.which("curriculab", path=str(Path(sys.executable).parent))
    return [script] if script else [sys.executable, "-m", "ui.cli"]


def cli(way: Way, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([*curriculab(), *args], cwd=way.cwd, env=way.env, capture_output=True,
                          text=True, timeout=600)


def run_killed_after_iteration_1(way: Way, db: Path) -> str:
    """Start a run of the way's task and SIGKILL it once iteration 1 is recorded: a run
    stopped early (the test that it resumes exactly is tests/agents/test_resume.py)."""
    from envs.history import History

    log = db.parent / f"{way.task}.log"  # progress bars: a file, not a pipe that could fill
    with log.open("w") as stderr:
        proc = subprocess.Popen([*curriculab(), "run", "--task", way.task, *way.flags, *TINY,
                                 "--iterations", "6", "--db", str(db), "--checkpoints",
                                 str(db.parent / "ck")], cwd=way.cwd, env=way.env,
                                stdout=subprocess.PIPE, stderr=stderr, text=True)
        for line in proc.stdout:  # one line per iteration, printed once it is in the history
            if line.startswith("iteration 1/"):
                proc.send_signal(signal.SIGKILL)
                break
        proc.wait(timeout=60)
    assert proc.returncode == -signal.SIGKILL, log.read_text()[-2000:]
    return History(db).scalar("SELECT run_id FROM runs WHERE task = ?", [way.task])


@pytest.fixture(scope="module")
def history_db(world, tmp_path_factory) -> tuple[Path, dict[str, str]]:
    """One history holding a stopped run of each way's task, then resumed to the end."""
    db = tmp_path_factory.mktemp("history") / "history.duckdb"
    return db, {name: run_killed_after_iteration_1(way, db) for name, way in world.items()}


@pytest.mark.slow
@pytest.mark.parametrize("name", ["installed", "module"])
def test_a_plugin_task_runs_and_resumes(world, history_db, name):
    from envs.history import History
    from envs.history.queries import last_iteration, run_row

    db, run_ids = history_db
    run_id = run_ids[name]
    assert last_iteration(History(db), run_id) == 1
    done = cli(world[name], "run", "--resume", run_id, "--db", str(db), "--quiet")
    assert done.returncode == 0, done.stderr[-2000:]
    row = run_row(History(db), run_id)
    assert row["status"] == "completed" and last_iteration(History(db), run_id) == 6
    assert row["config"]["task"]["id"] == world[name].task
    assert row["config"]["plugins"] == (["my_tasks"] if name == "module" else [])


@pytest.mark.slow
def test_the_app_shows_the_wrong_answers_of_plugin_tasks(world, history_db, tmp_path):
    """`curriculab ui --plugin my_tasks`, with the installed package on the path: the Errors
    view fills prompts and right answers from the task, so it must know both."""
    from gradio_client import Client

    db, run_ids = history_db
    way = world["module"]
    env = {**way.env, "PYTHONPATH": world["installed"].env["PYTHONPATH"]}
    log = tmp_path / "app.log"
    with log.open("w") as stderr:
        app = subprocess.Popen([*curriculab(), "ui", "--no-browser", "--port", str(_free_port()),
                                "--db", str(db), *way.flags], cwd=way.cwd, env=env,
                               stdout=subprocess.PIPE, stderr=stderr, text=True)
    try:
        url = _served_url(app, log)
        client = Client(url, verbose=False)
        for name, skill in (("installed", "first"), ("module", "last")):
            wrong = client.predict(run_ids[name], "val", "0", skill, api_name="/list_wrong_answers")
            prompts = [row[1] for row in wrong["data"]]
            assert prompts and all(p.startswith(f"{skill} ") for p in prompts), (name, wrong)
    finally:
        app.terminate()
        app.wait(timeout=30)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _served_url(app: subprocess.Popen, log: Path) -> str:
    for line in app.stdout:
        if found := re.search(r"(http://\S+)", line):
            return found.group(1).rstrip("/")
    raise AssertionError(f"the app did not start: {log.read_text()[-2000:]}")


@pytest.mark.slow
@pytest.mark.parametrize("name", ["installed", "module"])
def test_the_teaching_benchmark_runs_a_plugin_task(world, tmp_path, name):
    way = world[name]
    done = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "teaching.py"), "--quick", "--profiles", way.task,
         "--students", "tiny-gpt", "--levels", "skill-list", "--policies", "uniform",
         "--workers", "1", "--out", str(tmp_path), *way.flags],
        cwd=way.cwd, env=way.env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    profiles = json.loads(done.stdout)["profiles"]
    assert list(profiles) == [way.task]
    assert list(profiles[way.task]["students"]["tiny-gpt"]["policies"]) == ["uniform"]


# -- in one process: the README's task, plug-in loading, the registry's rules -------------

def test_the_readme_task_passes_the_task_checker(world):
    recorded = load_plugins([str(world["module"].cwd / "my_tasks.py")])
    assert recorded == (str(world["module"].cwd / "my_tasks.py"),)  # absolute, for resume
    check_task(make("lists-v0"))
    assert load_plugins(["my_tasks"]) == ("my_tasks",)  # the same module: nothing new


def test_a_config_file_names_its_plugins(tmp_path):
    from agents.config import RunConfig

    (tmp_path / "run.toml").write_text('plugins = ["my_tasks"]\n[task]\nid = "lists-v0"\n')
    assert RunConfig.from_file(tmp_path / "run.toml").plugins == ("my_tasks",)


def test_a_relative_plugin_file_is_recorded_by_its_absolute_path(tmp_path, monkeypatch):
    (tmp_path / "relative_plugin.py").write_text("VALUE = 1\n")
    monkeypatch.chdir(tmp_path)
    assert load_plugins(["relative_plugin.py"]) == (str(tmp_path / "relative_plugin.py"),)


@pytest.mark.parametrize("code, message", [
    (None, "plug-in 'absent_plugin': no module 'absent_plugin'"),
    ("import absent_dependency\n", "ModuleNotFoundError: No module named 'absent_dependency'"),
    ("raise ValueError('bad\\nsecond line')\n", "failed to import: ValueError: bad"),
    ("from envs.tasks.task import TASKS\n@TASKS.register('arith-v0')\nclass Mine: ...\n",
     "task id 'arith-v0' is registered twice: by envs.tasks.arith."),
])
def test_a_broken_plugin_is_one_line_naming_it(tmp_path, monkeypatch, code, message):
    monkeypatch.chdir(tmp_path)
    if code is not None:
        (tmp_path / "absent_plugin.py").write_text(code)
    TASKS.ids()  # the built-ins first: the duplicate is then found when the plug-in registers
    with pytest.raises(ConfigError) as e:
        load_plugins(["absent_plugin"])
    assert message in str(e.value) and "\n" not in str(e.value)
    sys.modules.pop("absent_plugin", None)


def test_a_missing_plugin_file_is_one_line():
    with pytest.raises(ConfigError, match="no such file"):
        load_plugins(["/nowhere/my_tasks.py"])


def test_the_same_place_registers_again_and_another_place_is_named():
    registry: Registry = Registry("thing")
    cell = "@registry.register('one')\ndef make_one():\n    return 1\n"
    for _ in range(2):  # a notebook cell run twice
        exec(cell, {"registry": registry, "__name__": "__main__"})
    assert registry.make("one") == 1
    with pytest.raises(RegistryError, match=r"registered twice: by __main__\.make_one and by "
                                            r"elsewhere\.make_one"):
        exec(cell, {"registry": registry, "__name__": "elsewhere"})


def test_entry_points_load_once_and_a_broken_one_is_one_line(tmp_path, monkeypatch):
    install(tmp_path, "echo_plugin", "[curriculab.test-echo]\necho = echo_plugin:Echo\n",
            "class Echo:\n    pass\n")
    install(tmp_path, "broken_plugin", "[curriculab.test-broken]\nbroken = broken_plugin\n",
            "import absent_dependency\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    echo = Registry("thing", builtins=("json",), group="curriculab.test-echo")
    assert echo.ids() == ["echo"] and "echo" in echo  # a factory is registered by its name
    assert type(echo.make("echo")).__name__ == "Echo"
    broken = Registry("thing", group="curriculab.test-broken")
    for _ in range(2):  # every time it is asked, not a half-filled registry the second time
        with pytest.raises(RegistryError) as e:
            broken.ids()
        where = "plug-in 'broken' (broken_plugin, entry point in curriculab.test-broken)"
        assert where in str(e.value)
        assert "absent_dependency" in str(e.value) and "\n" not in str(e.value)
    for module in ("echo_plugin", "broken_plugin"):
        sys.modules.pop(module, None)


def test_a_run_started_in_the_app_records_the_apps_plugins(tmp_path):
    """`curriculab ui --plugin F` hands its plug-ins to the runner, so a run started from the
    form records them and resuming it (here or from the command line) imports them again."""
    from agents.config import RunConfig
    from envs.history import History
    from envs.history.queries import run_row
    from ui.launcher import Launcher

    plugin = tmp_path / "app_tasks.py"
    plugin.write_text(readme_task("applists-v0"))
    history = History(tmp_path / "history.duckdb")
    launcher = Launcher(history, checkpoint_dir=tmp_path / "ck", plugins=load_plugins([str(plugin)]))
    config = RunConfig.from_dict({
        "task": {"id": "applists-v0"}, "iterations": 1, "teacher": {"budget": 20},
        "student": {"options": {"d_model": 16, "layers": 1, "heads": 2, "epochs": 1}}})
    run_id = launcher.start(config)
    assert launcher.wait(run_id, timeout=120)
    row = run_row(history, run_id)
    assert row["status"] == "completed", launcher.error(run_id)
    assert row["config"]["plugins"] == [str(plugin)]
