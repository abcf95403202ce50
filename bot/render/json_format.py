"""`--format json`, version 1 (GUIDE §2.2): other people's tooling parses this; keep it stable."""

from __future__ import annotations

import json

from bot.core.analysis import Report


def render(report: Report) -> str:
    return json.dumps(report.as_json(), indent=2, ensure_ascii=False) + "\n"
