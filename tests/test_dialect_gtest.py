"""The GoogleTest dialect, on output gtest 1.12 printed (tests/data/logs/gtest)."""

from __future__ import annotations

from bot.core.dialects import base, gtest
from tests.dialects_b import cut, hostile, log, long_stack, names, timed

FAILED = [
    "IoDeathTest.Aborts",
    "IoTest.ReadsEmpty",
    "IoTest.Seeks",
    "TypedIo/1.Fits",
    "Sizes/ReadParam.Reads/1",
    "Sizes/ReadParam.Reads/2",
]


def test_a_failing_binary_names_plain_parameterized_typed_and_death_tests() -> None:
    found = gtest.failures(log("gtest", "fail.log"))
    assert names(found) == FAILED
    assert found is not None
    assert found[2].excerpt == (
        "[ RUN      ] IoTest.Seeks",
        "io_test.cc:7: Failure",
        'Value of: Bytes("") == 1',
        "  Actual: false",
        "Expected: true",
        "[  FAILED  ] IoTest.Seeks (0 ms)",
    )


def test_passing_and_skipping_binaries_have_no_failures() -> None:
    assert gtest.failures(log("gtest", "pass.log")) == []
    assert gtest.failures(log("gtest", "skip.log")) == []


def test_other_runners_output_is_not_gtest() -> None:
    for dialect, name in (("catch2", "v3_fail.log"), ("ctest", "serial.log"), ("rspec", "fail.log")):
        assert gtest.failures(log(dialect, name)) is None, name


def test_a_test_that_crashes_the_binary_fails_at_the_end_of_the_log() -> None:
    found = gtest.failures(log("gtest", "crash.log"))
    assert names(found) == ["CrashTest.NullDeref"]
    assert found is not None and found[0].excerpt == ("[ RUN      ] CrashTest.NullDeref",)


def test_a_crash_ends_where_the_next_binary_starts() -> None:
    lines = [*log("gtest", "crash.log"), *log("gtest", "pass.log")]
    found = gtest.failures(lines)
    assert names(found) == ["CrashTest.NullDeref"]
    assert found is not None and "Running main()" not in " ".join(found[0].excerpt)


def test_binaries_under_ctest_j_with_output_on_failure() -> None:
    found = gtest.failures(log("gtest", "in_ctest_j2.log"))
    assert names(found) == ["CrashTest.NullDeref", *FAILED]
    assert found is not None
    # the crash's block ends at CTest's next line, not at the other binary's output
    assert found[0].excerpt == ("[ RUN      ] CrashTest.NullDeref",)


def test_interleaved_binaries_under_ctest_verbose_are_followed_apart() -> None:
    found = gtest.failures(log("gtest", "ctest_verbose_j2.log"))
    assert names(found) == [*FAILED, "CrashTest.NullDeref"]
    assert found is not None
    assert all(line.startswith("1: ") for line in found[1].excerpt)
    assert found[-1].excerpt == ("2: [ RUN      ] CrashTest.NullDeref",)


def test_the_summary_list_alone_names_the_failures() -> None:
    lines = log("gtest", "fail.log")
    at = next(i for i, line in enumerate(lines) if "listed below" in line)
    assert names(gtest.failures(lines[at:])) == FAILED


def test_a_log_cut_in_a_line_or_in_a_failure_block() -> None:
    lines = log("gtest", "fail.log")
    assert names(gtest.failures(cut(lines, "[ RUN      ] IoTest.WritesAll", 9))) == FAILED[:2]
    found = gtest.failures(cut(lines, "Value of: Bytes", 8))
    # a test whose block the log cut off is still running: like a crash, a failure
    assert names(found) == [*FAILED[:2], "IoTest.Seeks"]
    assert found is not None and found[-1].excerpt[-1] == "Value of"


def test_a_200_line_failure_is_cut_to_the_excerpt_bound() -> None:
    lines = long_stack(
        ["[ RUN      ] IoTest.Deep", "io_test.cc:5: Failure"],
        "  frame #{0}: io::read() at io.cc:{0}",
        ["[  FAILED  ] IoTest.Deep (3 ms)"],
    )
    found = gtest.failures(lines)
    assert names(found) == ["IoTest.Deep"]
    assert found is not None
    assert len(found[0].excerpt) == base.EXCERPT_LINES
    assert found[0].excerpt[0] == "[ RUN      ] IoTest.Deep"
    assert found[0].excerpt[-1] == "[  FAILED  ] IoTest.Deep (3 ms)"
    crashed = gtest.failures(lines[:-1])
    assert crashed is not None and len(crashed[0].excerpt) == base.EXCERPT_LINES


def test_hostile_logs_are_read_quickly() -> None:
    near = ["[ RUN      ] A.b", "[  FAILED  ] A.b", "3: [ RUN      ] X.y", "[  FAILED  ] 1 test,", "[ ]"]
    for lines in hostile(near):
        assert timed(gtest.failures, lines) < 5
