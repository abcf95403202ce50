from __future__ import annotations

from bot.core.dialects import unittests
from tests.dialect_checks import check_cuts, check_hostile, log, names


def test_fail_and_error_blocks_name_dotted_ids() -> None:
    result = unittests.failures(log("unittest/failing.log"))
    assert names(result) == [
        "pkg.tests.TestY.test_err",
        "pkg.tests.TestZ.test_a",
        "pkg.tests.TestY.test_sub",  # two failing subtests, one test
        "pkg.tests.TestY.test_x",
    ]
    assert result is not None
    assert result[3].excerpt[0] == "FAIL: test_x (pkg.tests.TestY.test_x)"
    assert result[3].excerpt[-1] == "AssertionError: 2 != 3"


def test_class_fixtures_and_import_failures_are_named_by_class_and_module() -> None:
    assert names(unittests.failures(log("unittest/discover.log"))) == [
        "pkg.test_broken",
        "pkg.test_more.TestClassSetup",
        "pkg.test_more.TestDoc.test_doc",
    ]


def test_the_older_form_names_the_class_in_parentheses() -> None:
    # Python 3.10's form of the failing.log blocks: the class, not the full id
    lines = [
        "======================================================================",
        "FAIL: test_x (pkg.tests.TestY)",
        "----------------------------------------------------------------------",
        "Traceback (most recent call last):",
        '  File "/tmp/utproj/pkg/tests.py", line 5, in test_x',
        "    self.assertEqual(1 + 1, 3)",
        "AssertionError: 2 != 3",
        "",
        "======================================================================",
        "ERROR: setUpClass (pkg.tests.TestZ)",
        "----------------------------------------------------------------------",
        "RuntimeError: class setup broke",
        "",
        "----------------------------------------------------------------------",
        "Ran 2 tests in 0.001s",
        "",
        "FAILED (failures=1, errors=1)",
    ]
    assert names(unittests.failures(lines)) == ["pkg.tests.TestY.test_x", "pkg.tests.TestZ"]


def test_verbose_lines_name_failures_first() -> None:
    lines = log("unittest/verbose.log")
    assert names(unittests.failures(lines)) == [
        "pkg.tests.TestY.test_err",
        "pkg.tests.TestY.test_sub",
        "pkg.tests.TestY.test_x",
        "pkg.tests.TestZ.test_a",
    ]
    # cut before the blocks: the verbose lines alone
    cut = lines[: lines.index("test_a (pkg.tests.TestZ.test_a) ... ERROR") + 1]
    result = unittests.failures(cut)
    assert names(result) == names(unittests.failures(lines))
    assert result is not None and result[0].excerpt == ("test_err (pkg.tests.TestY.test_err) ... ERROR",)


def test_a_passing_run_is_an_empty_list() -> None:
    assert unittests.failures(log("unittest/passing.log")) == []


def test_other_runners_output_is_not_unittest() -> None:
    for other in (
        "pytest/failing.log",
        "pytest/verbose.log",
        "gotest/verbose.log",
        "cargo/failing.log",
        "jest/failing.log",
        "vitest/failing.log",
        "nextest/failing.log",
    ):
        assert unittests.failures(log(other)) is None, other
    # `ERROR:` without the block's rule above it is anyone's message
    assert unittests.failures(["ERROR: test_x (a.b)", "FAIL: x (y)"]) is None


def test_interleaved_parallel_output_between_blocks() -> None:
    # Django's --parallel and stray worker output land between blocks
    lines = log("unittest/failing.log")
    at = lines.index("FAIL: test_x (pkg.tests.TestY.test_x)") - 1
    mixed = [*lines[:at], "worker 2: creating test database", *lines[at:]]
    assert names(unittests.failures(mixed)) == names(unittests.failures(lines))


def test_a_cut_log_never_raises_and_keeps_what_it_reached() -> None:
    lines = log("unittest/failing.log")
    check_cuts(unittests.failures, lines)
    inside = lines.index("FAIL: test_x (pkg.tests.TestY.test_x)") + 3
    result = unittests.failures(lines[:inside])
    assert names(result)[-1] == "pkg.tests.TestY.test_x"
    assert result is not None and result[-1].excerpt[-1].startswith("Traceback")


def test_a_long_traceback_gives_a_bounded_excerpt() -> None:
    lines = [
        "=" * 70,
        "ERROR: test_deep (pkg.tests.TestY.test_deep)",
        "-" * 70,
        "Traceback (most recent call last):",
        *[f'  File "pkg/tests.py", line {n}, in deep' for n in range(200)],
        "RecursionError: maximum recursion depth exceeded",
        "",
        "-" * 70,
        "Ran 1 test in 0.010s",
    ]
    result = unittests.failures(lines)
    assert result is not None and len(result[0].excerpt) == 20
    assert result[0].excerpt[-1] == "RecursionError: maximum recursion depth exceeded"


def test_hostile_logs_are_read_in_bounded_time() -> None:
    check_hostile(
        unittests.failures,
        [
            "=" * 70,
            "FAIL: x (y)",
            "ERROR: a (b.c.a)",
            "x (y) ... FAIL",
            "Ran 1 tests in 1s",
            "-" * 70,
            "t (" + "a." * 100 + ") ... ",
        ],
    )
