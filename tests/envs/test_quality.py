"""Quality checks: wrong answers and held-out copies are rejected with their reason."""

from envs.quality import QualityChecker
from envs.records import Example, Item, Skill


class AddTask:
    """A two-skill task small enough to reason about by hand (a test fake of the Task seam)."""

    id = "add-test"
    description = "a+b= -> sum"
    skills = (Skill("add"), Skill("double"))

    def split(self, name):
        return {"seed": (), "val": (Item("v0", "add", "1+1=", "2"),),
                "test": (Item("t0", "add", "2+2=", "4"),)}[name]

    def score(self, reference, prediction):
        return reference.strip() == prediction.strip()

    def oracle(self, skill, prompt):
        a, b = prompt.strip().rstrip("=").split("+")
        return str(int(a) + int(b))


def test_each_planted_fault_is_rejected_with_its_reason_and_nothing_else():
    examples = [
        Example("3+4=", "7", "add"),        # fine
        Example("3+5=", "9", "add"),        # wrong answer
        Example("1+1=", "2", "add"),        # copy of a val item
        Example(" 2+2= ", "4", "add"),      # copy of a test item (whitespace differs)
        Example("5+5=", "", "add"),         # empty answer
        Example("6+1=", "7", "add"),        # fine
        Example("six+1=", "7", "add"),      # not in the task's format
    ]
    verdicts = QualityChecker(AddTask())(examples)
    reasons = [v.reason for v in verdicts]
    assert [v.kept for v in verdicts] == [True, False, False, False, False, True, False]
    assert reasons[1].startswith("wrong answer") and "'8'" in reasons[1]
    assert reasons[2] == reasons[3] == "copies a val/test item"
    assert reasons[4] == "empty prompt or answer"
    assert reasons[6].startswith("prompt not in the task's format")


def test_unknown_check_is_a_config_error():
    import pytest

    from students.errors import ConfigError
    with pytest.raises(ConfigError, match="unknown quality check"):
        QualityChecker(AddTask(), checks=("verify", "vibes"))
