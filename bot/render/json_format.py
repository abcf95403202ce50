"""`--format json`, version 1 (the README's "JSON output" specifies it): other people's
tooling parses this; keep it stable.

One line of compact JSON: `json` then uses its C encoder (indenting forces the pure-Python
one, 6x slower on a 54-file repository). Pipe through `jq` to read it.

It is `Report.as_json()` written a workflow at a time, so only one workflow's objects exist at
once: the whole document as objects took some 3 MB, and a page of memory touched for the
first time costs about 3 us here (rendering ipfs_kit_py's 54 files took 931 page faults
that way, 329 this way).
"""

from __future__ import annotations

import json
from typing import Any

from bot.core.analysis import Report


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def render(report: Report) -> str:
    head = _dumps(report.head_json())  # `{…}`, opened again for the workflows, its last key
    parts = [head[:-1], ',"workflows":[']
    for workflow in report.workflows:
        parts.extend((_dumps(workflow.as_json(report.policy.platforms)), ","))
    if report.workflows:
        parts.pop()  # the comma after the last
    parts.append("]}\n")
    return "".join(parts)
