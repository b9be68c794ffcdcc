"""Per-skill evaluation of a student on a task split."""

from __future__ import annotations

from collections.abc import Sequence

from envs.records import Answer, Item, SkillProfile, SkillScore
from envs.tasks.task import Task
from students.base import Student


def evaluate(
    student: Student,
    task: Task,
    split: str,
    items: Sequence[Item],
    *,
    previous: SkillProfile | None = None,
    progress: bool = False,
) -> SkillProfile:
    """Ask the student every item; score each with the task's verifier, per skill.

    ``previous`` fills in each skill's change since the last evaluation.
    """
    predictions = student.predict([item.prompt for item in items], progress=progress)
    answers = tuple(
        Answer(item, pred, task.score(item.answer, pred)) for item, pred in zip(items, predictions)
    )
    return SkillProfile(split, score_answers(task, answers, previous), answers)


def score_answers(
    task: Task, answers: Sequence[Answer], previous: SkillProfile | None = None
) -> tuple[SkillScore, ...]:
    """Per-skill counts in the task's skill order (skills without items are left out)."""
    counts: dict[str, list[int]] = {}
    for answer in answers:
        n_correct = counts.setdefault(answer.item.skill, [0, 0])
        n_correct[0] += 1
        n_correct[1] += int(answer.correct)
    before = previous.by_skill() if previous else {}
    scores = []
    for skill in [s.name for s in task.skills if s.parent is None]:
        if skill not in counts:
            continue
        n, correct = counts[skill]
        change = correct / n - before[skill].accuracy if skill in before else None
        scores.append(SkillScore(skill, n, correct, change))
    return tuple(scores)
