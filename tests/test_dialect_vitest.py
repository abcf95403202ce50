from __future__ import annotations

import time

from bot.core.dialects import vitest
from tests.dialect_checks import check_cuts, check_hostile, log, names

FAILED = [
    "src/broken.test.ts",
    "src/io.test.ts > reader > reads twice",
    "src/io.test.ts > reader > nested > throws",
    "src/io.test.ts > top level",
    "src/parse.test.ts > parses empty",
]


def test_failed_tests_section_names_each_test() -> None:
    result = vitest.failures(log("vitest/failing.log"))
    assert names(result) == FAILED
    assert result is not None
    assert result[1].excerpt[0] == " FAIL  src/io.test.ts > reader > reads twice"
    assert "AssertionError: expected 4 to be 5 // Object.is equality" in result[1].excerpt
    assert names(vitest.failures(log("vitest/verbose.log"))) == FAILED


def test_tests_sharing_an_error_share_its_block() -> None:
    lines = [
        "⎯⎯⎯⎯⎯⎯⎯ Failed Tests 2 ⎯⎯⎯⎯⎯⎯⎯",
        "",
        " FAIL  src/a.test.ts > reads",
        " FAIL  src/a.test.ts > writes",
        "Error: disk gone",
        " ❯ src/a.test.ts:3:9",
        "",
        "⎯⎯⎯⎯⎯⎯⎯⎯⎯⎯⎯⎯⎯⎯⎯⎯⎯⎯⎯⎯⎯⎯⎯⎯[1/1]⎯",
    ]
    result = vitest.failures(lines)
    assert names(result) == ["src/a.test.ts > reads", "src/a.test.ts > writes"]
    assert result is not None and result[0].excerpt == result[1].excerpt
    assert result[1].excerpt[-1] == " ❯ src/a.test.ts:3:9"


def test_progress_lines_name_tests_when_the_summary_is_cut() -> None:
    lines = log("vitest/failing.log")
    cut = lines[: lines.index("⎯⎯⎯⎯⎯⎯ Failed Suites 1 ⎯⎯⎯⎯⎯⎯⎯")]
    # the tree gives each test's title under its file (the suites are not printed)
    assert names(vitest.failures(cut)) == [
        "src/io.test.ts > reads twice",
        "src/io.test.ts > throws",
        "src/io.test.ts > top level",
        "src/parse.test.ts > parses empty",
    ]
    verbose = log("vitest/verbose.log")
    cut = verbose[: verbose.index("⎯⎯⎯⎯⎯⎯ Failed Suites 1 ⎯⎯⎯⎯⎯⎯⎯")]
    assert names(vitest.failures(cut)) == FAILED[1:]


def test_a_passing_run_is_an_empty_list() -> None:
    assert vitest.failures(log("vitest/passing.log")) == []


def test_other_runners_output_is_not_vitest() -> None:
    for other in (
        "jest/failing.log",
        "jest/colour_stripped.log",
        "jest/verbose.log",
        "jest/passing.log",
        "pytest/failing.log",
        "unittest/failing.log",
        "gotest/verbose.log",
        "cargo/failing.log",
        "nextest/failing.log",
    ):
        assert vitest.failures(log(other)) is None, other


def test_a_cut_log_never_raises_and_keeps_what_it_reached() -> None:
    lines = log("vitest/failing.log")
    check_cuts(vitest.failures, lines)
    inside = lines.index(" FAIL  src/io.test.ts > top level") + 3
    result = vitest.failures(lines[:inside])
    assert names(result)[:4] == FAILED[:4]
    assert result is not None and result[3].excerpt[0] == " FAIL  src/io.test.ts > top level"


def test_a_long_stack_gives_a_bounded_excerpt() -> None:
    lines = [
        " FAIL  src/deep.test.ts > deep > recurses",
        "RangeError: Maximum call stack size exceeded",
        *[f" ❯ recurse src/deep.ts:{n}:3" for n in range(200)],
        "⎯⎯⎯⎯⎯⎯⎯⎯⎯⎯⎯⎯⎯⎯⎯⎯⎯⎯⎯⎯⎯⎯⎯⎯[1/1]⎯",
        "      Tests  1 failed (1)",
    ]
    result = vitest.failures(lines)
    assert result is not None and len(result[0].excerpt) == 20


def test_hostile_logs_are_read_in_bounded_time() -> None:
    check_hostile(
        vitest.failures,
        [
            " FAIL  a > b",
            " FAIL  x [ y ]",
            "   × a > b 1ms",
            " ❯ a.ts (1 test | 1 failed)",
            "⎯⎯⎯",
            "      Tests  1 failed (1)",
            " FAIL  " + "a > " * 100,
        ],
    )


def test_a_totals_line_of_many_numbers_does_not_backtrack() -> None:
    began = time.perf_counter()
    assert vitest.failures([" Tests  1 " + "1111 " * 40 + "x"]) is None
    assert time.perf_counter() - began < 1.0
