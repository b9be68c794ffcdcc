"""Files the bad-input corpus points commands at, made by kind: bytes no reader accepts,
a directory where a file belongs, a link that loops, a history from a newer version."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import duckdb

GARBAGE = bytes(range(256)) * 8


def make(kind: str, path: Path, good: Path) -> None:
    """Make ``path`` as ``kind``; ``good`` is a good history to derive histories from."""
    if kind == "garbage":
        path.write_bytes(GARBAGE)
    elif kind == "latin1":  # a CSV or JSONL in latin-1: é is byte 0xe9, no UTF-8
        text = ('{"prompt": "caf\u00e9=", "answer": "x"}\n' if path.suffix == ".jsonl"
                else "prompt,answer\ncaf\u00e9=,x\n")
        path.write_bytes(text.encode("latin-1"))
    elif kind == "utf16":
        path.write_text("iterations = 2\n", encoding="utf-16")
    elif kind == "empty":
        path.write_bytes(b"")
    elif kind == "dir":
        path.mkdir()
    elif kind == "loop":  # reading it fails for root too: too many levels of links
        os.symlink(path.name, path)
    elif kind == "unreadable":
        path.write_text("prompt,answer\n1+1=,2\n")
        path.chmod(0)
    elif kind == "truncated":
        data = good.read_bytes()
        path.write_bytes(data[: len(data) // 3])
    elif kind == "newer":
        shutil.copy(good, path)
        con = duckdb.connect(str(path))
        con.execute("INSERT INTO _migrations (number, name) VALUES (999, 'from a newer version')")
        con.close()
    elif kind == "foreign":
        con = duckdb.connect(str(path))
        con.execute("CREATE TABLE accounts (id INTEGER, owner VARCHAR)")
        con.close()
    elif kind == "sqlite":
        import sqlite3

        con = sqlite3.connect(path)
        con.execute("CREATE TABLE t (x)")
        con.commit()
        con.close()
    else:
        raise ValueError(f"no maker for {kind!r}")
