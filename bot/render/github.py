"""`--format github`: workflow commands that Actions turns into annotations."""

from __future__ import annotations

from bot.core.analysis import Report

_LEVEL = {"error": "error", "warning": "warning", "note": "notice"}


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def render(report: Report) -> str:
    lines = []
    for path, item in report.findings():
        props = [f"file={_escape_property(path)}"]
        if item.line:
            props.append(f"line={item.line}")
        props.append(f"title={_escape_property(item.rule)}")
        lines.append(f"::{_LEVEL[item.severity]} {','.join(props)}::{_escape_data(item.message)}")
    return "\n".join(lines) + ("\n" if lines else "")
