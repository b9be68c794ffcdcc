"""Conformance checker for students (like Gymnasium's ``check_env``)."""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path

from students.base import Student, TrainReport


@dataclass(frozen=True, slots=True)
class _Pair:
    prompt: str
    answer: str


PAIRS = [_Pair("ab=", "ba"), _Pair("abc=", "cba"), _Pair("xy=", "yx"), _Pair("q=", "q")]


def check_student(student: Student) -> None:
    """Raise AssertionError naming the first broken part of the Student contract."""
    assert isinstance(student, Student), "does not implement the Student protocol"
    prompts = [p.prompt for p in PAIRS]
    before = student.predict(prompts)
    assert isinstance(before, list) and len(before) == len(prompts), "predict: one answer per prompt"
    assert all(isinstance(a, str) for a in before), "predict must return strings"
    assert student.predict([]) == [], "predict([]) must return []"
    report = student.train(PAIRS, seed=0)
    assert isinstance(report, TrainReport) and report.examples == len(PAIRS), "train: TrainReport"
    trained = student.predict(prompts)
    with tempfile.TemporaryDirectory() as tmp:
        student.save(Path(tmp) / "ckpt")
        student.train(PAIRS, seed=1)
        student.load(Path(tmp) / "ckpt")
        assert student.predict(prompts) == trained, "load must restore what save wrote"
    student.reinit()
    assert student.predict(prompts) == before, "reinit must restore the initial weights"
