"""cargo-nextest's output: which tests it says failed.

nextest prints one status line per test as it ends,

            FAIL [   0.004s] my-crate::it io::tests::reads
      TRY 2 FAIL [   0.004s] (  8/100) my-crate::it io::tests::reads
         SIGSEGV [   0.010s] my-crate::it io::tests::crashes
         TIMEOUT [  60.001s] my-crate io::tests::hangs

and repeats the failing (and flaky) ones after its `Summary [ …] N tests run: …` line. A
failure is named as nextest names it: the binary id and the test, `my-crate::it
io::tests::reads`; `cargo nextest run -E 'binary_id(my-crate::it) & test(=io::tests::reads)'`
takes the two halves (and `cargo nextest run io::tests::reads` the second alone). A test is
failed when the last status nextest gave it is a failure: `TRY 1 FAIL` followed by
`TRY 2 PASS` and `FLAKY 2/2` is a flaky test that passed, not a failure.

The excerpt is the test's captured output: the `--- STDOUT: <binary> <test> ---` and
`--- STDERR: … ---` blocks (older nextest), or the indented `stdout ───`/`stderr ───`
sections under its status line (newer nextest; a form not checked against real output
here); else the status line.
"""

from __future__ import annotations

from collections.abc import Sequence

from bot.core.dialects.base import LONGEST_LINE, MAX_FAILURES, Failure, excerpt, named
from bot.core.lazyre import lazy

_STATUS = lazy(
    r" *(?:TRY \d+ )?([A-Z][A-Z0-9+-]*(?: \+ [A-Z]+| \d+/\d+)?) \[ *(?:\d+(?:\.\d+)?s)? *\] "
    r"(?:\( *\d+/ *\d+\) |\[\d+(?:/\d+)?\] )*(\S+) (\S+)$"
)
_BLOCK = lazy(r"--- (?:TRY \d+ )?STD(?:OUT|ERR): +(\S+) (\S+)(?: \(.*\))? ---$")
_SECTION = lazy(r" +(?:stdout|stderr|output)(?: \(.*\))? ───")
_STARTING = lazy(r" *Starting \d+ tests? across \d+ binar")
_SUMMARY = lazy(r" *Summary \[ *[\d.]+s\] ")
_FAILING = frozenset({"FAIL", "FAIL + LEAK", "LEAK-FAIL", "TIMEOUT", "ABORT", "XFAIL"})
_FAILING_RETRY = frozenset({"FL+LK", "LKFAIL", "TMT"})


def _failing(status: str) -> bool:
    return status in _FAILING or status in _FAILING_RETRY or status.startswith("SIG")


def failures(lines: Sequence[str]) -> list[Failure] | None:
    seen = False
    first: dict[str, int] = {}  # test -> its first failing status line
    last_failed: dict[str, bool] = {}  # test -> whether its latest status is a failure
    output: dict[str, tuple[int, int]] = {}  # test -> its captured output's span
    block: tuple[str, int] | None = None  # the output block being read: test, start
    last_test: str | None = None  # the test of the latest status line

    def end_block(at: int) -> None:
        nonlocal block
        if block is not None:
            test, start = block
            known = output.get(test)
            # STDOUT then STDERR of one test read as one span
            if known is not None and known[1] >= start - 1:
                output[test] = (known[0], at)
            elif known is None:
                output[test] = (start, at)
            block = None

    for i, raw in enumerate(lines):
        if len(raw) > LONGEST_LINE:
            continue
        line = raw.rstrip()
        if line.startswith("--- "):
            match = _BLOCK.match(line)
            if match:
                seen = True
                end_block(i)
                block = (named(f"{match[1]} {match[2]}"), i)
            continue
        if "───" in line:
            if _SECTION.match(line) and last_test is not None:
                if block is None or block[0] != last_test:
                    end_block(i)
                    block = (last_test, i)
                continue
            if line.startswith("────"):
                end_block(i)
                continue
        if "[" in line and "] " in line:
            match = _STATUS.match(line)
            if match:
                seen = True
                end_block(i)
                status, test = match[1], named(f"{match[2]} {match[3]}")
                failing = _failing(status)
                last_failed[test] = failing
                last_test = test if failing else None
                if failing and test not in first and len(first) < MAX_FAILURES:
                    first[test] = i
                continue
            if _SUMMARY.match(line):
                seen = True
                end_block(i)
                last_test = None
                continue
        # The new format's sections are indented: an unindented line ends one.
        if block is not None and line and not line.startswith(" ") and not lines[block[1]].startswith("---"):
            end_block(i)
        if line.lstrip().startswith("Starting ") and _STARTING.match(line):
            seen = True
            last_test = None
        elif line.startswith(("error: test run failed", "------------")):
            end_block(i)
    end_block(len(lines))
    if not seen:
        return None
    result = []
    for test, at in first.items():
        if not last_failed.get(test):
            continue  # passed on a retry: flaky, not failed
        start, end = output.get(test, (at, at + 1))
        while end > start + 1 and not lines[end - 1].strip():
            end -= 1
        result.append(Failure(test, excerpt(lines, start, end)))
    return result
