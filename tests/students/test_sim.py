"""The simulated student: learning curves, prerequisite gates, interference, memory, and
answers that are real strings, right about as often as its competence says."""

from dataclasses import dataclass

import pytest

from students.errors import StudentError
from students.sim import Law, SimStudent, World, wrong


@dataclass(frozen=True)
class P:
    prompt: str
    answer: str


def world(**laws: Law) -> World:
    # prompt "unit:text" -> (unit, text reversed)
    return World(laws, lambda p: (p.split(":")[0], p.split(":")[1][::-1]) if ":" in p else None)


def student(**laws: Law) -> SimStudent:
    s = SimStudent(seed=0)
    s.bind(world(**laws))
    return s


def pairs(unit: str, n: int, tag: str = "t") -> list[P]:
    return [P(f"{unit}:{tag}{i}", f"{tag}{i}"[::-1]) for i in range(n)]


def test_competence_follows_the_curve_and_answers_match_it_on_held_out_prompts():
    s = student(a=Law(scale=100))
    assert s.competence("a") == 0.0
    s.train(pairs("a", 100), seed=0)
    assert s.competence("a") == pytest.approx(1 - 2.718281828 ** -1, abs=1e-6)
    prompts = [f"a:x{i}" for i in range(2000)]
    answers = s.predict(prompts)
    right = sum(a == p.split(":")[1][::-1] for p, a in zip(prompts, answers))
    assert right / 2000 == pytest.approx(s.competence("a"), abs=0.04)
    assert all(a == p.split(":")[1][::-1] or a == wrong(p.split(":")[1][::-1])
               for p, a in zip(prompts, answers))


def test_a_prerequisite_gates_learning_and_a_cap_of_zero_only_memorises():
    s = student(low=Law(scale=100), high=Law(scale=100, prerequisite="low", floor=0.02),
                code=Law(cap=0.0))
    s.train(pairs("high", 300) + pairs("code", 50), seed=0)
    direct = s.competence("high")
    assert direct < 0.06  # 300 examples at a gate of 0.02
    s.reinit()
    s.train(pairs("low", 300), seed=0)
    s.train(pairs("high", 300), seed=1)
    assert s.competence("high") > 0.8 > direct
    s.train(pairs("code", 50), seed=2)
    assert s.predict(["code:t3"]) == ["3t"]  # trained on: memorised
    assert s.competence("code") == 0.0 and s.predict(["code:zz9"]) == [wrong("9zz")]


def test_examples_of_a_rival_erode_a_known_unit_unless_it_is_rehearsed():
    laws = dict(old=Law(start=0.95, scale=100, interferes=("new",), forget=200), new=Law())
    alone, rehearsed = student(**laws), student(**laws)
    assert alone.competence("old") == pytest.approx(0.95)
    alone.train(pairs("new", 400), seed=0)
    rehearsed.train(pairs("new", 400) + pairs("old", 200), seed=0)
    assert alone.competence("old") < 0.4 < rehearsed.competence("old")


def test_predictions_are_reproducible_and_bind_rejects_an_unknown_prerequisite(tmp_path):
    s = student(a=Law(scale=50))
    s.train(pairs("a", 40), seed=0)
    first = s.predict([f"a:q{i}" for i in range(50)])
    s.save(tmp_path / "c")
    s.train(pairs("a", 40, "u"), seed=1)
    s.load(tmp_path / "c")
    assert s.predict([f"a:q{i}" for i in range(50)]) == first
    with pytest.raises(StudentError, match="nowhere"):
        SimStudent().bind(world(a=Law(prerequisite="nowhere")))
