"""`--format sarif`: SARIF 2.1.0 for GitHub code scanning."""

from __future__ import annotations

import json
from typing import Any

from bot import __version__
from bot.core.analysis import Report
from bot.core.findings import RULES

_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"


def render(report: Report) -> str:
    rule_ids = list(RULES)
    results = []
    for path, item in report.findings():
        physical: dict[str, Any] = {"artifactLocation": {"uri": path}}
        if item.line:
            physical["region"] = {"startLine": item.line}
        location = {"physicalLocation": physical}
        results.append(
            {
                "ruleId": item.rule,
                "ruleIndex": rule_ids.index(item.rule),
                "level": item.severity,
                "message": {"text": item.message},
                "locations": [location],
            }
        )
    document = {
        "$schema": _SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "parity-bot",
                        "version": __version__,
                        "informationUri": "https://github.com/parity-bot/parity-bot",
                        "rules": [
                            {
                                "id": rule,
                                "shortDescription": {"text": description},
                                "defaultConfiguration": {"level": severity},
                            }
                            for rule, (severity, description) in RULES.items()
                        ],
                    }
                },
                "results": results,
            }
        ],
    }
    return json.dumps(document, indent=2) + "\n"
