"""`dotnet test`'s console output: which tests failed.

Two loggers print results. VSTest's console logger (`dotnet test` up to .NET 9, and with
`--logger console`) prints a failed test as

      Failed Io.Tests.ReadsEmpty [12 ms]
      Error Message:
       Assert.Equal() Failure …
      Stack Trace:
         at Io.Tests.ReadsEmpty() in /src/Io.Tests/IoTests.cs:line 12

and per test assembly `Failed!  - Failed:     1, Passed:     4, … - Io.Tests.dll (net8.0)`
(`Passed!  - …` when none failed). Microsoft.Testing.Platform's terminal output (the
`dotnet test` of .NET 10) prints `failed Io.Tests.ReadsEmpty (12ms)`, its message and
stack indented under it. When a solution's test projects run in parallel their blocks
interleave, but each block is printed whole.

A test is named as the logger prints it with an argument list dropped:
`Io.Tests.Reads(value: 1)` is `Io.Tests.Reads`, what
`dotnet test --filter "FullyQualifiedName=Io.Tests.Reads"` takes. xUnit prints the fully
qualified name; NUnit and MSTest print the method name alone, which is kept as printed
(`--filter "Name=ReadsEmpty"` takes it).
"""

from __future__ import annotations

from collections.abc import Sequence

from bot.core.dialects import base
from bot.core.lazyre import lazy

_VSTEST = lazy(r"\s{1,4}(Failed|Passed|Skipped) (\S.*) \[[^\[\]]*\]\s*$")
_MTP = lazy(r"\s{0,4}(failed|passed|skipped)(?: \(\w+\))? (\S.*) \(\d[\w .]*\)\s*$")
_ASSEMBLY = lazy(r"(Failed|Passed)!\s+- Failed:\s+\d+, Passed:\s+\d+")
_RUN = lazy(
    r"(?:Starting test execution, please wait|A total of \d+ test files? matched"
    r"|Test Run (?:Failed|Successful)\.|Test run summary: |Total tests: \d+)"
)


def _name(printed: str) -> str:
    cut = printed.find("(")
    return base.named(printed[:cut] if cut > 0 else printed)


def _result(line: str) -> tuple[str, str] | None:
    """(outcome, test) of a test's result line, outcome lower-cased."""
    if len(line) > 8 * base.MAX_TEST_CHARS:
        return None  # longer than any name kept, and the patterns' `.*` would crawl it
    m = _VSTEST.match(line) or _MTP.match(line)
    return (m.group(1).lower(), m.group(2)) if m is not None else None


def _ends_block(line: str) -> bool:
    return (
        _result(line) is not None or _ASSEMBLY.match(line) is not None or _RUN.match(line.strip()) is not None
    )


def failures(lines: Sequence[str]) -> list[base.Failure] | None:
    seen = False
    found: dict[str, tuple[str, ...]] = {}
    n = len(lines)
    i = 0
    while i < n:
        line = lines[i]
        result = _result(line)
        if result is None:
            if not seen and (_ASSEMBLY.match(line) or _RUN.match(line.strip())):
                seen = True
            i += 1
            continue
        seen = True
        outcome, printed = result
        if outcome != "failed":
            i += 1
            continue
        end = i + 1
        while end < n and end - i < base.EXCERPT_LINES * 50 and not _ends_block(lines[end]):
            end += 1
        stop = end
        while stop > i + 1 and not lines[stop - 1].strip():
            stop -= 1
        name = _name(printed)
        if name and name not in found and len(found) < base.MAX_FAILURES:
            found[name] = base.excerpt(lines, i, stop)
        i = end
    if not seen:
        return None
    return [base.Failure(test=name, excerpt=text) for name, text in found.items()]
