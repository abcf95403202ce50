"""Missed deliveries: GitHub does not retry a delivery that failed (the service was down,
or slow); it keeps it for three days. On start and every REDELIVER_INTERVAL one replica
(whichever wins the schedule row) lists the App's recent deliveries and asks GitHub to
redeliver each failed one this service never stored.
"""

from __future__ import annotations

import logging
import time
from datetime import datetime
from typing import Any

from bot.service import rest
from bot.service.github import Clients, app_request
from bot.service.logs import log
from bot.service.queue import Queue
from bot.service.router import WEBHOOK_EVENTS

logger = logging.getLogger("parity.redeliver")

WINDOW = 3 * 86400.0  # GitHub keeps deliveries (and redelivers them) for three days
MAX_PAGES = 50


def _when(text: Any) -> float:
    try:
        return datetime.fromisoformat(str(text).replace("Z", "+00:00")).timestamp()
    except ValueError:
        return 0.0


def missed(deliveries: list[dict[str, Any]], now: float) -> dict[str, dict[str, Any]]:
    """By guid, the latest failed attempt of each handled delivery in the window that no
    attempt answered with 2xx."""
    ok = {d.get("guid") for d in deliveries if 200 <= int(d.get("status_code") or 0) < 300}
    failed: dict[str, dict[str, Any]] = {}
    for item in deliveries:
        guid = item.get("guid")
        if (
            not guid
            or guid in ok
            or item.get("event") not in WEBHOOK_EVENTS
            or _when(item.get("delivered_at")) < now - WINDOW
        ):
            continue
        if guid not in failed or int(item["id"]) > int(failed[guid]["id"]):
            failed[guid] = item
    return failed


async def recover(clients: Clients, queue: Queue) -> int:
    """Ask for the redelivery of every missed delivery; how many were asked for."""
    now = time.time()
    gh = clients.app_client()
    deliveries: list[dict[str, Any]] = []
    async with gh:
        params: dict[str, Any] = {"per_page": 100}
        for _ in range(MAX_PAGES):
            response = await app_request(gh, rest.HOOK_DELIVERIES, params)
            page = response.json()
            deliveries += page
            cursor = _next_cursor(response.headers.get("link", ""))
            if not page or cursor is None or min(_when(d.get("delivered_at")) for d in page) < now - WINDOW:
                break
            params = {"per_page": 100, "cursor": cursor}
        failed = missed(deliveries, now)
        stored = await queue.known(sorted(failed))
        asked = 0
        for guid, item in sorted(failed.items()):
            if guid in stored:
                continue  # it reached us after all (a later attempt, another replica)
            await app_request(gh, rest.REDELIVER, delivery_id=item["id"])
            asked += 1
    log(
        logger,
        logging.INFO,
        "missed deliveries asked for again",
        listed=len(deliveries),
        failed=len(failed),
        redelivered=asked,
    )
    return asked


def _next_cursor(link: str) -> str | None:
    for part in link.split(","):
        if 'rel="next"' in part and "cursor=" in part:
            return part.split("cursor=", 1)[1].split(">", 1)[0].split("&", 1)[0]
    return None
