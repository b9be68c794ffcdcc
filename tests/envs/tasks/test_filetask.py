"""Tasks from JSONL, CSV and Parquet files: splits, verifier, skills, and errors that say where."""

import csv
import json

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from envs.checker import check_task
from envs.tasks.filetask import UNLABELLED, FileTask, same_answer
from envs.tasks.task import make
from students.errors import DataError

ROWS = [{"prompt": f"What is {a} plus {b}?", "answer": str(a + b),
         "skill": "small" if a < 10 else "large"} for a in range(0, 40, 2) for b in (1, 2, 3)]


def write(path, rows, kind=None):
    kind = kind or path.suffix[1:]
    if kind == "jsonl":
        path.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    elif kind == "csv":
        with path.open("w", newline="") as f:
            writer = csv.DictWriter(f, fieldnames=list(rows[0]))
            writer.writeheader()
            writer.writerows(rows)
    else:
        pq.write_table(pa.Table.from_pylist(rows), path)
    return path


def contents(task):
    return {name: sorted((i.prompt, i.answer, i.skill) for i in task.split(name))
            for name in ("seed", "val", "test")}


def test_the_three_formats_give_the_same_task(tmp_path):
    tasks = [make("file", path=str(write(tmp_path / f"d.{k}", ROWS))) for k in ("jsonl", "csv", "parquet")]
    assert contents(tasks[0]) == contents(tasks[1]) == contents(tasks[2])
    for task in tasks:
        check_task(task)
        assert [s.name for s in task.skills] == ["small", "large"] and not task.needs_skills
        assert task.oracle("small", ROWS[0]["prompt"]) is None
    sizes = {name: len(items) for name, items in contents(tasks[0]).items()}
    assert sum(sizes.values()) == len(ROWS) and min(sizes.values()) > 5


def test_a_split_column_is_respected_and_duplicates_never_straddle(tmp_path):
    rows = [{**r, "split": ("train", "val", "test")[i % 3]} for i, r in enumerate(ROWS)]
    task = make("file", path=str(write(tmp_path / "d.jsonl", rows)))
    assert [i.prompt for i in task.split("seed")] == [r["prompt"] for r in rows[0::3]]
    dup = make("file", path=str(write(tmp_path / "dup.jsonl", ROWS + ROWS)))
    for name in ("seed", "val", "test"):
        others = {i.prompt for n in ("seed", "val", "test") if n != name for i in dup.split(n)}
        assert not others & {i.prompt for i in dup.split(name)}


def test_without_a_skill_column_every_item_waits_for_discovery(tmp_path):
    rows = [{"prompt": r["prompt"], "answer": r["answer"]} for r in ROWS]
    task = make("file", path=str(write(tmp_path / "d.csv", rows)))
    assert task.needs_skills and [s.name for s in task.skills] == [UNLABELLED]
    labelled = task.with_skills({i.id: ("odd" if int(i.answer) % 2 else "even") for i in task.items()})
    assert not labelled.needs_skills and {s.name for s in labelled.skills} == {"odd", "even"}
    check_task(labelled)
    with pytest.raises(DataError, match="miss 1 item"):
        task.with_skills({i.id: "x" for i in task.items()[1:]})


@pytest.mark.parametrize("reference, prediction, same", [
    ("Paris", " paris. ", True), ("1,000", "1000.0", True), ("3/4", "0.75", True),
    ("$5", "5", True), ("-2", "-2.000", True), ("42", "24", False), ("a b", "ab", False),
    ("1/0", "1/0", True), ("1/0", "2/0", False),
])
def test_answers_match_normalised_or_by_value(reference, prediction, same):
    assert same_answer(reference, prediction, numeric=True) is same


@pytest.mark.parametrize("reference, prediction", [
    ("0,1,2,5,7", "1257"), ("0,0,1,2,5", "125"), ("1257", "0,1,2,5,7"), ("1,2,3", "123"),
])
def test_commas_outside_a_well_formed_number_are_not_thousands_separators(reference, prediction):
    assert not same_answer(reference, prediction, numeric=True)


def test_list_answers_are_scored_by_exact_match(tmp_path):
    """A file whose answers are not all numbers is scored by exact match only."""
    rows = [{"prompt": f"Sort the digits of {n}", "answer": ",".join(sorted(str(n)))}
            for n in range(10000, 10120)]
    rows[0]["answer"], rows[1]["answer"] = "0,1,2,5,7", "0,0,1,2,5"
    task = make("file", path=str(write(tmp_path / "lists.jsonl", rows)))
    assert not task.score("0,1,2,5,7", "1257") and not task.score("0,0,1,2,5", "125")
    assert not task.numeric and "by value" not in task.description
    assert task.score("0,1,2,5,7", " 0,1,2,5,7. ")
    assert not task.score("10", "10.0")


def test_a_file_of_numbers_is_scored_by_value(tmp_path):
    rows = [{**r, "answer": f"{int(r['answer']) * 1000:,}"} for r in ROWS]
    task = make("file", path=str(write(tmp_path / "numbers.csv", rows)))
    assert task.numeric and "by value" in task.description
    assert task.score("1,000", "1000.0") and not task.score("1,000", "1,001")


def test_bad_json_names_file_line_and_column(tmp_path):
    path = tmp_path / "bad.jsonl"
    path.write_text('{"prompt": "a", "answer": "1"}\n{"prompt": "b", "answer": "2"}\n'
                    '{"prompt": "c", "answer": \n')
    with pytest.raises(DataError, match=r"bad.jsonl line 3, column \d+: not valid JSON"):
        make("file", path=str(path))


@pytest.mark.parametrize("rows, kind, message", [
    ([{"prompt": "a", "answer": "1"}, {"prompt": "b"}], "jsonl",
     r"d.jsonl line 2: no column 'answer' \(found: 'prompt'\)"),
    ([{"prompt": "a", "answer": "1"}, {"prompt": "b", "answer": "2"}, {"prompt": " ", "answer": "3"}],
     "csv", r"d.csv line 4, column 'prompt': empty value"),
    ([{"prompt": "a", "answer": "1"}, {"prompt": "b", "answer": [1, 2]}], "jsonl",
     r"d.jsonl line 2, column 'answer': expected text or a number, got list"),
    ([{"prompt": "a", "answer": "1", "skill": "x"}, {"prompt": "b", "answer": "2", "skill": ""}],
     "parquet", r"d.parquet row 2, column 'skill': empty value"),
    ([{"prompt": "a", "answer": "1", "split": "holdout"}], "jsonl",
     r"d.jsonl line 1, column 'split': unknown split 'holdout'"),
])
def test_bad_rows_name_file_line_and_column(tmp_path, rows, kind, message):
    with pytest.raises(DataError, match=message):
        make("file", path=str(write(tmp_path / f"d.{kind}", rows, kind)))


def test_other_file_problems_are_clear(tmp_path):
    with pytest.raises(DataError, match="unknown data format '.txt'"):
        FileTask(tmp_path / "d.txt")
    with pytest.raises(DataError, match="no such file"):
        FileTask(tmp_path / "missing.jsonl")
    with pytest.raises(DataError, match="too few rows to fill the (val|test) split"):
        FileTask(write(tmp_path / "one.jsonl", ROWS[:1]))
    with pytest.raises(DataError, match="needs a data file"):
        make("file")
    (tmp_path / "broken.parquet").write_bytes(b"not parquet")
    with pytest.raises(DataError, match="broken.parquet: not a readable Parquet file"):
        FileTask(tmp_path / "broken.parquet")
