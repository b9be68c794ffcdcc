"""The README shows the house: its file tree names every tracked file, each with one whole
comment, and its quick start is the Makefile's."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LINE = re.compile(r"^(?P<path>\S+)\s+# (?P<comment>.+)$")


def tree() -> dict[str, str]:
    """The README's file tree: path -> comment."""
    section = (ROOT / "README.md").read_text().split("\n## Files\n", 1)[1]
    block = section.split("```\n", 1)[1].split("```", 1)[0]
    entries = {}
    for line in block.splitlines():
        match = LINE.match(line)
        assert match, f"a file-tree line without '<path>  # <comment>': {line!r}"
        entries[match["path"]] = match["comment"]
    return entries


def tracked() -> set[str]:
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        pytest.skip("not a git checkout")
    out = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True)
    return set(out.stdout.split())


def test_the_file_tree_names_every_tracked_file_and_nothing_else():
    listed, files = set(tree()), tracked()
    assert not files - listed, f"missing from the README's file tree: {sorted(files - listed)}"
    assert not listed - files, f"in the README's file tree but not tracked: {sorted(listed - files)}"


def test_every_comment_in_the_file_tree_is_whole():
    cut = {path: comment for path, comment in tree().items()
           if not comment.rstrip().endswith((".", "!", "?")) or comment.count("`") % 2
           or comment.count("(") != comment.count(")")}
    assert not cut, f"comments cut short or unbalanced: {cut}"


def test_the_quick_start_is_two_make_targets_that_exist():
    readme = (ROOT / "README.md").read_text()
    makefile = (ROOT / "Makefile").read_text()
    for target in ("demo", "test"):
        assert f"make {target}" in readme
        assert re.search(rf"^{target}:", makefile, re.M), f"the Makefile has no {target} target"
