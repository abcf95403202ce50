"""`cargo test`'s output (Rust's libtest harness): which tests it says failed.

A failure is named by its libtest path, `io::tests::reads`, which
`cargo test io::tests::reads -- --exact` runs alone (a doctest keeps libtest's name,
`src/lib.rs - parse (line 12)`). Names come from the result lines
(`test io::tests::reads ... FAILED`, libtest's ` - should panic` mark dropped), the
`---- io::tests::reads stdout ----` blocks and the `failures:` list each test binary
prints at its end, so a log cut anywhere still names what it got to. A log may hold
several binaries (`Running unittests src/lib.rs (…)`, `Running tests/it.rs (…)`, the
doctests); a test failing in two is named once.

The excerpt is the test's `---- … stdout ----` block (its output and the panic message);
with `--nocapture` there is none, and the excerpt is the `thread '…' panicked at` message,
which libtest's thread carries the test's name in.

cargo-nextest runs each test through libtest and echoes that output in its
`--- STDOUT: …` blocks; those lines are nextest's to read (`bot.core.dialects.nextest`),
and skipped here.
"""

from __future__ import annotations

from collections.abc import Sequence

from bot.core.dialects.base import LONGEST_LINE, MAX_FAILURES, Failure, excerpt, named
from bot.core.lazyre import lazy

_RUNNING = lazy(r"running \d+ tests?$")
_RESULT = lazy(r"test result: (?:ok|FAILED)\. \d+ passed; \d+ failed")
_PANIC = lazy(r"thread '([^']+)' (?:\(\d+\) )?panicked at")
_NEXTEST_STATUS = lazy(r" *[A-Z][A-Z0-9 +/-]* \[ *[\d.]+s\] ")


def _test_name(text: str) -> str:
    return text.removesuffix(" - should panic").strip()


def failures(lines: Sequence[str]) -> list[Failure] | None:
    seen = False
    order: dict[str, int] = {}  # test -> the line that first named it
    blocks: dict[str, tuple[int, int]] = {}
    panics: dict[str, tuple[int, int]] = {}
    block: tuple[str, int] | None = None
    panic: tuple[str, int] | None = None
    listing = False  # inside a `failures:` list of names
    nextest = False  # inside a nextest `--- STDOUT:`/`--- STDERR:` echo

    def end_block(at: int) -> None:
        nonlocal block
        if block is not None:
            blocks.setdefault(block[0], (block[1], at))
            block = None

    def end_panic(at: int) -> None:
        nonlocal panic
        if panic is not None:
            panics.setdefault(panic[0], (panic[1], at))
            panic = None

    def note(test: str, at: int) -> None:
        if test and test not in order and len(order) < MAX_FAILURES:
            order[test] = at

    for i, raw in enumerate(lines):
        if len(raw) > LONGEST_LINE:
            continue
        line = raw.rstrip()
        if line.startswith(("--- STDOUT:", "--- STDERR:")):
            nextest = True
            continue
        if nextest:
            if line.startswith("---") or not _NEXTEST_STATUS.match(line):
                continue
            nextest = False
        if listing:
            if line.startswith("    ") and line[4:5] != " ":
                note(named(_test_name(line)), i)
                continue
            if line:
                listing = False
        if line.startswith("test "):
            if line.startswith("test result: ") and _RESULT.match(line):
                seen = True
                end_block(i)
                end_panic(i)
                continue
            name, sep, outcome = line[5:].rpartition(" ... ")
            if sep:
                seen = True
                end_panic(i)
                if outcome == "FAILED":
                    note(named(_test_name(name)), i)
            continue
        if line.startswith("---- ") and line.endswith(" ----"):
            inner = line[5:-5]
            for stream in (" stdout", " stderr"):
                if inner.endswith(stream):
                    end_block(i)
                    end_panic(i)
                    seen = True
                    block = (named(inner.removesuffix(stream)), i)
                    note(block[0], i)
                    break
            continue
        if line == "failures:":
            end_block(i)
            end_panic(i)
            listing = True
            continue
        if line.startswith("thread '"):
            match = _PANIC.match(line)
            if match:
                end_panic(i)
                panic = (named(match[1]), i)
            continue
        if line.startswith("running ") and _RUNNING.match(line):
            seen = True
            end_block(i)
            end_panic(i)
        elif line.lstrip().startswith(("Running ", "Doc-tests ")):
            end_block(i)
            end_panic(i)
    end_block(len(lines))
    end_panic(len(lines))
    if not seen:
        return None
    result = []
    for test, at in order.items():
        span = blocks.get(test) or panics.get(test) or (at, at + 1)
        start, end = span
        while end > start + 1 and not lines[end - 1].strip():
            end -= 1
        result.append(Failure(test, excerpt(lines, start, end)))
    return result
