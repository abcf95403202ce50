"""The per-repository dashboard issue: found by its marker, edited in place, never twice.

After each scan of a repository whose policy says `dashboard: true`, the body is rendered
from the scan and written only when it changed (an unchanged round costs no call). A
maintainer who closes the issue turns the dashboard off until they reopen it (`issues`
closed/reopened events). Boxes ticked by someone with write access queue fix pull
requests; anyone else's tick is reverted with a short reply.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

from bot.core.scans import RepoScan
from bot.core.watchdog import describe
from bot.render import dashboard as render
from bot.service import rest
from bot.service.commands import can_write, reply
from bot.service.events import Repo
from bot.service.github import Api
from bot.service.logs import log
from bot.service.store import Dashboard, Store

logger = logging.getLogger("parity.dashboard")


async def refresh(
    api: Api,
    store: Store,
    app_login: Callable[[], Awaitable[str]],
    scan: RepoScan,
    report: dict[str, Any],
    runner_wait: float,
) -> int | None:
    """Write the dashboard for a scan; the issue number, or None when it is off."""
    repo = scan.repo
    now = time.time()
    waiting = [
        describe(leg.name, leg.labels, now - leg.queued_at)
        for leg in await store.waiting(now - runner_wait * 60, repo)
    ]
    text = render.body(report, scan.fixable, await store.open_fix_prs(repo), scan.commit, waiting)
    digest = hashlib.sha256(text.encode()).hexdigest()
    state = await store.dashboard(repo)
    if state is None:
        # Recorded only if no row came first: the issue's own events run under its key, not
        # the scan's, and one may be handled before GitHub answers the creation (on_issue).
        state = await _find(api, repo, await app_login())
        if state is None:
            created = await api.request(
                rest.CREATE_ISSUE, repo=repo, json={"title": render.TITLE, "body": text}
            )
            state = Dashboard(int(created["number"]), True, digest)
            state = await store.record_dashboard(scan.installation, repo, state)
            log(logger, logging.INFO, "dashboard created", repo=repo, issue=state.issue)
            return state.issue if state.open else None
        state = await store.record_dashboard(scan.installation, repo, state)
    if not state.open or state.body_sha == digest:
        return state.issue if state.open else None
    await api.request(rest.UPDATE_ISSUE, json={"body": text}, repo=repo, issue_number=state.issue)
    await store.dashboard_written(repo, state.issue, digest)
    return state.issue


async def _find(api: Api, repo: str, login: str) -> Dashboard | None:
    """Our dashboard issue, open or closed (a lost database row or a crash between creating
    and recording must not make a second one)."""
    issue = await api.own_issue(repo, login, render.MARKER)
    return Dashboard(int(issue["number"]), issue.get("state") == "open", None) if issue else None


async def _unrecorded(api: Api, issue: dict[str, Any]) -> bool:
    """Whether `issue`, not recorded as a dashboard, is one: the App wrote it, with the marker."""
    return (
        "pull_request" not in issue and render.MARKER in str(issue.get("body") or "") and await api.wrote(issue)
    )


async def on_issue(
    api: Api,
    store: Store,
    installation: int,
    repo: str,
    payload: dict[str, Any],
    request_fix: Callable[[str], Awaitable[None]],
) -> None:
    """`issues` closed, reopened or edited: only our dashboard's events matter.

    With no dashboard recorded, the App's own issue carrying the marker is one all the same:
    the scan that creates it records it only once GitHub has answered, under the scan's
    queue key, so its first events can be handled before (or its row was lost). Anyone can
    copy the marker; only GitHub sets the author.
    """
    issue = payload.get("issue") or {}
    number = int(issue.get("number") or 0)
    state = await store.dashboard(repo)
    if state is None and await _unrecorded(api, issue):
        state = Dashboard(number, issue.get("state") != "closed", None)
    if state is None or number != state.issue:
        return
    action = payload.get("action")
    if action in ("closed", "reopened"):
        state.open = action == "reopened"
        state.body_sha = None  # reopened: written again after the next scan
        await store.save_dashboard(installation, repo, state)
        log(logger, logging.INFO, "dashboard " + ("on" if state.open else "off"), repo=repo)
        return
    sender = payload.get("sender") or {}
    if action != "edited" or sender.get("type") == "Bot":
        return
    before = str(((payload.get("changes") or {}).get("body") or {}).get("from") or "")
    ticked = render.newly_ticked(before, str(issue.get("body") or ""))
    if not ticked:
        return
    user = str(sender.get("login"))
    owner, name = repo.split("/", 1)
    where = Repo(owner, name, "")
    if await can_write(api, where, user):
        for path in ticked:
            await request_fix(path)
        return
    await api.request(
        rest.UPDATE_ISSUE,
        repo=repo,
        issue_number=state.issue,
        json={"body": render.untick(str(issue.get("body") or ""), ticked)},
    )
    await reply(
        api,
        where,
        state.issue,
        f"@{user} thanks, but fix pull requests need write "
        "access to this repository, so I have unticked that box.",
    )
