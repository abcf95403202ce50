"""One handler per event; the worker calls `handle` with a claimed job."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field

from bot.render.results import RERUN_ACTION
from bot.service import commands, pull_requests, results
from bot.service.events import (
    installation_change,
    installation_of,
    pull_request_checks,
    repo_of,
    wants_check,
)
from bot.service.github import Clients
from bot.service.logs import log
from bot.service.queue import Job, Queue

logger = logging.getLogger("parity.handlers")


@dataclass(frozen=True, slots=True)
class Context:
    clients: Clients
    queue: Queue
    max_attempts: int
    memory: results.Memory = field(default_factory=results.Memory)


async def handle(job: Job, ctx: Context) -> None:
    payload = json.loads(job.payload)
    if job.event in ("installation", "installation_repositories"):
        await _installation(job.event, payload, ctx)
        return
    if job.event in ("workflow_run", "workflow_job"):
        holder = payload[job.event]
        async with ctx.clients.installation(installation_of(payload)) as api:
            await results.run(api, repo_of(payload), str(holder["head_sha"]),
                              list(holder.get("pull_requests") or []), ctx.memory)
        return
    if job.event == "issue_comment":
        async with ctx.clients.installation(installation_of(payload)) as api:
            await commands.on_comment(api, repo_of(payload), payload, installation_of(payload),
                                      job.delivery_id, job.runs)
        return
    if job.event == "check_run" and payload.get("action") == "requested_action":
        if (payload.get("requested_action") or {}).get("identifier") == RERUN_ACTION["identifier"]:
            async with ctx.clients.installation(installation_of(payload)) as api:
                await commands.on_button(api, repo_of(payload), payload)
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
