"""The dotnet test dialect, on logs written in the format of VSTest's console logger and of
Microsoft.Testing.Platform's terminal reporter (tests/data/logs/dotnet, README.md)."""

from __future__ import annotations

from bot.core.dialects import base, dotnet
from tests.dialects_b import cut, hostile, log, long_stack, names, timed


def test_vstest_failures_with_a_theorys_arguments_dropped() -> None:
    found = dotnet.failures(log("dotnet", "vstest_xunit_written.log"))
    assert names(found) == ["Io.Tests.ReadsEmpty", "Io.Tests.Reads"]
    assert found is not None
    assert found[1].excerpt == (
        "  Failed Io.Tests.Reads(size: 2) [< 1 ms]",
        "  Error Message:",
        "   Assert.True() Failure",
        "Expected: True",
        "Actual:   False",
        "  Stack Trace:",
        "     at Io.Tests.Reads(Int32 size) in /home/runner/work/io/io/tests/Io.Tests/IoTests.cs:line 20",
    )


def test_the_testing_platforms_terminal_output() -> None:
    found = dotnet.failures(log("dotnet", "mtp_written.log"))
    assert names(found) == ["Io.Tests.ReadsEmpty", "Io.Tests.Reads"]
    assert (
        found is not None
        and found[0].excerpt[-1] == "      at Io.Tests.ReadsEmpty() in /src/Io.Tests/IoTests.cs:12"
    )
    quoted = [
        '  failed Invalid_Profile_Should_Fail ("net9.0;net8.0",Debug) (6s 220ms)',
        "    Assert.AreEqual failed.",
    ]
    assert names(dotnet.failures(quoted)) == ["Invalid_Profile_Should_Fail"]


def test_a_passing_run_has_no_failures() -> None:
    assert dotnet.failures(log("dotnet", "vstest_pass_written.log")) == []


def test_other_runners_output_is_not_dotnet() -> None:
    for dialect, name in (
        ("gradle", "junit5_gradle8_written.log"),
        ("surefire", "junit4_2.22.log"),
        ("ctest", "serial.log"),
    ):
        assert dotnet.failures(log(dialect, name)) is None, name


def test_two_test_projects_run_at_once() -> None:
    found = dotnet.failures(log("dotnet", "vstest_two_projects_written.log"))
    assert names(found) == ["Net.Tests.Resolves", "Io.Tests.ReadsEmpty"]
    assert found is not None and not any("Io.Tests" in line for line in found[0].excerpt)


def test_a_log_cut_in_a_line_or_in_a_failure_block() -> None:
    lines = log("dotnet", "vstest_xunit_written.log")
    assert names(dotnet.failures(cut(lines, "Failed Io.Tests.Reads(size", 20))) == ["Io.Tests.ReadsEmpty"]
    found = dotnet.failures(cut(lines, "Assert.True() Failure", 8))
    assert names(found) == ["Io.Tests.ReadsEmpty", "Io.Tests.Reads"]
    assert found is not None and found[-1].excerpt[-1] == "   Asser"


def test_a_200_line_stack_trace_is_cut_to_the_excerpt_bound() -> None:
    lines = long_stack(
        [
            "  Failed Io.Tests.Deep [3 ms]",
            "  Error Message:",
            "   System.StackOverflowException",
            "  Stack Trace:",
        ],
        "     at Io.Reader.Read() in /src/Io/Reader.cs:line {0}",
        [
            "",
            "Failed!  - Failed:     1, Passed:     0, Skipped:     0, Total:     1,"
            " Duration: 3 ms - Io.Tests.dll (net8.0)",
        ],
    )
    found = dotnet.failures(lines)
    assert names(found) == ["Io.Tests.Deep"]
    assert found is not None and len(found[0].excerpt) == base.EXCERPT_LINES


def test_hostile_logs_are_read_quickly() -> None:
    near = [
        "  Failed A.b [1 ms]",
        "  Failed [ [ [",
        "failed x (1",
        "  failed a.B (1ms)",
        "Failed!  - Failed:  1,",
    ]
    for lines in hostile(near):
        assert timed(dotnet.failures, lines) < 5
