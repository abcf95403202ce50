"""The one table of what parity-bot does with each job: which webhook events and actions it
queues, under which key (jobs with one key run one at a time, in order), and which handler
runs them; and the jobs the service queues itself (scans, reports, fix pull requests).
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from bot.service import fix_prs, handlers, org_report, scans, watchdog
from bot.service.events import (
    EventError,
    base_changed,
    check_key,
    installation_key,
    issue_key,
    pull_request_key,
    push_key,
    push_scan,
    results_key,
)
from bot.service.queue import Job

Payload = dict[str, Any]
Handler = Callable[[Job, Payload, "handlers.Context"], Awaitable[None]]


def _always(payload: Payload) -> bool:
    return True


def _asks_for_scan(payload: Payload) -> bool:
    """Of pushes, only those that ask for a scan: an organisation pushes all day."""
    try:
        return push_scan(payload) is not None
    except EventError:
        return False


@dataclass(frozen=True, slots=True)
class Route:
    event: str
    actions: frozenset[str] | None  # None: every action
    handler: Handler
    # The queue key of a webhook delivery; None for a job the service queues itself (with
    # its key), which no delivery may start.
    key: Callable[[Payload], str] | None = None
    wanted: Callable[[Payload], bool] = _always  # beyond the action

    def takes(self, event: str, payload: Payload) -> bool:
        return event == self.event and (self.actions is None or payload.get("action") in self.actions)


def _actions(*names: str) -> frozenset[str]:
    return frozenset(names)


ROUTES: tuple[Route, ...] = (
    # A pull request's check and suggestions (edited: only with a new base).
    Route(
        "pull_request",
        _actions("opened", "synchronize", "reopened", "ready_for_review", "edited"),
        handlers.pull_request_check,
        pull_request_key,
        base_changed,
    ),
    Route("check_run", _actions("rerequested"), handlers.pull_request_check, check_key),
    Route("check_suite", _actions("rerequested"), handlers.pull_request_check, check_key),
    Route("check_run", _actions("requested_action"), handlers.button, check_key),
    # Results: amd64 against arm64, and legs waiting for a runner.
    Route("workflow_run", _actions("completed"), handlers.results_of_run, results_key),
    Route("workflow_job", _actions("completed"), handlers.results_of_run, results_key),
    Route("workflow_job", _actions("queued", "in_progress"), handlers.watch_job, results_key),
    Route("issue_comment", _actions("created"), handlers.comment, issue_key),
    Route("issues", _actions("closed", "reopened", "edited"), handlers.dashboard_issue, issue_key),
    # Installations, and pushes to the default branch that touch workflows: scans.
    Route("installation", None, handlers.installation, installation_key),
    Route("installation_repositories", None, handlers.installation, installation_key),
    Route("push", None, handlers.push, push_key, _asks_for_scan),
    # Jobs the service queues itself.
    Route(scans.ROUND, None, handlers.scan_round),
    Route(scans.SCAN, None, handlers.scan),
    Route(org_report.ORG_REPORT, None, handlers.publish_org_report),
    Route(fix_prs.FIX, None, handlers.fix_pull_request),
    Route(watchdog.SWEEP, None, handlers.sweep),
)

# The webhook events a delivery may carry (a fixed set: metric labels come from it).
WEBHOOK_EVENTS = frozenset(route.event for route in ROUTES if route.key is not None)


def route(event: str, payload: Payload, delivered: bool) -> Route | None:
    """The route of a job; for a delivery (`delivered`), only the webhook routes count."""
    return next((r for r in ROUTES if r.takes(event, payload) and (r.key is not None or not delivered)), None)


def accepts(event: str, payload: Payload) -> str | None:
    """The queue key of a delivery parity-bot acts on; None for one it does not."""
    found = route(event, payload, delivered=True)
    if found is None or found.key is None or not found.wanted(payload):
        return None
    try:
        return found.key(payload)
    except EventError:
        return installation_key(payload)  # a payload without its repository: fails in the job


async def handle(job: Job, ctx: handlers.Context) -> None:
    """Run a claimed job with its route's handler."""
    payload = json.loads(job.payload)
    found = route(job.event, payload, delivered=False)
    if found is not None:
        await found.handler(job, payload, ctx)
