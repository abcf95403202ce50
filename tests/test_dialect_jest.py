from __future__ import annotations

from bot.core.dialects import jest
from tests.dialect_checks import check_cuts, check_hostile, log, names

IO = [
    "src/io.test.js › Reader › reads twice",
    "src/io.test.js › Reader › nested › throws",
    "src/io.test.js › top level",
]


def test_failure_blocks_name_file_and_title() -> None:
    result = jest.failures(log("jest/failing.log"))
    assert names(result) == IO
    assert result is not None
    assert result[0].excerpt[0] == "  ● Reader › reads twice"
    assert result[0].excerpt[-1] == "      at Object.toBe (src/io.test.js:4:21)"
    assert len(result[2].excerpt) == 20  # the deep-equality diff, bounded


def test_workers_files_and_a_suite_that_failed_to_run() -> None:
    for fixture in ("jest/workers.log", "jest/colour_stripped.log"):
        assert sorted(names(jest.failures(log(fixture)))) == sorted(
            [*IO, "src/parse.test.js › Parser › parses empty", "src/broken.test.js"]
        ), fixture


def test_verbose_results_name_the_same_tests() -> None:
    lines = log("jest/verbose.log")
    full = names(jest.failures(lines))
    # cut before the first `●` block: the `✕` lines under their describe names
    cut = lines[: lines.index("  ● Parser › parses empty")]
    assert names(jest.failures(cut)) == ["src/parse.test.js › Parser › parses empty"]
    assert "src/parse.test.js › Parser › parses empty" in full


def test_a_passing_run_is_an_empty_list() -> None:
    assert jest.failures(log("jest/passing.log")) == []


def test_other_runners_output_is_not_jest() -> None:
    for other in (
        "vitest/failing.log",
        "vitest/verbose.log",
        "vitest/passing.log",
        "pytest/failing.log",
        "unittest/failing.log",
        "gotest/verbose.log",
        "cargo/failing.log",
        "nextest/failing.log",
    ):
        assert jest.failures(log(other)) is None, other


def test_a_cut_log_never_raises_and_keeps_what_it_reached() -> None:
    lines = log("jest/failing.log")
    check_cuts(jest.failures, lines)
    inside = lines.index("  ● top level") + 4
    result = jest.failures(lines[:inside])
    assert names(result) == IO
    assert result is not None and result[2].excerpt[0] == "  ● top level"


def test_a_long_stack_gives_a_bounded_excerpt() -> None:
    lines = [
        "FAIL src/deep.test.js",
        "  ● deep › recurses",
        "",
        "    RangeError: Maximum call stack size exceeded",
        *[f"      at recurse (src/deep.js:{n}:3)" for n in range(200)],
        "",
        "Tests:       1 failed, 1 total",
    ]
    result = jest.failures(lines)
    assert names(result) == ["src/deep.test.js › deep › recurses"]
    assert result is not None and len(result[0].excerpt) == 20


def test_hostile_logs_are_read_in_bounded_time() -> None:
    check_hostile(
        jest.failures,
        [
            "FAIL src/a.test.js",
            "  ● a › b",
            "    ✕ x (1 ms)",
            "  suite",
            "FAIL  a > b",
            "Tests:       1 failed, 1 total",
            "  ● Console",
            "PASS x",
        ],
    )
