"""A ``-v0`` suite is frozen: its default splits are pinned, so a change to them must come as a
new version id (``arith-v1``), never as a silent change to results recorded under the old one."""

import hashlib

import pytest

from envs.tasks.task import TASKS, ProceduralTask, Task, make
from students.errors import CurriculabError

# sha256 over (split, id, prompt, answer, skill) of every item of seed, val and test, made with
# the default options.
PINNED = {
    "arith-v0": "d10b2fa1e802f90a77d78cb83c8fb72ecaf0f228f43340e6b17d8c8de33082ec",
    "strings-v0": "36f906089c93b9f05980c732a9084b4863fc14d5d0ca5ccdce2b4858e1d72abe",
}


def fingerprint(task: Task) -> str:
    digest = hashlib.sha256()
    for split in ("seed", "val", "test"):
        for item in task.split(split):
            digest.update("\x1f".join((split, item.id, item.prompt, item.answer, item.skill)).encode())
            digest.update(b"\n")
    return digest.hexdigest()


def builtin_procedural_v0() -> list[str]:
    """The ``-v0`` ids of this project's procedural tasks (tasks that need data or arguments
    they lack are not procedural suites, and are left out)."""
    found = []
    for task_id in TASKS.ids():
        if not task_id.endswith("-v0"):
            continue
        try:
            task = make(task_id)
        except (CurriculabError, TypeError):
            continue
        if isinstance(task, ProceduralTask) and type(task).__module__.startswith("envs."):
            found.append(task_id)
    return found


def test_every_builtin_procedural_suite_is_pinned():
    assert sorted(builtin_procedural_v0()) == sorted(PINNED), (
        "pin the default splits of each built-in procedural -v0 task in PINNED")


@pytest.mark.parametrize("task_id", sorted(PINNED))
def test_a_frozen_suite_keeps_its_default_splits(task_id):
    assert fingerprint(make(task_id)) == PINNED[task_id], (
        f"the default splits of {task_id} changed. A -v0 suite is frozen: results recorded under "
        f"{task_id} must stay comparable. Register the changed suite under a new version id "
        f"(e.g. {task_id[:-1]}1) and leave {task_id} as it was.")
