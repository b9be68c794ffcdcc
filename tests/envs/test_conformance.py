"""Every registered task passes the task checker, the moment it is registered."""

import pytest

from envs.checker import check_task
from envs.tasks.task import TASKS, make
from students.errors import DataError


@pytest.mark.parametrize("task_id", TASKS.ids())
def test_registered_task_conforms(task_id):
    try:
        task = make(task_id)
    except DataError as e:  # a task over an optional data package that is not installed
        pytest.skip(str(e))
    check_task(task)


def test_unknown_task_lists_the_known_ones():
    from students.errors import RegistryError
    with pytest.raises(RegistryError, match="arith-v0"):
        make("nope-v0")
