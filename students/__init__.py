"""Models that learn. Knows nothing of teachers or databases."""

from students.base import Pair, Student, TrainReport
from students.errors import CurriculabError
from students.registry import Registry

STUDENTS: Registry[Student] = Registry("student")


def make_student(id: str, **kwargs) -> Student:
    """Build a registered student, e.g. ``make_student("tiny-gpt", seed=0)``."""
    _load_builtins()
    return STUDENTS.make(id, **kwargs)


def _load_builtins() -> None:
    # Imported lazily so that `import students` stays cheap and optional extras stay optional.
    import students.hf  # noqa: F401  (cheap: transformers, peft and accelerate load on use)
    import students.tiny_gpt  # noqa: F401


__all__ = ["STUDENTS", "CurriculabError", "Pair", "Student", "TrainReport", "make_student"]
