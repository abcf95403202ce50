"""Jest's output: which tests it says failed.

Jest prints a `FAIL src/io.test.js` line per failing test file (` FAIL  src/io.test.js` once
its coloured badge is stripped), then one `● Suite › test` block per failed test: the
assertion, the diff, the code frame and the stack. It closes with `Test Suites: 1 failed,
…` and `Tests: 1 failed, 4 passed, 5 total`.

A failure is named `src/io.test.js › Suite › test`: the file and the `●` title as Jest
prints them. The file pastes into `jest src/io.test.js`, and the title, its ` › ` read as
spaces, into `-t "Suite test"`; the file is kept because two files often hold tests of
the same title. A file that failed before any test ran (`● Test suite failed to run`: a
syntax error, a missing module) is named by the file alone. With `--verbose` the
`✕ test (3 ms)` lines under their describe names name the same tests, which is what is
left when a log is cut before the `●` blocks.

Vitest also prints `FAIL` lines, but always with more after the file (` > test`, or
`[ file ]`), and its totals read `Test Files`/`Tests  … (N)`: neither is read here.
"""

from __future__ import annotations

from collections.abc import Sequence

from bot.core.dialects.base import LONGEST_LINE, MAX_FAILURES, Failure, excerpt, named
from bot.core.lazyre import lazy

_FILE = lazy(r" ?(FAIL|PASS) {1,2}([^\s>]*[./][^\s>]*)(?: \(\d+(?:\.\d+)? m?s\))?$")
_TOTALS = lazy(r"(?:Test Suites|Tests): +(?:\d+ \w+, )*\d+ total")
_TIME = lazy(r" \(\d+(?:\.\d+)? m?s\)$")
_SUITE_FAILED = "Test suite failed to run"


def failures(lines: Sequence[str]) -> list[Failure] | None:
    seen = False
    found: dict[str, tuple[int, int]] = {}
    from_list: set[str] = set()  # named by a `✕` line, with no block yet
    current: str | None = None  # the FAIL file being reported
    block: tuple[str, int] | None = None
    suites: list[str] = []  # describe names above the `--verbose` line being read

    def end_block(at: int) -> None:
        nonlocal block
        if block is not None:
            test, start = block
            while at > start + 1 and not lines[at - 1].strip():
                at -= 1
            if test not in found or test in from_list:
                if test in found or len(found) < MAX_FAILURES:
                    found[test] = (start, at)
                from_list.discard(test)
            block = None

    for i, raw in enumerate(lines):
        if len(raw) > LONGEST_LINE:
            continue
        line = raw.rstrip()
        if line.startswith(("FAIL", "PASS", " FAIL", " PASS")):
            match = _FILE.match(line)
            if match:
                seen = True
                end_block(i)
                current = match[2] if match[1] == "FAIL" else None
                suites.clear()
            continue
        if current is None:
            if line.startswith(("Test Suites:", "Tests:")) and _TOTALS.match(line):
                seen = True
            continue
        body = line.lstrip(" ")
        if body.startswith("● "):
            title = body[2:].strip()
            if title == "Console" or line.startswith("    "):
                continue  # console output of the file, or a nested `●` inside a message
            end_block(i)
            test = current if title == _SUITE_FAILED else f"{current} › {title}"
            block = (named(test), i)
            continue
        if line.startswith(("Test Suites:", "Tests:", "Summary of all failing tests")):
            end_block(i)
            if _TOTALS.match(line):
                seen = True
            current = None
            continue
        if block is None and body and body is not line:
            # `--verbose`: describe names and `✓`/`✕` results, indented by depth
            depth = (len(line) - len(body)) // 2 - 1
            if depth < 0:
                continue
            del suites[depth:]
            if body.startswith("✕ "):
                title = " › ".join([*suites, _TIME.sub("", body[2:]).strip()])
                test = named(f"{current} › {title}")
                if test not in found and len(found) < MAX_FAILURES:
                    found[test] = (i, i + 1)
                    from_list.add(test)
            elif not body.startswith(("✓ ", "○ ", "✎ ")):
                suites.extend([""] * (depth - len(suites)))
                suites.append(body)
    end_block(len(lines))
    if not seen:
        return None
    return [Failure(test, excerpt(lines, *span)) for test, span in found.items()]
