"""The Catch2 dialect, on output Catch2 2.13.10 and 3.7.1 printed (tests/data/logs/catch2)."""

from __future__ import annotations

import pytest

from bot.core.dialects import base, catch2
from tests.dialects_b import cut, hostile, log, long_stack, names, timed

RULE = "-" * 79
DOTS = "." * 79
FAILED = ["io reads empty files", "vectors can be sized", "throws", "messages"]


@pytest.mark.parametrize("name", ["v2_fail.log", "v3_fail.log"])
def test_failing_test_cases_of_v2_and_v3(name: str) -> None:
    found = catch2.failures(log("catch2", name))
    assert names(found) == FAILED
    assert found is not None
    assert found[0].excerpt == (
        RULE,
        "io reads empty files",
        RULE,
        "t.cpp:6",
        DOTS,
        "",
        "t.cpp:6: FAILED:",
        '  REQUIRE( bytes("abcd") == 0 )',
        "with expansion:",
        "  4 == 0",
    )


def test_a_v3_skip_is_not_a_failure() -> None:
    found = catch2.failures(log("catch2", "v3_fail.log"))
    assert "skips on arm" not in (names(found) or [])


@pytest.mark.parametrize("name", ["v2_pass.log", "v3_pass.log"])
def test_a_passing_run_has_no_failures(name: str) -> None:
    assert catch2.failures(log("catch2", name)) == []


def test_other_runners_output_is_not_catch2() -> None:
    for dialect, name in (("gtest", "fail.log"), ("ctest", "serial.log"), ("rspec", "fail.log")):
        assert catch2.failures(log(dialect, name)) is None, name


def test_a_crash_is_a_failed_test_case() -> None:
    found = catch2.failures(log("catch2", "v2_crash.log"))
    assert names(found) == [*FAILED, "crashes"]
    assert found is not None and "  SIGSEGV - Segmentation violation signal" in found[-1].excerpt


def test_a_wrapped_name_is_joined_and_sections_are_not_part_of_it() -> None:
    assert names(catch2.failures(log("catch2", "v2_long_names.log"))) == [
        "a very long test case name that describes in far too many words what the reader of "
        "files does when handed an empty file",
        "Scenario-ish: io, with [brackets] and commas",
    ]


def test_two_binaries_one_after_the_other() -> None:
    # Catch2 has no parallel runner of its own; under ctest -j each binary's output comes whole
    lines = [*log("catch2", "v2_long_names.log"), *log("catch2", "v3_fail.log")]
    assert names(catch2.failures(lines)) == [
        "a very long test case name that describes in far too many words what the reader of "
        "files does when handed an empty file",
        "Scenario-ish: io, with [brackets] and commas",
        *FAILED,
    ]


def test_a_log_cut_in_a_header_or_in_a_failure_block() -> None:
    lines = log("catch2", "v2_fail.log")
    # cut inside the header of "throws": that test case never said FAILED
    assert names(catch2.failures(cut(lines, "throws", 3))) == FAILED[:2]
    found = catch2.failures(cut(lines, "due to unexpected exception", 6))
    assert names(found) == FAILED[:3]
    assert found is not None and found[-1].excerpt[-1] == "due to"


def test_a_200_line_failure_is_cut_to_the_excerpt_bound() -> None:
    lines = long_stack(
        [RULE, "deep", RULE, "t.cpp:1", DOTS, "", "t.cpp:2: FAILED:", "with messages:"],
        "  step {0} of the reader",
        ["=" * 79, "test cases: 1 | 1 failed"],
    )
    found = catch2.failures(lines)
    assert names(found) == ["deep"]
    assert found is not None and len(found[0].excerpt) == base.EXCERPT_LINES
    assert found[0].excerpt[-1] == "  step 199 of the reader"


def test_hostile_logs_are_read_quickly() -> None:
    near = [RULE, "name", RULE, "x.cpp:1", DOTS, "x.cpp:1: FAILED:", "  a", "-" * 40, "test cases: 1 |"]
    for lines in hostile(near):
        assert timed(catch2.failures, lines) < 5
