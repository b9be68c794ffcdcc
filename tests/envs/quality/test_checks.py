"""Quality checks: wrong answers and held-out copies are rejected with their reason."""

from dataclasses import replace

import pytest

from envs.quality.checks import QualityChecker
from envs.records import Example, Item, Skill, Verdict


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
    from students.errors import ConfigError
    with pytest.raises(ConfigError, match="unknown quality check"):
        QualityChecker(AddTask(), checks=("verify", "vibes"))


# -- the full pipeline over a real engine's output ------------------------------------------

from agents.engine import make_engine  # noqa: E402
from envs.quality.checks import KNOWN_REASON  # noqa: E402
from envs.records import Observation, Plan, SkillProfile  # noqa: E402
from envs.tasks.task import make  # noqa: E402


SKILLS = ("rev", "sort", "rot")


def engine_output(task, n=6):
    plan = Plan({skill: n for skill in SKILLS}, "test plan")
    obs = Observation(0, SkillProfile("val", ()), ())
    return make_engine("procedural", task=task).generate(plan, obs, iteration=1, seed=7)


def test_planted_duplicates_copies_and_wrong_answers_are_rejected_with_their_reason_only():
    task = make("strings-v0", eval_size=10, skills=SKILLS)
    clean = engine_output(task)
    test_item, val_item = task.split("test")[3], task.split("val")[12]
    planted = {
        3: (replace(clean[0]), "duplicate of an earlier example"),
        14: (replace(clean[6], prompt=clean[6].prompt.replace(" ", "  ").upper()),
            "duplicate of an earlier example"),  # case and runs of spaces do not count
        5: (replace(clean[1], prompt=clean[1].prompt.replace("=", " =")),
            "near-duplicate of an earlier example"),  # differs only in where spaces are
        8: (replace(clean[2], prompt=test_item.prompt, answer=test_item.answer,
                    skill=test_item.skill), "copies a val/test item"),
        10: (replace(clean[3], prompt=" " + val_item.prompt.replace("=", " ="),
                     answer=val_item.answer, skill=val_item.skill), "near copy of a val/test item"),
        12: (replace(clean[4], answer=clean[4].answer[::-1] + "x"), "wrong answer"),
    }
    examples = list(clean)
    for at, (example, _) in sorted(planted.items()):
        examples.insert(at, example)
    checker = QualityChecker(task, ("verify", "dedup", "decontaminate"))
    verdicts = checker(examples)
    rejected = {i: v.reason for i, v in enumerate(verdicts) if not v.kept}
    assert set(rejected) == set(planted), rejected  # nothing else is rejected
    for at, (_, reason) in planted.items():
        assert rejected[at].startswith(reason), (at, rejected[at])
    # a later batch repeating a kept example is a duplicate within the run
    again = checker([clean[5], engine_output(task)[0]])
    assert [v.reason for v in again] == ["duplicate of an earlier example"] * 2


def test_wrong_answer_check_runs_first_and_rejects_with_the_expected_answer():
    task = make("strings-v0", eval_size=10, skills=SKILLS)
    wrong = replace(engine_output(task)[0], answer="zzz")
    [verdict] = QualityChecker(task)([wrong])
    assert verdict.reason == f"wrong answer: verifier expects {task.oracle('rev', wrong.prompt)!r}"


def test_known_examples_are_dropped_except_the_kept_fraction_and_all_are_judged():
    task = make("strings-v0", eval_size=10, skills=SKILLS)
    examples = engine_output(task, n=10)
    knows = {ex.prompt for ex in examples if ex.skill == "rev"}  # the student knows every rev

    def judge(batch):  # the student's verdict on each example, as the environment supplies it
        return [ex.prompt in knows for ex in batch]

    checker = QualityChecker(task, ("verify", "known"), known_keep=0.3, seed=1)
    verdicts = checker(examples, judge=judge, iteration=1)
    assert all(v.known == (v.example.skill == "rev") for v in verdicts)
    dropped = [v for v in verdicts if not v.kept]
    assert len(dropped) == 7 and all(v.reason == KNOWN_REASON and v.example.skill == "rev"
                                     for v in dropped)
    again = QualityChecker(task, ("verify", "known"), known_keep=0.3, seed=1)(
        examples, judge=judge, iteration=1)
    assert [v.kept for v in again] == [v.kept for v in verdicts]  # a seeded choice


def test_checks_run_in_pipeline_order_whatever_the_config_order():
    task = make("strings-v0", eval_size=10, skills=SKILLS)
    checker = QualityChecker(task, ("known", "decontaminate", "verify", "dedup"))
    assert checker.checks == ("verify", "dedup", "decontaminate", "known")


def test_near_duplicates_of_long_prompts_are_found_by_word_shingles():
    from envs.quality.similarity import NearIndex
    index = NearIndex()
    index.add("Write a function that returns the sum of the two given integers a and b.")
    assert index.match("Write a function that returns the sum of the two given integers a and b!") == "near"
    assert index.match("Write a function that returns the product of the two given integers a and b.") is None
    assert index.match("write a function that returns the sum of the two given integers a and b.") == "exact"


# -- yield and alerts in the history, the report and ``curriculab show`` ---------------------

def test_yield_and_alerts_are_recorded_reported_and_shown(tmp_path, capsys):
    from envs.history import History
    from envs.records import Alert, SkillScore
    from envs.history.report import run_report
    from envs.history.clock import utcnow
    from envs.history.runlog import IterationRecord, RunLog
    from ui.cli import main

    def profile(split, rev, sort):
        return SkillProfile(split, (SkillScore("rev", 10, rev), SkillScore("sort", 10, sort)))

    history = History(tmp_path / "h.duckdb")
    log = RunLog.create(history, "r1", config={}, summary={"task": "strings-v0"}, versions={})
    log.record_iteration(IterationRecord(0, utcnow(), utcnow(), {}, profile("val", 9, 2),
                                         profile("test", 9, 2)))
    ok, dup, wrong = (Example(f"rev {w}=", w[::-1], "rev") for w in ("abc", "abc", "bcd"))
    verdicts = [Verdict(ok, True, known=False), Verdict(dup, False, "duplicate of an earlier example"),
                Verdict(replace(wrong, answer="x"), False, "wrong answer: verifier expects 'dcb'"),
                Verdict(Example("sort ba=", "ab", "sort"), True, known=True)]
    alert = Alert(1, "rev", 0.9, 0, 0.7)
    log.record_iteration(IterationRecord(1, utcnow(), utcnow(), {}, profile("val", 7, 3),
                                         profile("test", 7, 3), verdicts=verdicts, alerts=[alert]))
    report = run_report(history, "r1")
    rev = next(y for y in report["yields"] if y["skill"] == "rev")
    assert (rev["generated"], rev["kept"], rev["yield"]) == (3, 1, round(1 / 3, 4))
    assert rev["rejected"] == {"duplicate of an earlier example": 1, "wrong answer": 1}
    sort = next(y for y in report["yields"] if y["skill"] == "sort")
    assert (sort["known"], sort["judged"]) == (1, 1)
    [summary] = report["alerts"]
    assert summary["skill"] == "rev" and summary["worst_drop"] == pytest.approx(0.2)
    assert history.scalar("SELECT count(*) FROM examples WHERE NOT kept") == 2  # kept, with reasons

    assert main(["show", "r1", "--db", str(tmp_path / "h.duckdb")]) == 0
    out = capsys.readouterr().out
    assert "quality-check yield (kept/generated)" in out and "1/3" in out
    assert "1 duplicate of an earlier example" in out and "forgetting alerts" in out
