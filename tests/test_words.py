"""Counted words agree with their numbers in every rendered text: "1 job", never "1 jobs",
"1 change that adds", never "job(s)"."""

from __future__ import annotations

import re
import textwrap
from datetime import date

import pytest

from bot.core.analysis import analyze
from bot.core.config import Policy
from bot.core.fixes import plan
from bot.core.junit import FAILED, PASSED, compare
from bot.core.junit import TestCase as Case
from bot.core.pairing import RunJob, pair
from bot.core.results import Artifact, analyse
from bot.core.scans import SCANNED, RepoScan
from bot.core.words import count, noun, verb
from bot.render import check_run, dashboard, markdown, org_report, results, review, text
from bot.render import fixes as fix_summary

TODAY = date(2026, 11, 28)
NOW = 1_800_000_000.0
# A number then a plural noun that disagrees with it, or a "(s)" hedge.
WRONG = re.compile(
    r"(?<![\d.#])1 (\*\*)?(workflows|jobs|changes|tests|failing tests|legs|arm64 legs|pairs|"
    r"amd64/arm64 pairs|errors|results|suggestions|differences|files|repositories|runs|steps)"
    r"\b|\w\(s\)|\b1 (changes?|results?|tests?) that (add|differ|fail)\b"
)
ONE_JOB = textwrap.dedent("""\
    on: push
    jobs:
      test:
        runs-on: ubuntu-latest
        steps:
          - run: pytest
""")


def test_counted_words() -> None:
    assert (count(1, "job"), count(0, "job"), count(2, "job")) == ("1 job", "0 jobs", "2 jobs")
    assert count(1, "repository", "repositories") == "1 repository"
    assert count(3, "repository", "repositories") == "3 repositories"
    assert (noun(1, "step"), verb(1, "adds", "add"), verb(2, "adds", "add")) == ("step", "adds", "add")


def _one_of_everything() -> list[str]:
    report = analyze({".github/workflows/ci.yml": ONE_JOB}, Policy(), TODAY)
    plans = plan({".github/workflows/ci.yml": ONE_JOB}, Policy(), TODAY)
    as_json = report.as_json()
    scan = RepoScan(1, "o/r", SCANNED, NOW, "c" * 40, 1, 1, 1, {"parity": 1})
    amd = RunJob(
        1,
        1,
        1,
        ".github/workflows/ci.yml",
        "test (ubuntu-latest)",
        ("ubuntu-latest",),
        "completed",
        "success",
        created_at=NOW - 300,
        started_at=NOW - 200,
        completed_at=NOW - 100,
    )
    arm = RunJob(
        2,
        1,
        1,
        ".github/workflows/ci.yml",
        "test (ubuntu-24.04-arm)",
        ("ubuntu-24.04-arm",),
        "completed",
        "failure",
        created_at=NOW - 300,
        started_at=NOW - 200,
        completed_at=NOW - 90,
    )
    two_arch = analyze(
        {
            ".github/workflows/ci.yml": ONE_JOB.replace(
                "runs-on: ubuntu-latest",
                "runs-on: ${{ matrix.os }}\n    strategy:\n      matrix:\n"
                "        os: [ubuntu-latest, ubuntu-24.04-arm]",
            )
        },
        Policy(),
        TODAY,
    )
    pairing = pair(two_arch, [amd, arm], Policy(), NOW)
    cases_amd = {"tests::a": Case("tests::a", PASSED, 0.1)}
    cases_arm = {"tests::a": Case("tests::a", FAILED, 0.1)}
    tests = analyse(
        [
            Artifact(10, "test-results-amd64", 1, 100, cases=cases_amd),
            Artifact(11, "test-results-arm64", 1, 100, cases=cases_arm),
        ],
        pairing,
    )
    assert compare(cases_amd, cases_arm).failed_only_on  # the one test differs
    _, title, summary = results.check_output(pairing, tests, True)
    return [
        text.render(report),
        markdown.render(report),
        check_run.title(report, Policy()),
        check_run.summary_of(markdown.render(report), 1, 1, ["a note"]),
        dashboard.body(
            as_json,
            {".github/workflows/ci.yml": ["test"]},
            {".github/workflows/ci.yml": 4},
            "a" * 40,
            ["one leg waits"],
        ),
        review.body(1, 1, 1),
        fix_summary.summary(plans, written=False),
        org_report.markdown([scan], [], account="o"),
        results.comment("b" * 40, pairing, tests),
        title,
        summary,
    ]


def test_every_renderer_agrees_its_counts_with_one_of_everything() -> None:
    rendered = _one_of_everything()
    wrong = [(index, match.group(0)) for index, text_ in enumerate(rendered) for match in WRONG.finditer(text_)]
    assert wrong == []
    joined = "\n".join(rendered)
    for phrase in (
        "1 workflow (0 multi-arch), 1 job:",
        "1 job without full arm64 coverage, 1 error",
        "suggests 1 change that adds",
        "1 more suggestion is",
        "would fix 1 job in 1 file",
        "**1 repository**",
        "1 amd64/arm64 pair, 1 finished",
        "2 results differ between amd64 and arm64",
        "1 test of `test-results` fails on arm64 only",
    ):
        assert phrase in joined, phrase


@pytest.mark.parametrize(
    "sample", ["1 jobs", "2 job(s) fail", "1 change that add", "1 **workflows**", "1 test that fail"]
)
def test_the_check_catches_each_form(sample: str) -> None:
    assert WRONG.search(sample)
