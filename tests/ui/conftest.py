"""Shared fixtures of the app's tests: a generated history, a tiny real run config, a served app."""

from __future__ import annotations

import re
import shutil
import socket
from html.parser import HTMLParser
from pathlib import Path

import pytest

from tests.benches import load_bench

# A run that finishes in seconds on one CPU thread: a small student, few eval items.
TINY_TASK_OPTIONS = {"eval_size": 8, "seed_counts": {"max": 16, "rev": 16, "par": 16, "len": 16}}
TINY_STUDENT_OPTIONS = {"d_model": 32, "layers": 1, "heads": 2, "epochs": 1, "threads": 1}


@pytest.fixture(scope="session")
def generated_db(tmp_path_factory) -> Path:
    """A generated history: 16 runs (uniform, weakest, LLM, Skill-Tree; 4 seeds each),
    5 iterations, 5 skills, 4,000 examples. Tests copy it before writing."""
    path = tmp_path_factory.mktemp("generated") / "history.duckdb"
    load_bench("gen_history").generate(path, runs=16, iterations=5, skills=5, examples=4000)
    return path


@pytest.fixture
def generated_copy(generated_db, tmp_path) -> Path:
    path = tmp_path / "history.duckdb"
    shutil.copy(generated_db, path)
    return path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class _Rows(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.rows: list[list[str]] = []
        self._cell: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        if tag == "tr":
            self.rows.append([])
        elif tag in ("td", "th"):
            self._cell = []

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None:
            self.rows[-1].append("".join(self._cell))
            self._cell = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)


def html_rows(text: str) -> list[list[str]]:
    """The cells of an HTML table, header row first."""
    parser = _Rows()
    parser.feed(text)
    return parser.rows


def html_runs(text: str) -> dict[str, list[str]]:
    """The runs table's rows by run id (each row's ``data-run``), in the table's order."""
    ids = re.findall(r'<tr data-run="([^"]+)"', text)
    return dict(zip(ids, html_rows(text)[1:], strict=True))
