"""Property tests: the fix engine over the ways people format workflows.

Whatever the indentation, dash style, sequence style, quoting, comments and anchors, a file
with nothing to fix comes back byte-identical, and a file with something to fix comes back
with the job at parity, every other line and every comment kept, and nothing more to fix.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.core.analysis import analyze
from bot.core.config import Policy
from bot.core.fixes import apply_plans, plan

TODAY = date(2026, 11, 28)


@dataclass(frozen=True)
class Style:
    indent: int
    flush_dashes: bool
    flow_sequences: bool
    quote: str
    comments: bool
    anchors: bool
    matrix: bool
    name: bool
    runner_dimension: bool
    already_parity: bool


styles = st.builds(
    Style,
    indent=st.sampled_from([2, 4]),
    flush_dashes=st.booleans(),
    flow_sequences=st.booleans(),
    quote=st.sampled_from(["", "'", '"']),
    comments=st.booleans(),
    anchors=st.booleans(),
    matrix=st.booleans(),
    name=st.booleans(),
    runner_dimension=st.booleans(),
    already_parity=st.booleans(),
)


def render(style: Style) -> str:
    unit = " " * style.indent
    q = style.quote
    dash = "" if style.flush_dashes else unit

    def comment(text: str) -> str:
        return f"  # {text}" if style.comments else ""

    def seq(level: str, key: str, items: list[str]) -> list[str]:
        if style.flow_sequences:
            return [f"{level}{key}: [{', '.join(items)}]{comment(key)}"]
        inner = level + ("" if style.flush_dashes else unit)
        return [f"{level}{key}:{comment(key)}"] + [f"{inner}- {item}" for item in items]

    job = unit
    body = unit * 2
    lines = ["name: CI" + comment("workflow"), "on:", f"{unit}push:", f"{unit * 2}branches: [main]"]
    if style.anchors:
        lines += ["env: &shared", f"{unit}PYTHONUNBUFFERED: '1'"]
    lines += ["jobs:"]
    if style.comments:
        lines += [f"{job}# the test job"]
    lines += [f"{job}test:{comment('job')}"]
    if style.name:
        lines += [f"{body}name: {q}Tests{q}"]
    versions = [f"{q or chr(39)}{v}{q or chr(39)}" for v in ("3.11", "3.12")]
    by_matrix = style.already_parity or style.runner_dimension
    if by_matrix:
        lines += [f"{body}runs-on: ${{{{ matrix.os }}}}"]
    else:
        lines += [f"{body}runs-on: {q}ubuntu-latest{q}{comment('runner')}"]
    if style.matrix or by_matrix:
        lines += [f"{body}strategy:", f"{body}{unit}matrix:"]
        if style.already_parity:
            lines += seq(body + unit * 2, "os", ["ubuntu-latest", "ubuntu-24.04-arm"])
        elif style.runner_dimension:
            lines += seq(body + unit * 2, "os", [f"{q}ubuntu-latest{q}"])
        if style.matrix:
            lines += seq(body + unit * 2, "python", versions)
    if style.anchors:
        lines += [f"{body}env: *shared"]
    lines += [f"{body}steps:"]
    lines += [
        f"{body}{dash}- uses: actions/checkout@v4{comment('checkout')}",
        f"{body}{dash}- run: |",
        f"{body}{dash}  {unit}pip install -e .",
        f"{body}{dash}  {unit}# not a YAML comment: part of the script",
        "",
        f"{body}{dash}- run: pytest",
    ]
    if style.comments:
        lines += ["", "# between jobs"]
    lines += [
        f"{job}docs:  # parity: ignore",
        f"{body}runs-on: ubuntu-latest",
        f"{body}steps:",
        f"{body}{dash}- run: make docs",
    ]
    return "\n".join(lines) + "\n"


def comments_of(text: str) -> list[str]:
    return re.findall(r"#.*", text)


@settings(max_examples=150, deadline=None)
@given(styles)
def test_formatting_is_kept(style: Style) -> None:
    source = render(style)
    report = analyze({"ci.yml": source}, Policy(), TODAY)
    assert report.workflows[0].error is None, source
    plans = plan({"ci.yml": source}, Policy(), TODAY)
    fixed = {"ci.yml": source, **apply_plans(plans)}["ci.yml"]
    if style.already_parity:
        assert fixed == source
        return
    after = analyze({"ci.yml": fixed}, Policy(), TODAY)
    assert after.workflows[0].error is None, fixed
    status = {job.job.id: job.status for job in after.workflows[0].jobs}
    assert status == {"test": "parity", "docs": "ignored"}, fixed
    old, new = source.splitlines(), fixed.splitlines()
    start = next(i for i, line in enumerate(old) if line.strip().startswith("test:"))
    assert new[: start + 1] == old[: start + 1]  # everything up to the job's key line
    docs = next(i for i, line in enumerate(old) if line.strip().startswith("docs:"))
    assert new[-(len(old) - docs) :] == old[docs:]  # the next job, byte for byte
    assert all(c in comments_of(fixed) for c in comments_of(source))
    changeable = ("runs-on", "name:", "os:")
    assert set(old) - set(new) <= {line for line in old if any(k in line for k in changeable)}
    if style.runner_dimension and style.quote:
        assert f"{style.quote}ubuntu-24.04-arm{style.quote}" in fixed  # the new item is quoted like its sibling
    again = plan({"ci.yml": fixed}, Policy(), TODAY)
    assert apply_plans(again) == {}
