"""One handler per event; the worker calls `handle` with a claimed job."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass

from bot.service import pull_requests
from bot.service.events import installation_change, pull_request_checks, wants_check
from bot.service.github import Clients
from bot.service.logs import log
from bot.service.queue import Job, Queue

logger = logging.getLogger("parity.handlers")


@dataclass(frozen=True, slots=True)
class Context:
    clients: Clients
    queue: Queue
    max_attempts: int


async def handle(job: Job, ctx: Context) -> None:
    payload = json.loads(job.payload)
    if job.event in ("installation", "installation_repositories"):
        await _installation(job.event, payload, ctx)
        return
    if not wants_check(job.event, payload):
        return
    attempt = pull_requests.Attempt(job.delivery_id, job.runs, job.attempts >= ctx.max_attempts)
    for check in pull_request_checks(job.event, payload):
        async with ctx.clients.installation(check.installation) as api:
            await pull_requests.run(api, check, attempt)


async def _installation(event: str, payload: dict[str, object], ctx: Context) -> None:
    change = installation_change(event, payload)
    known = await ctx.queue.installation(change.installation)
    repos: list[str] | None
    if event == "installation":
        repos = list(change.added)
    else:
        current = set(known["repositories"]) if known else set()
        repos = sorted((current | set(change.added)) - set(change.removed))
    active = change.action not in ("deleted", "suspend")
    await ctx.queue.record_installation(change.installation, change.account, repos, active)
    log(logger, logging.INFO, "installation recorded", installation=change.installation,
        account=change.account, action=change.action, repositories=len(repos))
