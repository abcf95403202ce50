"""`--format json`, version 1 (the README's "JSON output" specifies it): other people's
tooling parses this; keep it stable.

One line of compact JSON: `json` then uses its C encoder (indenting forces the pure-Python
one, 6x slower on a 54-file repository). Pipe through `jq` to read it.
"""

from __future__ import annotations

import json

from bot.core.analysis import Report


def render(report: Report) -> str:
    return json.dumps(report.as_json(), ensure_ascii=False, separators=(",", ":")) + "\n"
