"""The org report issue: one issue in the owner's `.github` repository (or the config's
`report_repository`), found by its marker and edited after every finished scan round."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from bot.core.scans import shown
from bot.render import org_report
from bot.service import rest
from bot.service.github import Api
from bot.service.logs import log
from bot.service.store import Store

logger = logging.getLogger("parity.org_report")

ORG_REPORT = "org-report"  # the queue's event name


async def publish(
    api: Api, store: Store, app_login: Callable[[], Awaitable[str]], payload: dict[str, Any]
) -> int:
    installation, target = int(payload["installation"]), str(payload["repository"])
    account = target.split("/", 1)[0]
    latest, previous, left_out = await store.latest(installation), await store.previous(installation), 0
    # Anyone who can read the report's repository reads the report: unless it is private
    # (as the installation's listing said), repositories not known to be public stay out.
    if not await store.is_private(target):
        public = await store.public_repos(installation)
        latest, left_out = shown(latest, public)
        previous, _ = shown(previous, public)
    text = org_report.markdown(latest, previous, account=account, left_out=left_out)
    mine = await api.own_issue(target, await app_login(), org_report.MARKER)
    if mine:
        number = int(mine["number"])
        if mine.get("body") != text:
            await api.request(rest.UPDATE_ISSUE, json={"body": text}, repo=target, issue_number=number)
    else:
        created = await api.request(
            rest.CREATE_ISSUE, repo=target, json={"title": org_report.TITLE, "body": text}
        )
        number = int(created["number"])
    log(logger, logging.INFO, "org report published", repository=target, issue=number)
    return number
