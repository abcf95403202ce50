"""Arm64 legs that no runner picks up: the most common way "arm64 CI" silently never runs.

A leg is stuck when it has been queued longer than the wait limit (RUNNER_WAIT_MINUTES,
30 by default) on labels that resolve to arm64. Plain data in, sentences out.
"""

from __future__ import annotations

from collections.abc import Sequence

from bot.core.runners import ARM64, resolve

RUNNER_WAIT_MINUTES = 30.0
QUEUED = "queued"


def runs_on_arm64(labels: Sequence[str]) -> bool:
    """Whether a job's labels (as the Actions API lists them) ask for an arm64 runner."""
    return bool(labels) and resolve(list(labels)).arch == ARM64


def stuck(status: str, labels: Sequence[str], waited: float, limit_minutes: float) -> bool:
    return status == QUEUED and waited >= limit_minutes * 60 and runs_on_arm64(labels)


def no_runner(labels: Sequence[str], waited: float) -> str:
    """`queued for 41 min: no runner with labels [self-hosted, ARM64] picked it up`."""
    return f"queued for {int(waited // 60)} min: no runner with labels [{', '.join(labels)}] picked it up"


def describe(name: str, labels: Sequence[str], waited: float) -> str:
    return f"arm64 leg `{name}` {no_runner(labels, waited)}"
