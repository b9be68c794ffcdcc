"""champ-v0: packaged problems, concepts as skills, final answers checked after normalisation."""

from __future__ import annotations

import pytest

pytest.importorskip("champ_dataset", reason="champ-v0 needs the 'champ-dataset' package")

from envs.tasks.champ import ChampTask  # noqa: E402
from envs.checker import check_task  # noqa: E402
from envs.tasks.math_answer import equivalent, final_answer  # noqa: E402
from envs.tasks.task import make  # noqa: E402


@pytest.fixture(scope="module")
def task() -> ChampTask:
    return make("champ-v0")


def test_all_270_problems_split_into_fixed_disjoint_halves(task):
    val, test = task.split("val"), task.split("test")
    assert len(val) + len(test) == 270 and task.split("seed") == ()
    assert not {i.id for i in val} & {i.id for i in test}
    assert make("champ-v0").split("test") == test
    check_task(task)


def test_skills_are_concept_areas_with_concepts_as_subskills(task):
    roots = {s.name for s in task.skills if s.parent is None}
    assert roots == {"number_theory", "inequality", "algebra", "combinatorics", "polynomial", "sequence"}
    subskills = {s.name: s.parent for s in task.skills if s.parent is not None}
    assert subskills["mod2"] == "number_theory"
    items = (*task.split("val"), *task.split("test"))
    assert all(i.subskill is None or subskills[i.subskill] == i.skill for i in items)
    for skill in roots:  # every skill is measured on both halves
        assert any(i.skill == skill for i in task.split("val"))
        assert any(i.skill == skill for i in task.split("test"))


def test_every_reference_is_accepted_as_its_own_answer(task):
    items = (*task.split("val"), *task.split("test"))
    assert [i.id for i in items if not task.score(i.answer, i.answer)] == []


@pytest.mark.parametrize("reference, reply", [
    ("239", "The answer is 239."),
    ("C(10, 5), or equivalently 252", "252"),
    ("C(10, 5), or equivalently 252", "\\boxed{C(10,5)}"),
    ("5/14, or approximately 35.7%", "35.7%"),
    ("sqrt(3)/3, or equivalently 1/sqrt(3)", "$\\frac{\\sqrt{3}}{3}$"),
    ("n(n-3)/2", "(n^2 - 3n)/2"),
    ("(2n)!/(2^n*n!)", "(2n)!/(2^n n!)"),
    ("[-1, 1]", "[-1,1]"),
    ("x=2, y=1", "x = 2, y = 1"),
    ("376 and 625", "625 and 376"),
    ("100 (i.e., all values)", "Answer: 100"),
    ("0 is the only possible value", "0"),
    ("The limit exists and is equal to 2/3", "so the limit is\nAnswer: 2/3"),
    ("7", "x = 7"),
    ("No", "No."),
    ("-1/2", "-0.5"),
])
def test_equivalent_answers_are_accepted(reference, reply):
    assert equivalent(reference, reply)


@pytest.mark.parametrize("reference, reply", [
    ("239", "240"),
    ("n(n-3)/2", "n(n-3)"),
    ("n", "n!"),
    ("2^997", "2^996"),
    ("No", "Yes"),
    ("(n-k+3)*2^(n-k-2)", "2"),
    ("0", "x=y=0"),
    ("1", "__import__('os').system('touch /tmp/x')"),
    ("1", "9^9^9^9"),
    ("1", ""),
])
def test_wrong_or_unsafe_answers_are_rejected(reference, reply):
    assert not equivalent(reference, reply)


def test_the_final_answer_is_taken_from_a_boxed_or_answer_line_or_the_last_line():
    assert final_answer("so \\boxed{\\frac{1}{2}} done") == "(1)/(2)"
    assert final_answer("work\nThe final answer is 12.") == "12"
    assert final_answer("work\n\n  42  \n") == "42"


def test_a_slice_keeps_every_skill():
    small = make("champ-v0", limit=12)
    assert len(small.split("val")) == 12
    assert len({i.skill for i in small.split("val")}) == 6
