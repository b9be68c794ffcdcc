"""tiny-gpt refuses a task whose items it cannot hold (context, answer length, charset), with
one message naming the options that would fit, before a run records anything."""

import pytest

from agents.config import RunConfig, StudentConfig, TaskConfig, TeacherConfig
from agents.runner import start_run
from envs.history import History
from envs.records import Item
from students import make_student
from students.errors import StudentError

SMALL = {"d_model": 32, "layers": 1, "heads": 2, "epochs": 1, "threads": 1}


def item(prompt: str, answer: str) -> Item:
    return Item("x", "s", prompt, answer)


def test_items_within_the_limits_fit():
    student = make_student("tiny-gpt", **SMALL)
    student.check_fits([item("p" * 34, "a" * 12)], source="task t")  # 1 + 34 + 12 + 1 = 48


@pytest.mark.parametrize("prompt, answer, says", [
    ("p" * 35, "a" * 12, "max_len=49"),  # one character more context than 48
    ("2+2=", "a" * 13, "max_new_tokens=13"),  # an answer longer than 12
    ("what is π?", "3", "'π'"),
])
def test_an_item_past_a_limit_is_refused_with_the_options_that_fit(prompt, answer, says):
    student = make_student("tiny-gpt", **SMALL)
    with pytest.raises(StudentError, match="task t") as refused:
        student.check_fits([item("2+2=", "4"), item(prompt, answer)], source="task t")
    assert says in str(refused.value) and "\n" not in str(refused.value)


def test_a_run_on_a_task_the_student_cannot_hold_is_refused_before_it_is_recorded(tmp_path):
    """strings-v0 has answers of up to 6 characters: a student that writes 3 scored 0 on them."""
    history = History(tmp_path / "h.duckdb")
    config = RunConfig(
        task=TaskConfig("strings-v0", {"eval_size": 4, "seed_counts": {"rev": 20, "first": 20}}),
        student=StudentConfig("tiny-gpt", {**SMALL, "max_new_tokens": 3}),
        teacher=TeacherConfig(budget=20), iterations=1, checkpoint_dir=str(tmp_path / "ckpt"))
    with pytest.raises(StudentError, match=r"max_new_tokens=3 answer characters \(longest answer 6\)"):
        start_run(config, history, progress=False, run_id="r")
    history.ensure()
    assert history.scalar("SELECT count(*) FROM runs") == 0
