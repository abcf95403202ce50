"""CTest's console output: which tests of a `ctest` run failed.

CTest prints, for every test, `Start N: name` when it begins and a status line when it
ends:

    1/7 Test #1: io_read ..........................***Failed    0.00 sec
    4/7 Test #4: crash_on_null ....................***Exception: SegFault  0.00 sec

and at the end the list `The following tests FAILED:` with `\\t  1 - io_read (Failed)`.
With `--output-on-failure` a failed test's output follows its status line; with `-V` every
line of a test's output is prefixed `N: ` and comes before its status line; with `-j` the
status lines of parallel tests arrive in the order they finish. A status line is the one
thing CTest always prints for a failure, the final list the thing a log cut short may not
have, so both are read.

A test is named as CTest names it (`ctest -R '^io_read$'` runs it); names may hold spaces
and dots. `***Not Run (Disabled)` and `***Skipped` are not failures (CTest lists them under
"did not run", not "FAILED"); `***Not Run` for a missing executable is.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence

from bot.core.dialects import base
from bot.core.lazyre import lazy

_STATUS = lazy(r"\s*\d+/\d+ Test\s+#(\d+): ")
_START = lazy(r"\s*Start\s+\d+: \S")
_LISTED = lazy(r"\s*\d+ - (.+) \(([^()]*)\)\s*$")
_SUMMARY = lazy(r"\d+% tests passed, \d+ tests? failed out of \d+")
_VERBOSE = lazy(r"(\d+): ")

_NOT_FAILURES = ("Passed", "Not Run (Disabled)", "Skipped")


def _status(line: str) -> tuple[str, str, str] | None:
    """(number, name, result) of a status line; the name is everything before the run of
    dots CTest pads it with (at least three, even when the name overflows the column)."""
    m = _STATUS.match(line)
    if m is None:
        return None
    rest = line[m.end() :]
    cut = rest.find(" ...")
    if cut <= 0:
        return None
    result = rest[cut:].lstrip(" .").strip()
    return m.group(1), rest[:cut], result


def _failed(result: str) -> bool:
    if not result.startswith("***"):
        return False
    word = result[3:]
    return not any(word.startswith(ok) for ok in _NOT_FAILURES)


def _structural(line: str) -> bool:
    """A line CTest itself prints between tests: it ends the output of the test before."""
    return (
        _STATUS.match(line) is not None
        or _START.match(line) is not None
        or _SUMMARY.match(line) is not None
        or line.startswith("The following tests FAILED:")
    )


def failures(lines: Sequence[str]) -> list[base.Failure] | None:
    seen = False
    found: dict[str, tuple[str, ...]] = {}
    # -V output of each running test, by its number: the lines before its status line
    verbose: dict[str, deque[str]] = {}
    in_list = False
    n = len(lines)
    for i, line in enumerate(lines):
        if in_list:
            listed = _LISTED.match(line)
            if listed is not None:
                name = base.named(listed.group(1))
                if name and name not in found and len(found) < base.MAX_FAILURES:
                    found[name] = (line,)
                continue
            in_list = False
        if line.startswith("The following tests FAILED:"):
            seen = in_list = True
            continue
        v = _VERBOSE.match(line)
        if v is not None:
            kept = verbose.get(v.group(1))
            if kept is None:
                if len(verbose) >= 1000:  # a hostile log numbers every line
                    continue
                kept = verbose[v.group(1)] = deque(maxlen=base.EXCERPT_LINES // 2)
            kept.append(line)
            continue
        status = _status(line)
        if status is None:
            if not seen and (_START.match(line) or _SUMMARY.match(line)):
                seen = True
            continue
        seen = True
        number, raw, result = status
        before = list(verbose.pop(number, ()))
        if not _failed(result):
            continue
        name = base.named(raw)
        if not name or name in found or len(found) >= base.MAX_FAILURES:
            continue
        end = i + 1
        while end < n and end - i < base.EXCERPT_LINES * 50 and not _structural(lines[end]):
            end += 1
        while end > i + 1 and not lines[end - 1].strip():
            end -= 1
        found[name] = base.excerpt([*before, *lines[i:end]], 0, len(before) + end - i)
    if not seen:
        return None
    return [base.Failure(test=name, excerpt=text) for name, text in found.items()]
