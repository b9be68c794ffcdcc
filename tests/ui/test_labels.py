"""Run names, tags and notes; the command line a run records; progress within a phase."""

import json

import pytest

from envs.history import History, summaries
from envs.history.runlog import RunLog, label_run, readable_name
from students import make_student
from students.errors import ConfigError
from students.progress import listening
from ui.cli import build_parser
from ui.commands import command_line
from ui.views.live import eta_seconds, fraction, status_text
from ui.views.runs import filtered

SUMMARY = {"task": "arith-v0", "level": "skill-list", "policy": "weakest", "engine": "procedural",
           "student": "tiny-gpt", "seed": 3, "iterations": 4, "budget": 20, "checkpoint_dir": "ck"}


def create(history, run_id, **labels):
    log = RunLog.create(history, run_id, config={}, summary={**SUMMARY, **labels}, versions={})
    log.close()
    return log


def test_runs_get_readable_names_and_editable_tags_and_notes(tmp_path):
    history = History(tmp_path / "h.duckdb")
    create(history, "run-a")
    create(history, "run-b", name="  baseline ", tags=["tiny", "a", "tiny", " "])
    runs = summaries.runs(history).set_index("run_id")
    auto = runs.loc["run-a", "name"]
    assert auto == readable_name(1, "run-a") and auto.endswith("-1") and auto.count("-") == 2
    assert runs.loc["run-b", "name"] == "baseline" and json.loads(runs.loc["run-b", "tags"]) == ["a", "tiny"]

    label_run(history, "run-a", name="mine", tags="x, y ,x", notes="lr too high?")
    runs = summaries.runs(history).set_index("run_id")
    assert runs.loc["run-a", ["name", "notes"]].tolist() == ["mine", "lr too high?"]
    assert json.loads(runs.loc["run-a", "tags"]) == ["x", "y"]
    with pytest.raises(ConfigError, match="a run name needs 1 to 80 characters"):
        label_run(history, "run-a", name="   ")
    with pytest.raises(ConfigError, match="no run 'nope'"):
        label_run(history, "nope", notes="x")
    assert summaries.runs(history).set_index("run_id").loc["run-a", "name"] == "mine"  # unharmed

    everything = summaries.runs(history)
    assert list(filtered(everything, "HIGH", "all", "name").run_id) == ["run-a"]  # notes, any case
    assert list(filtered(everything, "baseline", "all", "name").run_id) == ["run-b"]  # a name
    assert list(filtered(everything, "", "all", "name").run_id) == ["run-b", "run-a"]
    assert filtered(everything, "", "completed", "name").empty


def test_the_cli_names_and_tags_a_run_and_records_its_command_without_secrets():
    args = build_parser().parse_args(["run", "--name", "base", "--tag", "a", "--tag", "b"])
    assert args.name == "base" and args.tag == ["a", "b"]
    line = command_line(["/x/curriculab", "run", "--base-url", "http://me:pw@host/v1",
                         "--llm-opt", "api_key=sk-1", "--name", "my run"])
    assert line == "curriculab run --base-url http://***@host/v1 --llm-opt api_key=*** --name 'my run'"


@pytest.mark.slow  # builds and trains a tiny transformer (imports torch and transformers)
def test_a_student_reports_its_training_steps_and_loss_and_the_items_it_answers():
    student = make_student("tiny-gpt", d_model=32, layers=1, heads=2, epochs=1, threads=1, seed=0)
    pairs = [type("P", (), {"prompt": f"{i}+1=", "answer": str(i + 1)})() for i in range(16)]
    heard = []
    with listening(lambda unit, done, total, loss: heard.append((unit, done, total, loss))):
        report = student.train(pairs, seed=0)
        student.predict([p.prompt for p in pairs])
    steps = [h for h in heard if h[0] == "steps"]
    assert [h[1] for h in steps] == list(range(1, report.steps + 1))
    assert all(h[2] == report.steps and h[3] > 0 for h in steps)
    items = [h for h in heard if h[0] == "items"]
    assert items and items[-1][1:3] == (16, 16)
    student.train(pairs[:4], seed=0)  # outside the block nobody hears it
    assert len(heard) == len(steps) + len(items)


def test_live_shows_work_within_a_phase_and_an_eta_that_never_reaches_zero(tmp_path):
    history = History(tmp_path / "h.duckdb")
    log = create(history, "run-live")
    log.set_phase("train", 0, wait=True)
    log.progress("steps", 30, 120, 1.25)
    log.set_phase("train", 0, wait=True, detail={"unit": "steps", "done": 30, "total": 120,
                                                 "seconds": 6.0, "loss": 1.25, "losses": [2.0, 1.25]})
    row, its = summaries.live(history, "run-live")
    assert json.loads(row["phase_detail"])["done"] == 30
    text = status_text(row, its, "here")
    assert "30 / 120 steps, loss 1.250" in text and "about 18 s" in text  # 90 steps at 0.2 s
    assert 0 < fraction(row, its) < 1 / (SUMMARY["iterations"] + 1)
    assert eta_seconds(row, its) == pytest.approx(18.0)
