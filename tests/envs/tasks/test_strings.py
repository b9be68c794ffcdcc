"""``strings-v0``: the same contract as ``arith-v0`` over a different family of skills."""

import re

import pytest

from envs.checker import check_task
from envs.tasks.strings import DEFAULT_SKILLS, LETTERS, MAX_DIFFICULTY, SEED_COUNTS, SPECS
from envs.tasks.task import SubskillTask, make
from students.errors import DataError


@pytest.fixture(scope="module")
def task():
    return make("strings-v0")


@pytest.fixture(scope="module")
def every():
    return make("strings-v0", skills=[s.name for s in SPECS])


def test_conforms_with_its_skills_and_a_catalogue_of_subskills(task):
    check_task(task)
    assert isinstance(task, SubskillTask)
    assert len(task.skills) >= 8 and all(s.parent is None for s in task.skills)
    for skill in task.skills:
        subs = task.subskills(skill.name)
        assert len(subs) >= 4 and all(s.parent == skill.name and s.description for s in subs)


@pytest.mark.parametrize("prompt, answer", [
    ("rev abcde=", "edcba"), ("first 2:abcde=", "ab"), ("last 2:abcde=", "de"),
    ("sort dbca=", "abcd"), ("cnt a:cabba=", "2"), ("vow abide=", "3"),
    ("dedup cabba=", "cab"), ("shift 2:abj=", "cdb"), ("pal abba=", "y"), ("pal abca=", "n"),
    ("rot abcd=", "bcda"), ("rotr abcd=", "dabc"), ("swap abcd=", "dbca"), ("dbl abc=", "aabbcc"),
    ("mir abc=", "abccba"), ("alt abcdef=", "ace"),
])
def test_the_oracle_solves_each_skill_from_the_prompt_alone(every, prompt, answer):
    skill = every.skill_of(prompt)
    assert skill == prompt.split()[0] and every.oracle(skill, prompt) == answer


def test_the_default_suite_has_eight_skills_and_the_rest_can_be_chosen(task, every):
    assert [s.name for s in task.skills] == [s for s in (x.name for x in SPECS) if s in DEFAULT_SKILLS]
    assert {"shift", "pal"} <= {s.name for s in every.skills} - {s.name for s in task.skills}
    assert task.skill_of("shift 2:abj=") is None  # not in the default suite


def test_prompts_outside_the_grammar_have_no_oracle(task):
    assert task.oracle("first", "first 7:abc=") is None  # k must be shorter than the word
    assert task.oracle("rev", "rev ABC=") is None and task.skill_of("nope abc=") is None
    assert task.oracle("rev", "rev xyz=") is None  # letters a-j only


def test_splits_are_fixed_disjoint_and_the_seed_set_is_a_head_start(task):
    val, test, seed = task.split("val"), task.split("test"), task.split("seed")
    assert len(val) == len(test) == 50 * len(task.skills)
    assert {i.skill for i in seed} == set(SEED_COUNTS)
    assert not {i.prompt for i in val} & {i.prompt for i in test}
    assert not {i.prompt for i in seed} & {i.prompt for i in (*val, *test)}
    assert make("strings-v0").split("val") == val


def test_subskills_pick_the_generator_setting(task, every):
    # the val/test setting first (rev: 4-letter words), then the nearest ones
    assert [s.name for s in task.subskills("rev")] == ["len4", "len3", "len5", "len6", "len7", "len8"]
    assert "as the val and test items" in task.subskills("rev")[0].description
    for item in task.generate("rev", 20, seed=1, subskill="len7"):
        assert len(re.fullmatch(r"rev ([a-j]+)=", item.prompt)[1]) == 7 and item.subskill == "len7"
    assert {i.prompt.split()[1][0] for i in every.generate("shift", 20, seed=1, subskill="k4")} == {"4"}
    with pytest.raises(DataError, match="unknown subskill"):
        task.generate("rev", 1, seed=1, subskill="len99")
    with pytest.raises(DataError, match="difficulty"):
        task.generate("rev", 1, seed=1, difficulty=MAX_DIFFICULTY + 1)


def test_generated_items_are_right_seeded_fresh_and_fit_the_tiny_student(task):
    for skill in (s.name for s in task.skills):
        items = task.generate(skill, 30, seed=5, difficulty=MAX_DIFFICULTY)
        assert items == task.generate(skill, 30, seed=5, difficulty=MAX_DIFFICULTY)
        assert len({i.prompt for i in items}) == 30 and not any(task.is_heldout(i.prompt) for i in items)
        for item in items:
            assert task.oracle(skill, item.prompt) == item.answer
            assert set(item.prompt) <= set(LETTERS + "0123456789 :=" + skill)
            assert 1 + len(item.prompt) + len(item.answer) + 1 <= 48  # tiny-gpt's max_len


def test_palindromes_are_about_half(every):
    answers = [i.answer for i in every.split("val") if i.skill == "pal"]
    assert 0.3 < answers.count("y") / len(answers) < 0.7


def test_a_chosen_suite_keeps_each_skills_items_and_levels_set_the_word_length(task):
    small = make("strings-v0", skills=["rev", "sort"], levels={"sort": 4})
    assert [s.name for s in small.skills] == ["rev", "sort"]
    assert [i for i in small.split("val") if i.skill == "rev"] == \
        [i for i in task.split("val") if i.skill == "rev"]
    assert {len(i.prompt) for i in small.split("test") if i.skill == "sort"} == {len("sort abcdef=")}
    assert {i.skill for i in small.split("seed")} == {"rev"}  # vow is not chosen
    check_task(small)


@pytest.mark.parametrize("options, message", [
    ({"skills": ["nope"]}, "unknown"), ({"skills": []}, "skills"),
    ({"levels": {"rev": 9}}, "levels"), ({"levels": {"nope": 2}}, "unknown"),
])
def test_a_bad_suite_is_a_data_error(options, message):
    with pytest.raises(DataError, match=message):
        make("strings-v0", **options)
