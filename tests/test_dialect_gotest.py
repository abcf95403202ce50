from __future__ import annotations

from bot.core.dialects import gotest
from tests.dialect_checks import check_cuts, check_hostile, log, names

PARSE = "github.com/x/y/parse"
FAILED = [
    f"{PARSE} TestParse/empty",
    f"{PARSE} TestOwnFailure",
    f"{PARSE} TestParallelA",
    "github.com/x/y/store TestGet",
]


def test_plain_output_names_tests_with_their_package() -> None:
    result = gotest.failures(log("gotest/failing.log"))
    assert names(result) == FAILED
    assert result is not None
    assert result[0].excerpt == (
        "    --- FAIL: TestParse/empty (0.00s)",
        '        parse_test.go:20: Parse("") = 0, want 1',
    )
    assert "panic: assignment to entry in nil map [recovered]" in result[3].excerpt


def test_verbose_output_with_parallel_tests() -> None:
    result = gotest.failures(log("gotest/verbose.log"))
    assert names(result) == FAILED
    assert result is not None
    assert result[2].excerpt[0] == "=== CONT  TestParallelA"
    assert "    parse_test.go:34: A failed" in result[2].excerpt


def test_a_parent_is_named_only_when_it_failed_on_its_own() -> None:
    expected = [
        "github.com/x/y/both TestBoth",
        "github.com/x/y/both TestBoth/sub",
        "github.com/x/y/both TestNested/a/b_c",
    ]
    assert names(gotest.failures(log("gotest/subtests.log"))) == expected
    assert names(gotest.failures(log("gotest/subtests_verbose.log"))) == expected


def test_gotestsum_summary() -> None:
    assert names(gotest.failures(log("gotest/gotestsum.log"))) == [
        "parse TestParse/empty",
        "parse TestOwnFailure",
        "parse TestParallelA",
        "store TestGet",
    ]


def test_packages_interleaved_by_parallel_runs() -> None:
    # two packages' -v streams interleaved line by line, each failure before its own
    # package's FAIL line
    lines = [
        "=== RUN   TestGet",
        "=== RUN   TestParse",
        "--- FAIL: TestGet (0.00s)",
        "    store_test.go:7: no entry",
        "FAIL\tgithub.com/x/y/store\t0.004s",
        "    parse_test.go:20: bad parse",
        "--- FAIL: TestParse (0.00s)",
        "ok  \tgithub.com/x/y/calc\t0.002s",
        "FAIL\tgithub.com/x/y/parse\t0.026s",
        "FAIL",
    ]
    assert names(gotest.failures(lines)) == ["github.com/x/y/store TestGet", "github.com/x/y/parse TestParse"]


def test_a_package_that_failed_without_a_test() -> None:
    lines = [
        "# github.com/x/y/broken [github.com/x/y/broken.test]",
        "broken/broken_test.go:5:2: undefined: Parse",
        "FAIL\tgithub.com/x/y/broken [build failed]",
        "?   \tgithub.com/x/y/cmd\t[no test files]",
        "FAIL",
    ]
    result = gotest.failures(lines)
    assert names(result) == ["github.com/x/y/broken"]


def test_a_timeout_names_the_tests_still_running() -> None:
    lines = [
        "panic: test timed out after 10m0s",
        "running tests:",
        "\tTestSlow (10m0s)",
        "",
        "goroutine 7 [running]:",
        "FAIL\tgithub.com/x/y/slow\t600.012s",
    ]
    assert names(gotest.failures(lines)) == ["github.com/x/y/slow TestSlow"]


def test_a_passing_run_is_an_empty_list() -> None:
    assert gotest.failures(log("gotest/passing.log")) == []
    assert gotest.failures(log("gotest/passing_verbose.log")) == []


def test_other_runners_output_is_not_go() -> None:
    for other in (
        "pytest/failing.log",
        "unittest/failing.log",
        "cargo/failing.log",
        "jest/failing.log",
        "vitest/failing.log",
        "nextest/failing.log",
    ):
        assert gotest.failures(log(other)) is None, other


def test_a_cut_log_never_raises_and_keeps_what_it_reached() -> None:
    lines = log("gotest/failing.log")
    check_cuts(gotest.failures, lines)
    # cut inside store's panic: the package line never came, the test is named alone
    inside = lines.index("goroutine 18 [running]:") + 1
    assert names(gotest.failures(lines[:inside])) == [*FAILED[:3], "TestGet"]


def test_a_long_panic_gives_a_bounded_excerpt() -> None:
    lines = [
        "--- FAIL: TestDeep (0.00s)",
        "panic: runtime error: index out of range [recovered]",
        *[f"\t/src/deep.go:{n} +0x1f" for n in range(200)],
        "FAIL\tgithub.com/x/y/deep\t0.010s",
    ]
    result = gotest.failures(lines)
    assert result is not None and len(result[0].excerpt) == 20


def test_hostile_logs_are_read_in_bounded_time() -> None:
    check_hostile(
        gotest.failures,
        [
            "--- FAIL: TestX (0.00s)",
            "    --- FAIL: TestX/a (0.00s)",
            "--- FAIL: x",
            "=== RUN   TestX",
            "FAIL\tp\t1s",
            "    x.go:1: y",
            "panic: x",
            "ok  \tp",
            "=== FAIL: p TestX (0.00s)",
        ],
    )
