"""pytest's output: which tests it says failed or errored.

Names are pytest's node ids (`tests/test_io.py::TestA::test_b[x-y]`), which `pytest <id>`
takes as they are. They come from the short test summary (`FAILED <id> - msg`, `ERROR <id>
- msg`, printed by default since pytest 6) and from the verbose result lines (`<id> FAILED
[ 11%]` with `-v`, `[gw0] [ 18%] FAILED <id>` under pytest-xdist), in the order first seen.

The excerpt is the test's report section, from its `____ TestA.test_b ____` header to the
next header: the traceback and the `E   assert …` lines. A header carries only the test's
name inside its module, so a section is matched to an id by that name (`ERROR at setup of
…` for errors). When a log holds sections but no id at all (`-rN`, or a log cut before the
summary), each section names its test from its header and the first `path.py:N:` location
in its traceback, which is the test's own file.
"""

from __future__ import annotations

from collections.abc import Sequence

from bot.core.dialects.base import LONGEST_LINE, MAX_FAILURES, Failure, excerpt, named
from bot.core.lazyre import lazy

_VERBOSE = lazy(r"(\S+) (FAILED|ERROR)(?: |$)")
_XDIST = lazy(r"\[gw\d+\] \[ *\d+%\] (FAILED|ERROR) (\S+)")
_STATS = lazy(
    r"=* ?(?:\d+ (?:failed|passed|errors?|skipped|xfailed|xpassed|deselected|warnings?|rerun)"
    r"|no tests ran)\b[^=]* in \d+(?:\.\d+)?s\b"
)
_RULES = ("test session starts", "short test summary info", " FAILURES ", " ERRORS ")
_LOCATION = lazy(r"(\S+\.py):\d+: ")


def _is_id(nodeid: str) -> bool:
    path, sep, _ = nodeid.partition("::")
    if not path or " " in path:
        return False
    return bool(sep) or path.endswith(".py")


def _summary_id(rest: str) -> str:
    """The node id of a summary line's remainder (`<id> - message` or `<id>`): a
    parametrized id may itself hold spaces and ` - `, so it runs to its closing bracket."""
    dash = rest.find(" - ")
    bracket = rest.find("[")
    if bracket != -1 and (dash == -1 or bracket < dash):
        close = rest.find("] - ", bracket)
        return rest if close == -1 else rest[: close + 1]
    return rest if dash == -1 else rest[:dash]


def _header(line: str) -> str | None:
    """The title of a `____ title ____` section header; None for anything else, such as
    the `_ _ _ _` line between traceback entries."""
    if len(line) < 5 or not line.startswith("_") or not line.endswith("_"):
        return None
    title = line.strip("_").strip()
    if not title or not title.strip("_ "):
        return None
    return title


def _note(ids: dict[str, int], errors: set[str], nodeid: str, at: int, error: bool) -> None:
    """Keeps where a test was first named, and whether that was as an error (a test that
    failed and then errored in teardown is read as the failure it first was)."""
    if nodeid not in ids:
        ids[nodeid] = at
        if error:
            errors.add(nodeid)


def _inner(nodeid: str) -> str:
    """The name a section header gives a node id: its parts after the file, joined by dots."""
    parts = nodeid.split("::")
    return ".".join(parts[1:]) if len(parts) > 1 else parts[0]


def failures(lines: Sequence[str]) -> list[Failure] | None:
    seen = False  # pytest's own output is somewhere in the lines
    ids: dict[str, int] = {}  # node id -> line that first named it
    errors: set[str] = set()
    sections: dict[str, list[tuple[int, int]]] = {}
    order: list[tuple[str, int]] = []  # (title, start) of every section, in order
    open_title: str | None = None
    open_start = 0

    def close(at: int) -> None:
        nonlocal open_title
        if open_title is not None:
            sections.setdefault(open_title, []).append((open_start, at))
            order.append((open_title, open_start))
            open_title = None

    for i, raw in enumerate(lines):
        if len(raw) > LONGEST_LINE:
            continue
        line = raw.rstrip()
        if line.startswith("="):
            close(i)
            if any(mark in line for mark in _RULES) or _STATS.match(line):
                seen = True
            continue
        title = _header(line)
        if title is not None:
            close(i)
            open_title, open_start = title, i
            continue
        if line.startswith(("FAILED ", "ERROR ")):
            word, _, rest = line.partition(" ")
            nodeid = _summary_id(rest.strip())
            if _is_id(nodeid):
                seen = True
                _note(ids, errors, nodeid, i, word == "ERROR")
            continue
        if line.startswith("[gw"):
            match = _XDIST.match(line)
            if match and _is_id(match[2]):
                seen = True
                _note(ids, errors, match[2], i, match[1] == "ERROR")
            continue
        if "::" in line and ("FAILED" in line or "ERROR" in line):
            match = _VERBOSE.match(line)
            if match and _is_id(match[1]):
                seen = True
                _note(ids, errors, match[1], i, match[2] == "ERROR")
            continue
        if line.startswith("platform ") and "pytest-" in line:
            seen = True
        elif _STATS.match(line):
            seen = True  # `-q` prints the closing counts without the `=` rule
    close(len(lines))
    if not seen:
        return None

    used: dict[str, int] = {}  # title -> sections of that title handed out so far

    def take(title: str) -> tuple[int, int] | None:
        found = sections.get(title)
        if not found or used.get(title, 0) >= len(found):
            return None
        used[title] = used.get(title, 0) + 1
        return found[used[title] - 1]

    result: list[Failure] = []
    names: set[str] = set()
    for nodeid, at in ids.items():
        if len(result) >= MAX_FAILURES:
            return result
        inner = _inner(nodeid)
        titles = [inner, f"ERROR at setup of {inner}", f"ERROR at teardown of {inner}"]
        if nodeid in errors:
            titles = [*titles[1:], f"ERROR collecting {nodeid}", inner]
        span = None
        for title in titles:
            span = take(title)
            if span is not None:
                break
        name = named(nodeid)
        if name not in names:
            names.add(name)
            result.append(Failure(name, excerpt(lines, *(span or (at, at + 1)))))

    # Sections no id claimed: the log said which test failed only in the header.
    for title, start in order:
        if len(result) >= MAX_FAILURES:
            break
        spans = sections[title]
        if used.get(title, 0) >= len(spans):
            continue
        used[title] = used.get(title, 0) + 1
        end = spans[used[title] - 1][1]
        name = named(_from_header(title, lines, start, end))
        if name not in names:
            names.add(name)
            result.append(Failure(name, excerpt(lines, start, end)))
    return result


def _from_header(title: str, lines: Sequence[str], start: int, end: int) -> str:
    for prefix in ("ERROR at setup of ", "ERROR at teardown of "):
        if title.startswith(prefix):
            title = title[len(prefix) :]
    if title.startswith("ERROR collecting "):
        return title[len("ERROR collecting ") :]
    path = None
    for line in lines[start:end]:
        if len(line) <= LONGEST_LINE and (match := _LOCATION.match(line)):
            path = match[1]
            break
    if path is None:
        return title
    base, bracket, param = title.partition("[")
    return f"{path}::{base.replace('.', '::')}{bracket}{param}"
