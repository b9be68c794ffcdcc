"""Every registered student passes the student checker the moment it is registered.

A new student needs an entry in OPTIONS (small options that keep the check fast); a student
without one fails here, so no plug-in goes untested.
"""

import pytest

from students import STUDENTS, make_student
from students.checker import check_student
from students.errors import RegistryError


def hf_options(tmp_path_factory) -> dict:
    from tests.students.test_hf import build_tiny_llama
    return {"model": str(build_tiny_llama(tmp_path_factory.mktemp("tiny-llama"))), "epochs": 3,
            "device": "cpu", "max_new_tokens": 6, "max_length": 64}


OPTIONS = {
    "tiny-gpt": lambda _: {"d_model": 32, "layers": 1, "epochs": 30, "lr": 1e-2,
                             "max_new_tokens": 6},
    "hf": hf_options,
    "sim": lambda _: {},
}


@pytest.mark.parametrize("student_id", STUDENTS.ids())
def test_registered_student_conforms(student_id, tmp_path_factory):
    assert student_id in OPTIONS, f"add test options for student {student_id!r} to OPTIONS"
    check_student(make_student(student_id, seed=0, **OPTIONS[student_id](tmp_path_factory)))


def test_unknown_student_lists_the_known_ones():
    with pytest.raises(RegistryError, match="tiny-gpt"):
        make_student("giant-gpt")
