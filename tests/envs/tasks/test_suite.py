"""The suite options both procedural tasks share: ``skills``, ``levels``, ``seed_counts``."""

import pytest

from envs.tasks.task import make
from students.errors import ConfigError, DataError

SUITES = {"arith-v0": ("rev", "max", "srt"), "strings-v0": ("rev", "vow", "sort")}


@pytest.mark.parametrize("task_id", SUITES)
def test_seed_counts_for_skills_left_out_are_ignored_and_unknown_names_are_errors(task_id):
    chosen, seeded, _ = SUITES[task_id]
    task = make(task_id, eval_size=2, skills=[chosen], seed_counts={chosen: 5, seeded: 5})
    assert [i.skill for i in task.split("seed")] == [chosen] * 5
    with pytest.raises(DataError, match="seed_counts"):
        make(task_id, eval_size=2, skills=[chosen], seed_counts={"nope": 5})


@pytest.mark.parametrize("task_id", SUITES)
def test_levels_are_checked_against_each_skills_range(task_id):
    chosen, _, other = SUITES[task_id]
    with pytest.raises(DataError, match="levels out of range"):
        make(task_id, eval_size=2, skills=[chosen, other], levels={other: 99})
    with pytest.raises(DataError, match="unknown"):
        make(task_id, eval_size=2, levels={"nope": 1})
    with pytest.raises(ConfigError, match="'task.options.eval_size' = 0: expected at least 1"):
        make(task_id, eval_size=0)
