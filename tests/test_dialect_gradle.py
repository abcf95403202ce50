"""The Gradle dialect, on logs written in the format of Gradle 5-8's console test logging
(tests/data/logs/gradle, README.md says where the format was seen)."""

from __future__ import annotations

from bot.core.dialects import base, gradle
from tests.dialects_b import cut, hostile, log, long_stack, names, timed


def test_junit5_failures_with_simple_class_names_and_a_parameterized_invocation() -> None:
    found = gradle.failures(log("gradle", "junit5_gradle8_written.log"))
    assert names(found) == ["IoTest.readsEmpty", "IoTest.reads", "ParseTest.full"]
    assert found is not None
    assert found[2].excerpt == (
        "ParseTest > full() FAILED",
        "    java.lang.IllegalStateException at ParseTest.java:9",
        "        Caused by: java.io.IOException at ParseTest.java:21",
    )


def test_full_class_names_and_junit4_parameterized_methods() -> None:
    assert names(gradle.failures(log("gradle", "junit4_info_written.log"))) == [
        "com.x.IoTest.readsEmpty",
        "com.x.IoTest.reads",
    ]


def test_a_passing_test_task_has_no_failures() -> None:
    assert gradle.failures(log("gradle", "pass_written.log")) == []


def test_other_runners_output_is_not_gradle() -> None:
    for dialect, name in (
        ("surefire", "junit4_2.22.log"),
        ("dotnet", "vstest_xunit_written.log"),
        ("rspec", "fail.log"),
    ):
        assert gradle.failures(log(dialect, name)) is None, name
    assert gradle.failures(["> Task :compileJava FAILED", "BUILD FAILED in 1s", "> Task :latest"]) is None


def test_test_tasks_of_parallel_projects() -> None:
    assert names(gradle.failures(log("gradle", "parallel_written.log"))) == [
        "com.x.io.IoTest.readsEmpty",
        "com.x.net.NetTest.resolves",
    ]


def test_a_log_cut_in_a_line_or_in_a_failure_block() -> None:
    lines = log("gradle", "junit5_gradle8_written.log")
    assert names(gradle.failures(cut(lines, "ParseTest > full() FAILED", 18))) == [
        "IoTest.readsEmpty",
        "IoTest.reads",
    ]
    found = gradle.failures(cut(lines, "Caused by", 12))
    assert names(found) == ["IoTest.readsEmpty", "IoTest.reads", "ParseTest.full"]
    assert found is not None and found[-1].excerpt[-1] == "        Caus"


def test_a_200_line_stack_trace_is_cut_to_the_excerpt_bound() -> None:
    lines = long_stack(
        ["com.x.IoTest > deep() FAILED", "    java.lang.StackOverflowError"],
        "        at com.x.Io.read(Io.java:{0})",
        ["", "1 test completed, 1 failed"],
    )
    found = gradle.failures(lines)
    assert names(found) == ["com.x.IoTest.deep"]
    assert found is not None and len(found[0].excerpt) == base.EXCERPT_LINES


def test_hostile_logs_are_read_quickly() -> None:
    near = [
        "A > b() FAILED",
        " > FAILED",
        "A > > FAILED",
        "> Task :test",
        "1 tests completed, 1 failed",
        "    at x",
    ]
    for lines in hostile(near):
        assert timed(gradle.failures, lines) < 5
