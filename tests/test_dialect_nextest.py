from __future__ import annotations

from bot.core.dialects import nextest
from tests.dialect_checks import check_cuts, check_hostile, log, names

FAILED = [
    "rsproj io::tests::reads",
    "rsproj::it integration_crashes",
    "rsproj::it integration_hangs",
    "rsproj::it integration_fails",
]


def test_failures_signals_and_timeouts_not_flaky_tests() -> None:
    result = nextest.failures(log("nextest/failing.log"))
    assert names(result) == FAILED
    assert result is not None
    reads = result[0].excerpt
    assert reads[0] == "--- STDOUT:              rsproj io::tests::reads ---"
    assert reads[-1] == "note: run with `RUST_BACKTRACE=1` environment variable to display a backtrace"
    assert len(reads) == 20  # STDOUT and STDERR blocks read as one, bounded
    assert result[1].excerpt == ("     SIGSEGV [   0.010s] rsproj::it integration_crashes",)


def test_newer_indented_output_sections_and_counters() -> None:
    lines = [
        "    Starting 2 tests across 1 binary",
        "        FAIL [   0.004s] (1/2) rsproj io::tests::reads",
        "  stdout ───",
        "",
        "    running 1 test",
        "    test io::tests::reads ... FAILED",
        "  stderr ───",
        "",
        "    thread 'io::tests::reads' panicked at src/lib.rs:10:13:",
        "    assertion `left == right` failed",
        "",
        "        PASS [   0.003s] (2/2) rsproj tests::doubles",
        "────────────",
        "     Summary [   0.005s] 2 tests run: 1 passed, 1 failed, 0 skipped",
        "        FAIL [   0.004s] (1/2) rsproj io::tests::reads",
        "error: test run failed",
    ]
    result = nextest.failures(lines)
    assert names(result) == ["rsproj io::tests::reads"]
    assert result is not None
    assert result[0].excerpt[0] == "  stdout ───"
    assert result[0].excerpt[-1] == "    assertion `left == right` failed"


def test_retries_that_keep_failing_are_failures() -> None:
    lines = [
        "   TRY 1 FAIL [   0.004s] rsproj io::tests::reads",
        "   TRY 2 FAIL [   0.004s] rsproj io::tests::reads",
        "     Summary [   0.009s] 1 test run: 0 passed, 1 failed, 0 skipped",
    ]
    assert names(nextest.failures(lines)) == ["rsproj io::tests::reads"]


def test_a_passing_run_is_an_empty_list() -> None:
    assert nextest.failures(log("nextest/passing.log")) == []


def test_other_runners_output_is_not_nextest() -> None:
    for other in (
        "pytest/failing.log",
        "unittest/failing.log",
        "gotest/verbose.log",
        "cargo/failing.log",
        "cargo/nocapture.log",
        "jest/failing.log",
        "vitest/failing.log",
    ):
        assert nextest.failures(log(other)) is None, other


def test_parallel_tests_interleave_their_status_lines_and_blocks() -> None:
    lines = log("nextest/failing.log")
    # the fixture runs tests in parallel: a flaky test's retry sits between others' results
    assert lines.index("  TRY 2 PASS [   0.003s] rsproj io::tests::flaky_clock") > lines.index(
        "   TRY 1 FAIL [   0.004s] rsproj io::tests::flaky_clock"
    )
    assert "rsproj io::tests::flaky_clock" not in names(nextest.failures(lines))


def test_a_cut_log_never_raises_and_keeps_what_it_reached() -> None:
    lines = log("nextest/failing.log")
    check_cuts(nextest.failures, lines)
    # cut in the flaky test's first try: it has not passed yet
    inside = lines.index("   TRY 1 FAIL [   0.004s] rsproj io::tests::flaky_clock") + 3
    assert names(nextest.failures(lines[:inside])) == [
        "rsproj io::tests::reads",
        "rsproj io::tests::flaky_clock",
    ]


def test_a_long_output_gives_a_bounded_excerpt() -> None:
    lines = [
        "        FAIL [   0.004s] rsproj io::tests::reads",
        "--- STDERR:              rsproj io::tests::reads ---",
        *[f"   {n}: frame" for n in range(200)],
        "     Summary [   0.005s] 1 test run: 0 passed, 1 failed, 0 skipped",
    ]
    result = nextest.failures(lines)
    assert result is not None and len(result[0].excerpt) == 20


def test_hostile_logs_are_read_in_bounded_time() -> None:
    check_hostile(
        nextest.failures,
        [
            "        FAIL [   0.004s] a b",
            "FAIL [ x",
            "--- STDOUT: a b ---",
            "  stdout ───",
            "     Summary [   1s] ",
            "   TRY 1 FAIL [   0.004s] a b",
            "A [ 1s] " + "b " * 50,
        ],
    )
