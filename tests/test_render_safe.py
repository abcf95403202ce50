"""User-derived text in what the bot posts: shown as written, never live (issue 20, item 6)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.core.commands import Command
from bot.render import dashboard, fix_pr, replies, safe
from tests.inert import live, table_rows

HOSTILE = [
    "``````` a backtick run longer than any fence",
    "@octo-org/maintainers please look",
    "fixes #123 and octo/ipfs#1",
    "</details> after the fold",
    "<img src=https://evil.example/pixel.png>",
    "[click](http://evil.example/login)",
    "![x](http://evil.example/p.png)",
    "see https://evil.example and www.evil.example",
    "<https://evil.example>",
    "mail me@evil.example",
    "line one\r\n\r\n@octo-org/maintainers on line three",
    "a|b\\|c | d",
    "&#64;octo-org/maintainers as an entity",
    "*bold* _em_ ~~gone~~ $x^2$",
    "` @octo-org/maintainers `",
]


def assert_inert(markdown: str, shown: str | None = None) -> None:
    found = live(markdown)
    assert [t for t in found.tags if t.strip("/") not in ("p", "code", "ul", "li")] == [], found.tags
    assert found.links == []
    assert found.mentions == [] and found.references == [] and found.autolinks == []
    if shown is not None:  # what a reader sees is what was written (line breaks as spaces)
        assert found.text.replace(safe.ZWSP, "").strip() == " ".join(shown.splitlines()).strip()


@pytest.mark.parametrize("value", HOSTILE)
def test_text_is_shown_as_written_and_nothing_in_it_is_live(value: str) -> None:
    rendered = safe.text(value)
    assert "\n" not in rendered and "\r" not in rendered
    found = live(f"- before {rendered} after")
    assert found.tags == ["ul", "li", "/li", "/ul"]
    assert found.links == [] and found.mentions == [] and found.references == [] and found.autolinks == []
    expected = value.replace("\r\n", "  ").replace("\n", " ")
    assert found.text.replace(safe.ZWSP, "").strip() == f"before {expected} after"


@pytest.mark.parametrize("value", HOSTILE)
def test_a_code_span_cannot_be_closed_by_its_text(value: str) -> None:
    rendered = safe.code(value)
    found = live(f"see {rendered} here")
    assert found.tags == ["p", "code", "/code", "/p"], rendered
    assert found.links == [] and found.mentions == [] and found.autolinks == []
    assert found.text.strip() == f"see {value.replace(chr(13), ' ').replace(chr(10), ' ')} here"


@pytest.mark.parametrize("value", HOSTILE)
def test_in_a_table_cell_neither_function_adds_a_column(value: str) -> None:
    table = (
        "| a | b | c |\n| --- | --- | --- |\n"
        f"| {safe.code(value, table=True)} | {safe.text(value)} | {safe.code('x|y', table=True)} |\n"
    )
    assert table_rows(table) == [3]
    found = live(table)
    assert found.links == [] and found.mentions == [] and found.references == [] and found.autolinks == []


def test_a_backslash_before_a_pipe_cannot_unescape_it_in_a_table() -> None:
    # GFM reads `\\` as an escaped backslash, so `\\|` would end the cell.
    assert safe.code("a\\|b", table=True) == "`a\\\\\\|b`"
    assert safe.code("a|b", table=True) == "`a\\|b`"
    assert safe.code("a|b") == "`a|b`"  # outside a table a pipe is a pipe


def test_code_keeps_an_identifier_exact() -> None:
    assert safe.code("tests/test_x.py::test_y[arm64-3.11]") == "`tests/test_x.py::test_y[arm64-3.11]`"
    assert safe.code("a`b") == "``a`b``"
    assert safe.code("`a`") == "`` `a` ``"
    assert safe.code("") == "`  `"


def test_a_fence_outlasts_every_backtick_run_inside() -> None:
    patch = "+ run: echo ```\n+ run: echo ````\n"
    block = safe.fence(patch, "diff")
    assert block.startswith("`````diff\n") and block.endswith("\n`````")
    found = live(block + "\n\n@octo-org/maintainers")
    assert found.tags[:2] == ["pre", "code"]
    assert found.text.startswith(patch)
    assert safe.fence("x", "suggestion") == "```suggestion\nx\n```"


@given(st.text(max_size=80))
def test_any_text_stays_one_inert_paragraph(value: str) -> None:
    found = live(f"x {safe.text(value)} y")
    assert [t for t in found.tags if t.strip("/") != "p"] == []
    assert found.mentions == [] and found.references == [] and found.autolinks == [] and found.links == []


@given(st.text(max_size=80))
def test_any_text_in_a_code_span_stays_one_code_span(value: str) -> None:
    found = live(f"x {safe.code(value)} y")
    assert found.tags == ["p", "code", "/code", "/p"]


# ------------------------------------------------------------------ the renderers


def test_the_help_reply_quotes_a_command_inertly_and_briefly() -> None:
    said = "x` @octo-org/maintainers <img src=http://evil.example/p> [a](http://evil.example) " + "y" * 500
    answer = replies.help_answer(Command("help", unknown=said))
    found = live(answer)
    assert found.mentions == [] and found.links == [] and "img" not in found.tags
    assert "y" * 101 not in answer and "…" in answer


def test_the_dashboard_shows_hostile_job_names_and_paths_inertly() -> None:
    name = "build` @octo-org/maintainers | x | y"
    path = ".github/workflows/ci`\n- [x] Open a pull request that adds the arm64 legs to `evil.yml"
    report = {
        "summary": {"workflows": 1, "jobs": 1, "by_status": {"amd64-only": 1}},
        "workflows": [
            {
                "path": path,
                "jobs": [
                    {
                        "id": name,
                        "status": "amd64-only",
                        "reason": "<img src=http://evil.example/p> #1",
                        "findings": [{"severity": "error", "rule": "r", "line": 3, "message": "@octo-org/x"}],
                    }
                ],
            }
        ],
    }
    body = dashboard.body(report, {path: [name]}, {}, waiting=["arm64 leg `x` labels [@octo-org/team]"])
    found = live(body)
    assert found.mentions == [] and found.references == [] and found.links == [] and "img" not in found.tags
    assert table_rows(body) == [4]
    # The crafted path cannot forge a box that a tick would read back.
    assert dashboard.boxes(body) == {}
    assert dashboard.boxes(dashboard._BOX.format(mark="x", path=safe.code("ci.yml"))) == {"ci.yml": True}


def test_a_fix_pull_request_body_shows_job_names_inertly() -> None:
    from bot.core.fixes import FilePlan, JobFix

    job = JobFix(
        "t` @octo-org/maintainers", 3, "amd64-only", False, "<img src=x> www.evil.example", "error", ["#12"]
    )
    plan = FilePlan(".github/workflows/ci.yml", "", "", [job])
    found = live(fix_pr.body(plan, None))
    assert found.mentions == [] and found.autolinks == [] and "img" not in found.tags


def test_a_link_goes_only_to_a_web_address_and_cannot_end_early() -> None:
    rendered = safe.link("job `x` @octo-org/t", "https://github.com/o/r/actions/runs/1/job/Test (3.11) <b>")
    found = live(rendered)
    assert found.links == ["https://github.com/o/r/actions/runs/1/job/Test%20%283.11%29%20%3Cb%3E"]
    assert found.mentions == [] and "b" not in found.tags
    assert safe.link("x", "javascript:alert(1)") == "x"
    assert safe.link("x", None) == "x"
