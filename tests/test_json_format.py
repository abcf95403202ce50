"""`--format json` is written a workflow at a time: it must be, byte for byte, the compact
dump of `Report.as_json()` (the README's JSON output)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from benchmarks.workflows import generate
from bot.core.analysis import Report, analyze
from bot.core.config import Policy
from bot.render import json_format
from tests.conftest import TODAY

ODD = b"""\
name: "\xc3\xa9t\xc3\xa9 \\u2028 \\"quoted\\" </script>"
on: push
jobs:
  "t\xc3\xa9st":
    name: "line\\nbreak \xf0\x9f\x9a\x80"
    runs-on: ${{ matrix.os }}
    strategy:
      matrix:
        os: [ubuntu-latest, ubuntu-24.04-arm]
        python: ["3.12", 3.10]
    steps:
      - run: pytest
"""


def whole(report: Report) -> str:
    return json.dumps(report.as_json(), ensure_ascii=False, separators=(",", ":")) + "\n"


def test_a_repository_is_written_as_the_dump_of_the_whole_report(tmp_path: Path) -> None:
    generate(tmp_path)
    folder = tmp_path / ".github" / "workflows"
    files = {f".github/workflows/{path.name}": path.read_bytes() for path in sorted(folder.iterdir())}
    files[".github/workflows/odd.yml"] = ODD
    files[".github/workflows/broken.yml"] = b"jobs: [1, 2\n"
    report = analyze(files, Policy(), TODAY)
    assert len(report.workflows) > 10
    written = json_format.render(report)
    assert written == whole(report)
    assert written.count("\n") == 1 and json.loads(written)["version"] == 1


@pytest.mark.parametrize("count", [0, 1])
def test_no_workflow_or_one(count: int) -> None:
    files = {".github/workflows/odd.yml": ODD} if count else {}
    report = analyze(files, Policy(), TODAY)
    assert json_format.render(report) == whole(report)
