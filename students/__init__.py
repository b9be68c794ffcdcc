"""Models that learn. Knows nothing of teachers or databases."""

from students.base import Pair, Student, TrainReport
from students.errors import CurriculabError
from students.registry import Registry

# The built-ins are imported on first use, so that `import students` stays cheap (torch loads
# with tiny_gpt; transformers, peft and accelerate load only when `hf` is used).
STUDENTS: Registry[Student] = Registry(
    "student", builtins=("students.hf", "students.sim", "students.tiny_gpt"),
    group="curriculab.students")


def make_student(id: str, /, **kwargs) -> Student:
    """Build a registered student, e.g. ``make_student("tiny-gpt", seed=0)``."""
    return STUDENTS.make(id, **kwargs)


__all__ = ["STUDENTS", "CurriculabError", "Pair", "Student", "TrainReport", "make_student"]
