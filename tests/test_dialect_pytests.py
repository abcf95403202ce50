from __future__ import annotations

from bot.core.dialects import pytests
from tests.dialect_checks import check_cuts, check_hostile, log, names

FAILED = [
    "tests/test_io.py::test_read",
    "tests/test_io.py::test_param[2-5]",
    "tests/test_io.py::TestA::test_b",
    "tests/test_io.py::test_deep",
    "tests/test_io.py::test_uses_fixture",
]


def test_the_short_summary_names_failures_and_errors_with_their_sections() -> None:
    result = pytests.failures(log("pytest/failing.log"))
    assert names(result) == FAILED
    assert result is not None
    read = result[0].excerpt
    assert read[0].strip("_ ") == "test_read"
    assert "E       assert 4 == 5" in read
    assert read[-1] == "tests/test_io.py:7: AssertionError"
    # the error's excerpt is its `ERROR at setup of` section, not the summary line
    assert result[4].excerpt[0].strip("_ ") == "ERROR at setup of test_uses_fixture"
    assert "E       RuntimeError: fixture broke" in result[4].excerpt


def test_verbose_lines_name_failures_in_the_order_run() -> None:
    result = pytests.failures(log("pytest/verbose.log"))
    assert names(result) == [*FAILED[:3], FAILED[4], FAILED[3]]


def test_xdist_workers_interleaved() -> None:
    result = pytests.failures(log("pytest/xdist.log"))
    assert names(result) == [
        "tests/test_io.py::test_read",
        "tests/test_io.py::test_param[2-5]",
        "tests/test_io.py::TestA::test_b",
        "tests/test_io.py::test_uses_fixture",
        "tests/test_io.py::test_deep",
    ]
    assert result is not None
    assert "[gw1] linux -- Python 3.11.7 /tmp/pyvenv/bin/python" in result[3].excerpt


def test_without_summary_the_section_headers_name_the_tests() -> None:
    lines = log("pytest/no_summary.log")
    assert not any(line.startswith("FAILED ") for line in lines)
    assert sorted(names(pytests.failures(lines))) == sorted(FAILED)


def test_a_passing_run_is_an_empty_list() -> None:
    assert pytests.failures(log("pytest/passing.log")) == []
    assert pytests.failures(["2 passed in 0.01s"]) == []


def test_other_runners_output_is_not_pytest() -> None:
    for other in (
        "unittest/failing.log",
        "unittest/verbose.log",
        "gotest/verbose.log",
        "cargo/failing.log",
        "jest/failing.log",
        "vitest/failing.log",
        "nextest/failing.log",
    ):
        assert pytests.failures(log(other)) is None, other
    assert pytests.failures([]) is None
    assert pytests.failures(["FAILED (failures=1, errors=1)", "ERROR: something broke"]) is None


def test_parametrized_ids_with_spaces_and_dashes_are_kept_whole() -> None:
    lines = [
        "FAILED tests/t.py::test_x[a - b] - assert 1 == 2",
        "FAILED tests/t.py::test_y[two words]",
        "====== 2 failed in 0.10s ======",
    ]
    assert names(pytests.failures(lines)) == ["tests/t.py::test_x[a - b]", "tests/t.py::test_y[two words]"]


def test_a_cut_log_never_raises_and_keeps_what_it_reached() -> None:
    lines = log("pytest/failing.log")
    results = check_cuts(pytests.failures, lines)
    # cut inside test_deep's traceback: the sections before it, and test_deep by its header
    # and the first location in its traceback
    inside = lines.index("tests/test_io.py:36: ") + 1
    assert names(pytests.failures(lines[:inside])) == [
        "tests/test_io.py::test_uses_fixture",
        "tests/test_io.py::test_read",
        "tests/test_io.py::test_param[2-5]",
        "tests/test_io.py::TestA::test_b",
        "tests/test_io.py::test_deep",
    ]
    assert results[0] is None


def test_a_long_traceback_gives_a_bounded_excerpt() -> None:
    lines = [
        "============================= test session starts ==============================",
        "=================================== FAILURES ===================================",
        "__________________________________ test_deep ___________________________________",
        *[f"tests/test_io.py:{n}: in deep" for n in range(200)],
        "E   RecursionError: too deep",
        "=========================== short test summary info ============================",
        "FAILED tests/test_io.py::test_deep - RecursionError: too deep",
    ]
    result = pytests.failures(lines)
    assert result is not None and len(result[0].excerpt) == 20
    assert result[0].excerpt[-1] == "E   RecursionError: too deep"


def test_hostile_logs_are_read_in_bounded_time() -> None:
    check_hostile(
        pytests.failures,
        [
            "FAILED x",
            "FAILED a::b",
            "ERROR ::",
            "___ x ___",
            "_ _ _",
            "a::b FAILED",
            "[gw0] [ 1%] FAILED a::b",
            "= 1 failed in 1s =",
        ],
    )
