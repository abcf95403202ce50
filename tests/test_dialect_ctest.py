"""The CTest dialect, on output CTest 3.25 printed (tests/data/logs/ctest)."""

from __future__ import annotations

from bot.core.dialects import base, ctest
from tests.dialects_b import cut, hostile, log, long_stack, names, timed

SERIAL = ["io_read", "crash_on_null", "sleepy", "missing_exe"]


def test_a_serial_run_names_failed_crashed_timed_out_and_not_run_tests_in_order() -> None:
    found = ctest.failures(log("ctest", "serial.log"))
    assert names(found) == SERIAL
    assert found is not None
    assert found[1].excerpt == (
        "4/7 Test #4: crash_on_null ....................***Exception: SegFault  0.00 sec",
    )


def test_a_passing_run_has_no_failures() -> None:
    assert ctest.failures(log("ctest", "pass.log")) == []


def test_other_runners_output_is_not_ctest() -> None:
    for dialect, name in (("gtest", "fail.log"), ("catch2", "v2_fail.log"), ("surefire", "junit4_2.22.log")):
        assert ctest.failures(log(dialect, name)) is None, name
    assert ctest.failures([]) is None


def test_parallel_output_on_failure_keeps_finish_order_and_each_tests_output() -> None:
    found = ctest.failures(log("ctest", "parallel_output_on_failure.log"))
    assert names(found) == ["missing_exe", "io_read", "crash_on_null", "sleepy"]
    assert found is not None
    assert found[1].excerpt == (
        "2/7 Test #1: io_read ..........................***Failed    0.01 sec",
        "io_read: expected 0 bytes, got 4",
        "reading data/empty.bin",
    )


def test_names_with_spaces_and_padding_and_skips_that_are_not_failures() -> None:
    assert names(ctest.failures(log("ctest", "odd_names_and_skips.log"))) == [
        "a test with spaces",
        "wants_regex",
        "will_fail_passes",
    ]
    assert names(ctest.failures(log("ctest", "eleven_tests.log"))) == [
        "io_read",
        "crash_on_null",
        "a",
        "a_very_long_test_name_that_goes_past_the_dotted_column_of_ctest_output",
    ]


def test_the_final_list_alone_names_the_failures() -> None:
    lines = log("ctest", "serial.log")
    at = lines.index("The following tests FAILED:")
    assert names(ctest.failures(lines[at:])) == SERIAL


def test_verbose_output_of_a_parallel_test_goes_into_its_excerpt() -> None:
    found = ctest.failures(log("gtest", "ctest_verbose_j2.log"))
    assert names(found) == ["io_test", "crash_test"]
    assert found is not None
    assert "2: [ RUN      ] CrashTest.NullDeref" in found[1].excerpt
    assert not any(line.startswith("1: ") for line in found[1].excerpt)


def test_a_log_cut_in_a_line_or_in_a_failures_output() -> None:
    lines = log("ctest", "parallel_output_on_failure.log")
    assert names(ctest.failures(cut(lines, "3/7 Test #4", 20))) == ["missing_exe", "io_read"]
    mid_output = cut(lines, "io_read: expected 0 bytes", 10)
    found = ctest.failures(mid_output)
    assert names(found) == ["missing_exe", "io_read"]
    assert found is not None and found[1].excerpt[-1] == "io_read: e"


def test_a_long_output_on_failure_is_cut_to_the_excerpt_bound() -> None:
    lines = long_stack(
        ["    Start 1: io_read", "1/1 Test #1: io_read ..........***Failed    0.01 sec"],
        "    frame {0} at io.c:{0}",
        ["", "0% tests passed, 1 tests failed out of 1"],
    )
    found = ctest.failures(lines)
    assert names(found) == ["io_read"]
    assert found is not None
    assert len(found[0].excerpt) == base.EXCERPT_LINES
    assert found[0].excerpt[0].startswith("1/1 Test #1: io_read")


def test_hostile_logs_are_read_quickly() -> None:
    near = [
        "1/1 Test #1: x ...***Failed  0.1 sec",
        "1/1 Test #1: x ...",
        "    Start 1: ",
        "\t  1 - x (",
        "1: 1/1 Test #",
        " ... ***Failed",
    ]
    for lines in hostile(near):
        assert timed(ctest.failures, lines) < 5
