"""The Surefire dialect, on output Surefire 2.22.3 printed and Surefire 3.x's format
(tests/data/logs/surefire)."""

from __future__ import annotations

from bot.core.dialects import base, surefire
from tests.dialects_b import cut, hostile, log, long_stack, names, timed


def test_junit4_under_surefire_2() -> None:
    found = surefire.failures(log("surefire", "junit4_2.22.log"))
    assert names(found) == ["com.x.ParseTest#full", "com.x.IoTest#seeks", "com.x.IoTest#readsEmpty"]
    assert found is not None
    assert found[1].excerpt == (
        "[ERROR] seeks(com.x.IoTest)  Time elapsed: 0 s  <<< ERROR!",
        "java.lang.IllegalStateException: disk gone",
        "\tat com.x.IoTest.seeks(IoTest.java:7)",
    )


def test_junit5_under_surefire_2_takes_the_class_from_its_line_before() -> None:
    assert names(surefire.failures(log("surefire", "junit5_2.22.log"))) == [
        "com.x.IoTest#reads",
        "com.x.IoTest#readsEmpty",
    ]


def test_surefire_3_with_a_class_failed_as_a_whole_and_a_flake() -> None:
    found = surefire.failures(log("surefire", "junit5_3.x_written.log"))
    # NetIT's @BeforeAll failure is the class's; `Results:` lists it again by its frame,
    # ParseTest.empty passed on a rerun
    assert names(found) == [
        "com.x.ParseTest#full",
        "com.x.IoTest#readsEmpty",
        "com.x.IoTest#seeks",
        "com.x.NetIT",
    ]


def test_a_passing_run_has_no_failures() -> None:
    assert surefire.failures(log("surefire", "pass_2.22.log")) == []


def test_other_runners_output_is_not_surefire() -> None:
    for dialect, name in (
        ("gradle", "junit5_gradle8_written.log"),
        ("rspec", "fail.log"),
        ("gtest", "fail.log"),
    ):
        assert surefire.failures(log(dialect, name)) is None, name


def test_forked_classes_finishing_out_of_order() -> None:
    assert names(surefire.failures(log("surefire", "junit4_2.22_forks2.log"))) == [
        "com.x.IoTest#seeks",
        "com.x.IoTest#readsEmpty",
        "com.x.ParseTest#full",
    ]


def test_the_results_list_alone_names_the_failures_with_the_classes_seen() -> None:
    lines = log("surefire", "junit4_2.22.log")
    results = lines[lines.index("[INFO] Results:") :]
    running = [line for line in lines if line.startswith("[INFO] Running ")]
    assert names(surefire.failures(results)) == ["IoTest#readsEmpty", "ParseTest#full", "IoTest#seeks"]
    assert names(surefire.failures([*running, *results])) == [
        "com.x.IoTest#readsEmpty",
        "com.x.ParseTest#full",
        "com.x.IoTest#seeks",
    ]


def test_a_rerun_failure_is_named_by_its_key_line() -> None:
    lines = [
        "[INFO] Results:",
        "[INFO] ",
        "[ERROR] Failures: ",
        "[ERROR] com.x.IoTest.readsEmpty",
        "[ERROR]   Run 1: IoTest.readsEmpty:12 expected: <1> but was: <2>",
        "[ERROR]   Run 2: IoTest.readsEmpty:12 expected: <1> but was: <2>",
        "[INFO] ",
    ]
    assert names(surefire.failures(lines)) == ["com.x.IoTest#readsEmpty"]


def test_a_log_cut_in_a_line_or_in_a_stack_trace() -> None:
    lines = log("surefire", "junit4_2.22.log")
    assert names(surefire.failures(cut(lines, "[ERROR] seeks(com.x.IoTest)", 15))) == ["com.x.ParseTest#full"]
    found = surefire.failures(cut(lines, "java.lang.IllegalStateException", 9))
    assert names(found) == ["com.x.ParseTest#full", "com.x.IoTest#seeks"]
    assert found is not None and found[-1].excerpt[-1] == "java.lang"


def test_a_200_line_stack_trace_is_cut_to_the_excerpt_bound() -> None:
    lines = long_stack(
        [
            "[ERROR] Tests run: 1, Failures: 1, Errors: 0, Skipped: 0, Time elapsed: 1 s"
            " <<< FAILURE! -- in com.x.IoTest",
            "[ERROR] com.x.IoTest.deep -- Time elapsed: 1 s <<< FAILURE!",
            "java.lang.StackOverflowError",
        ],
        "\tat com.x.Io.read(Io.java:{0})",
        ["", "[INFO] BUILD FAILURE"],
    )
    found = surefire.failures(lines)
    assert names(found) == ["com.x.IoTest#deep"]
    assert found is not None and len(found[0].excerpt) == base.EXCERPT_LINES


def test_hostile_logs_are_read_quickly() -> None:
    near = [
        "[ERROR] a(b.C)  Time elapsed: 1 s  <<< FAILURE!",
        "[ERROR] ((((  Time elapsed: <<< ",
        "[ERROR] Tests run: 1, Failures: 1, Errors: 0, Skipped: 0, Time elapsed: 1 s -- in a.B",
        "[ERROR] Failures: ",
        "[ERROR]   C.d:1 x",
        "[INFO] Running a.B",
    ]
    for lines in hostile(near):
        assert timed(surefire.failures, lines) < 5


def test_many_classes_are_matched_to_the_results_list_quickly() -> None:
    # each `Results:` line is matched to a class seen before: by a lookup, not a search
    running = [f"[INFO] Running a.B{i}" for i in range(10_000)]
    listed = ["[ERROR] Failures: ", *(f"[ERROR]   B{i}.t:1 x" for i in range(10_000))]
    lines = [*running, *listed]
    assert timed(surefire.failures, lines) < 5
    found = surefire.failures(lines)
    assert found is not None and len(found) == base.MAX_FAILURES
    assert found[0].test == "a.B0#t"
