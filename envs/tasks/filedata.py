"""Reading prompt/answer rows from JSONL, CSV or Parquet, with errors that say where.

Every problem is a DataError naming the file, the line (or Parquet row) and the column, e.g.
``data.csv line 7, column 'answer': empty value``.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from students.errors import DataError

FORMATS = {".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "jsonl", ".csv": "csv",
           ".parquet": "parquet", ".pq": "parquet"}


@dataclass(frozen=True, slots=True)
class Row:
    """One data row: where it came from and its cell values as text (None when absent)."""

    where: str  # "line 7" or "row 7"
    key: str  # a stable id: "L7" or "R7"
    values: dict[str, str | None]


@dataclass(frozen=True, slots=True)
class Columns:
    prompt: str = "prompt"
    answer: str = "answer"
    skill: str | None = "skill"  # optional: used when present
    split: str | None = "split"  # optional: seed | train | val | test


def read_rows(path: Path, columns: Columns) -> tuple[list[Row], bool]:
    """The rows of ``path`` and whether it has a skill column; DataError on bad data."""
    kind = FORMATS.get(path.suffix.lower())
    if kind is None:
        raise DataError(f"{path}: unknown data format {path.suffix!r} "
                        f"(known: {', '.join(sorted(FORMATS))})")
    if not path.exists():
        raise DataError(f"{path}: no such file")
    reader = {"jsonl": _jsonl, "csv": _csv, "parquet": _parquet}[kind]
    rows = list(reader(path))
    if not rows:
        raise DataError(f"{path}: no data rows")
    has_skill = columns.skill is not None and any(r.values.get(columns.skill) for r in rows)
    for row in rows:
        _require(path, row, columns.prompt)
        _require(path, row, columns.answer)
        if has_skill:
            _require(path, row, columns.skill)  # type: ignore[arg-type]
    return rows, has_skill


def _require(path: Path, row: Row, column: str) -> None:
    if column not in row.values:
        found = ", ".join(repr(c) for c in row.values) or "none"
        raise DataError(f"{path} {row.where}: no column {column!r} (found: {found})")
    value = row.values[column]
    if value is None or not value.strip():
        raise DataError(f"{path} {row.where}, column {column!r}: empty value")


def _cell(path: Path, where: str, column: str, value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise DataError(f"{path} {where}, column {column!r}: expected text or a number, got "
                        f"{type(value).__name__} {str(value)[:40]!r}")
    return value if isinstance(value, str) else str(value)


def _text(path: Path) -> str:
    """The file's text: UTF-8, with or without a byte-order mark (spreadsheets write one)."""
    try:
        raw = path.read_bytes()
    except OSError as e:
        raise DataError(f"{path}: cannot read it ({e.strerror or e})") from e
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        line = raw[:e.start].count(b"\n") + 1
        raise DataError(f"{path} line {line}: not UTF-8 text (byte {raw[e.start]:#04x});"
                        f" save the file as UTF-8") from e


def _jsonl(path: Path) -> Iterator[Row]:
    for n, line in enumerate(_text(path).split("\n"), start=1):  # as the file has them
        if not line.strip():
            continue
        try:
            data = json.loads(line)
        except json.JSONDecodeError as e:
            raise DataError(f"{path} line {n}, column {e.colno}: not valid JSON ({e.msg})") from e
        if not isinstance(data, dict):
            raise DataError(f"{path} line {n}: expected a JSON object, got "
                            f"{type(data).__name__}")
        yield Row(f"line {n}", f"L{n}",
                  {k: _cell(path, f"line {n}", k, v) for k, v in data.items()})


def _csv(path: Path) -> Iterator[Row]:
    with io.StringIO(_text(path), newline="") as f:
        reader = csv.DictReader(f)
        try:
            for record in reader:
                n = reader.line_num
                if None in record:
                    raise DataError(f"{path} line {n}: more cells than header columns")
                yield Row(f"line {n}", f"L{n}", {k: v for k, v in record.items()})
        except csv.Error as e:
            raise DataError(f"{path} line {reader.line_num}: bad CSV ({e})") from e


def _parquet(path: Path) -> Iterator[Row]:
    import pyarrow.parquet as pq

    try:
        table = pq.read_table(path)
    except Exception as e:  # pyarrow raises several types for unreadable files
        raise DataError(f"{path}: not a readable Parquet file ({e})") from e
    for n, record in enumerate(table.to_pylist(), start=1):
        yield Row(f"row {n}", f"R{n}", {k: _cell(path, f"row {n}", k, v) for k, v in record.items()})
