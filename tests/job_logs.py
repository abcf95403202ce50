"""Job logs as GitHub writes them, for the tests: a timestamp on every line, `##[group]`
around each step's header, ANSI colours where runners print them, and the jobs API's
`steps` that go with the log."""

from __future__ import annotations

import time
from typing import Any

START = 1_780_000_000.0  # when the job's first step starts (2026-05-28)


def _at(seconds: float) -> str:
    whole = int(seconds)
    fraction = int((seconds - whole) * 10_000_000)
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(whole)) + f".{fraction:07d}Z"


def _api_time(seconds: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(int(seconds)))


def job_log(
    steps: list[tuple[str, str, list[str]]], start: float = START, per_step: float = 10.0
) -> tuple[bytes, list[dict[str, Any]]]:
    """(the log, the jobs API's steps) of a job whose steps are (name, conclusion, output
    lines); a failed step ends in GitHub's `##[error]Process completed with exit code 1.`
    Each step takes `per_step` seconds, its lines spread over them."""
    lines: list[str] = []
    api: list[dict[str, Any]] = [
        {
            "name": "Set up job",
            "status": "completed",
            "conclusion": "success",
            "number": 1,
            "started_at": _api_time(start),
            "completed_at": _api_time(start + 1),
        }
    ]
    lines += [f"{_at(start)} Current runner version: '2.321.0'", f"{_at(start + 0.5)} ##[group]Runner Image"]
    lines += [f"{_at(start + 0.5)}   Image: ubuntu-24.04", f"{_at(start + 0.5)} ##[endgroup]"]
    moment = start + 2
    for number, (name, conclusion, output) in enumerate(steps, start=2):
        began = moment
        body = [f"##[group]Run {name}", f"\x1b[36;1m{name}\x1b[0m", "##[endgroup]", *output]
        if conclusion == "failure":
            body.append("##[error]Process completed with exit code 1.")
        step = per_step / max(1, len(body))
        for line in body:
            lines.append(f"{_at(moment)} {line}")
            moment += step
        api.append(
            {
                "name": name,
                "status": "completed",
                "conclusion": conclusion,
                "number": number,
                "started_at": _api_time(began),
                "completed_at": _api_time(moment),
            }
        )
        moment = float(int(moment) + 1)
    lines.append(f"{_at(moment)} Cleaning up orphan processes")
    return ("\n".join(lines) + "\n").encode(), api
