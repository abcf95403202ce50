"""Splitting fixes into review suggestions (inside the PR's diff) and the rest, exactly."""

from __future__ import annotations

from datetime import date

import pytest

from bot.core.config import Policy
from bot.core.edits import Edit
from bot.core.fixes import plan
from bot.core.hunks import Hunk, file_hunks, hunks, split
from bot.core.purpose import PURPOSES
from tests.conftest import CORPUS

TODAY = date(2026, 11, 28)
PAIRS = [("before-to-after.patch", "after"), ("after-to-optional.patch", "optional")]


def new_side_blocks(diff: str) -> dict[str, list[set[int]]]:
    """Independent oracle: walk the patch line by line and collect each hunk's new-side lines."""
    blocks: dict[str, list[set[int]]] = {}
    path = None
    line = 0
    current: set[int] | None = None
    for text in diff.splitlines():
        if text.startswith("+++ "):
            path = text[6:]
            blocks.setdefault(path, [])
        elif text.startswith("@@"):
            line = int(text.split("+")[1].split(",")[0].split(" ")[0])
            current = set()
            assert path is not None
            blocks[path].append(current)
        elif current is not None and text[:1] in (" ", "+"):
            current.add(line)
            line += 1
    return blocks


@pytest.mark.parametrize(("patch", "state"), PAIRS)
def test_split_matches_the_patch_exactly(patch: str, state: str) -> None:
    diff = (CORPUS / "ipfs_kit_py" / patch).read_text(encoding="utf-8")
    parsed = file_hunks(diff)
    oracle = new_side_blocks(diff)
    assert {path: [set(range(h.start, h.end + 1)) for h in found] for path, found in parsed.items()} == oracle
    files = {
        f".github/workflows/{path.name}": path.read_text(encoding="utf-8")
        for path in sorted((CORPUS / "ipfs_kit_py" / state).glob("*.yml"))
    }
    # Judge every purpose: the PR's hunks are mostly lint and security jobs, which the
    # default policy leaves alone, and this test needs edits inside hunks too.
    plans = plan(files, Policy(judge=PURPOSES), TODAY)
    inside_total = outside_total = 0
    for item in plans:
        inside, outside = split(item.edits, parsed.get(item.path, []))
        assert sorted(inside + outside) == sorted(item.edits)
        for edit in inside:
            lines = set(range(edit.start, edit.end + 1))
            assert any(lines <= block for block in oracle[item.path])
        for edit in outside:
            lines = set(range(edit.start, edit.end + 1))
            assert not any(lines <= block for block in oracle.get(item.path, []))
        inside_total += len(inside)
        outside_total += len(outside)
    # Both kinds occur on the real PRs: the test exercises both branches.
    assert inside_total > 0 and outside_total > 0


def test_hunk_headers_and_bodies() -> None:
    patch = "@@ -1,2 +1,3 @@\n a\n+b\n c\n@@ -10 +11 @@\n-x\n+y\n@@ -20,2 +21,0 @@\n-p\n-q\n"
    assert hunks(patch) == [Hunk(1, 3), Hunk(11, 11)]


def test_added_lines_that_look_like_headers_are_content() -> None:
    diff = (
        "diff --git a/x.yml b/x.yml\n--- a/x.yml\n+++ b/x.yml\n@@ -1,1 +1,3 @@\n a\n"
        "+++ b/evil.yml\n+@@ -1 +100,50 @@\n"
    )
    assert file_hunks(diff) == {"x.yml": [Hunk(1, 3)]}


def test_an_edit_must_fit_in_one_hunk() -> None:
    found = [Hunk(1, 5), Hunk(6, 9)]
    inside, outside = split([Edit(2, 4, ""), Edit(5, 6, ""), Edit(9, 9, ""), Edit(10, 10, "")], found)
    assert inside == [Edit(2, 4, ""), Edit(9, 9, "")]
    assert outside == [Edit(5, 6, ""), Edit(10, 10, "")]
