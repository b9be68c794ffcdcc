"""Checkpoint folders written atomically: a run may be SIGKILLed at any moment."""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Callable
from pathlib import Path

from students.errors import StudentError


def write_atomically(directory: Path, write: Callable[[Path], None], *, what: str) -> None:
    """Call ``write(tmp)`` on a fresh sibling folder, then put it in ``directory``'s place.

    A folder cannot be replaced in one step, so an existing one is moved aside first; a reader
    sees the old checkpoint or the new one, never half of one.
    """
    directory = Path(directory)
    directory.parent.mkdir(parents=True, exist_ok=True)
    tmp = directory.with_name(f".{directory.name}.tmp-{uuid.uuid4().hex[:8]}")
    try:
        tmp.mkdir()
        write(tmp)
        _fsync_dir(tmp)
        if directory.exists():
            old = directory.with_name(f".{directory.name}.old-{uuid.uuid4().hex[:8]}")
            directory.rename(old)
            tmp.rename(directory)
            shutil.rmtree(old, ignore_errors=True)
        else:
            tmp.rename(directory)
    except OSError as e:
        raise StudentError(f"could not save {what} to {directory}: {e}") from e
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _fsync_dir(directory: Path) -> None:
    for path in directory.iterdir():
        with open(path, "rb") as f:
            os.fsync(f.fileno())
