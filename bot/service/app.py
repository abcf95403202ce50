"""The HTTP side: webhook intake, health, readiness and metrics.

The path from request to 202 verifies, parses and stores; it makes no GitHub call and runs
no analysis. A delivery is on disk (or committed in PostgreSQL) before GitHub hears 202.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from bot.core.limits import REPLAY_WINDOW_SECONDS, WEBHOOK_MAX_BYTES
from bot.service import isolation, metrics_access, signatures, watchdog
from bot.service.logs import log
from bot.service.metrics import CONTENT_TYPE, Registry
from bot.service.queue import Queue
from bot.service.router import WEBHOOK_EVENTS, accepts
from bot.service.scans import start_round
from bot.service.settings import Settings
from bot.service.store import Store
from bot.service.worker import WorkerPool

logger = logging.getLogger("parity.intake")


class _TooLarge(Exception):
    pass


class _Busy(Exception):
    pass


class Unverified:
    """Bodies being read before their signature can be checked.

    Anyone can POST to the webhook, and a body is only known to be GitHub's once all of it
    has been read: so at most `bodies` are read at once and `max_bytes` held in all. Past
    that a request gets 503 at once (GitHub keeps a delivery it could not make, and the
    missed-delivery recovery asks for it again); the event loop never waits on them.
    """

    def __init__(self, bodies: int = 16, max_bytes: int = 64 * 1024 * 1024) -> None:
        self.bodies = bodies
        self.max_bytes = max_bytes
        self.reading = 0
        self.held = 0


async def _verified_body(
    request: Request, limit: int, secrets: Sequence[str], unverified: Unverified
) -> bytes | None:
    """The body when its signature matches, else None; _TooLarge, _Busy."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise _TooLarge
    if unverified.reading >= unverified.bodies:
        raise _Busy
    unverified.reading += 1
    held = 0  # this body's bytes counted in unverified.held
    try:
        verifier = signatures.Verifier(secrets)
        chunks: list[bytes] = []
        async for chunk in request.stream():
            if held + len(chunk) > limit:
                raise _TooLarge
            if unverified.held + len(chunk) > unverified.max_bytes:
                raise _Busy
            unverified.held += len(chunk)
            held += len(chunk)
            verifier.update(chunk)
            chunks.append(chunk)
        if not verifier.matches(request.headers.get("x-hub-signature-256")):
            return None
        return b"".join(chunks)
    finally:
        unverified.reading -= 1
        unverified.held -= held


def _reply(status: int, message: str) -> JSONResponse:
    return JSONResponse({"message": message}, status_code=status)


async def _replayed(store: Store, body: bytes, delivery: str) -> bool:
    """Whether another delivery id brought this very body within REPLAY_WINDOW_SECONDS.

    The delivery id is not signed: a captured body with its signature verifies under any
    id. GitHub's own redeliveries (ours, or an operator's in its UI) keep the id and the
    body, so they stay the same delivery and are answered as a repeat, as before."""
    digest = hashlib.sha256(body).hexdigest()
    return await store.first_delivery(digest, delivery, REPLAY_WINDOW_SECONDS) != delivery


def webhook_endpoint(
    settings: Settings,
    queue: Queue,
    pool: WorkerPool | None,
    metrics: Registry,
    max_bytes: int = WEBHOOK_MAX_BYTES,
    unverified: Unverified | None = None,
    replays: Store | None = None,
) -> Any:
    deliveries = metrics.deliveries
    reading = unverified or Unverified()

    async def webhook(request: Request) -> Response:
        event = request.headers.get("x-github-event", "")
        delivery = request.headers.get("x-github-delivery", "")
        # Label values come from a fixed set: headers are not signed, and a label per junk
        # request would let anyone grow /metrics without bound.
        shown = event if event in WEBHOOK_EVENTS else "other"
        signature = request.headers.get("x-hub-signature-256")
        if not signature:
            deliveries.labels(event="unverified", outcome="no_signature").inc()
            log(logger, logging.WARNING, "rejected delivery: no signature", event=event, delivery=delivery)
            return _reply(401, "X-Hub-Signature-256 is missing: is the App's webhook secret set?")
        body: bytes | None = None
        if signatures.well_formed(signature):  # else no body is read at all
            try:
                body = await _verified_body(request, max_bytes, settings.webhook_secrets, reading)
            except _TooLarge:
                deliveries.labels(event="unverified", outcome="too_large").inc()
                return _reply(413, f"payload over {max_bytes} bytes")
            except _Busy:
                deliveries.labels(event="unverified", outcome="busy").inc()
                return JSONResponse(
                    {"message": "too many unverified requests; try again"},
                    status_code=503,
                    headers={"retry-after": "1"},
                )
        if body is None:
            deliveries.labels(event="unverified", outcome="bad_signature").inc()
            log(logger, logging.WARNING, "rejected delivery: bad signature", event=event, delivery=delivery)
            return _reply(401, "signature does not match")
        if not event or not delivery:
            deliveries.labels(event=shown, outcome="bad_request").inc()
            return _reply(400, "X-GitHub-Event and X-GitHub-Delivery are required")
        try:
            payload = json.loads(body)
        except (ValueError, UnicodeDecodeError):
            deliveries.labels(event=shown, outcome="bad_json").inc()
            return _reply(400, "body is not JSON")
        if not isinstance(payload, dict):
            deliveries.labels(event=shown, outcome="bad_json").inc()
            return _reply(400, "body is not a JSON object")
        key = accepts(event, payload)
        if key is None:
            deliveries.labels(event=shown, outcome="ignored").inc()
            return _reply(202, "event not handled")
        if replays is not None and await _replayed(replays, body, delivery):
            deliveries.labels(event=shown, outcome="replayed").inc()
            log(logger, logging.WARNING, "rejected delivery: a replayed body", event=event, delivery=delivery)
            # 2xx, not 4xx: GitHub's record of a genuine duplicate (a button clicked twice)
            # must not look like a missed delivery, which the recovery would send again
            # until the window passed and it was processed after all
            return _reply(
                200,
                f"this body was delivered in the last {REPLAY_WINDOW_SECONDS // 60} minutes under "
                "another X-GitHub-Delivery; a replay is not processed again",
            )
        stored = await queue.enqueue(delivery, event, key, body.decode())
        if not stored:
            deliveries.labels(event=shown, outcome="duplicate").inc()
            return _reply(200, "delivery already received")
        deliveries.labels(event=shown, outcome="accepted").inc()
        if pool is not None:
            pool.wake()
        return _reply(202, "queued")

    return webhook


async def schedule_scans(settings: Settings, queue: Queue, store: Store) -> None:
    """Every SCAN_INTERVAL, one replica (whichever moves the schedule row) starts a round
    for each active installation. Looks at the row a few times per interval; on each look
    it also sweeps for arm64 legs waiting on a runner (their jobs are keyed, so replicas
    queue each once) and removes finished jobs and scan history past RETENTION_DAYS."""
    tick = max(0.5, min(60.0, settings.scan_interval / 4, settings.runner_wait_minutes * 15))
    while True:
        await asyncio.sleep(tick)
        try:
            await watchdog.sweep(queue, store, settings.runner_wait_minutes)
        except Exception as exc:
            log(logger, logging.ERROR, "runner watchdog sweep failed", error=str(exc))
        try:
            removed = await queue.purge(time.time() - settings.retention_days * 86400)
            if removed:
                log(logger, logging.INFO, "finished jobs past retention removed", jobs=removed)
            pruned = await store.prune_scans(time.time() - settings.retention_days * 86400)
            if pruned:
                log(
                    logger,
                    logging.INFO,
                    "scan history past retention removed",
                    scans=pruned.scans,
                    reports=pruned.reports,
                    rounds=pruned.rounds,
                )
        except Exception as exc:
            log(logger, logging.ERROR, "retention failed", error=str(exc))
        try:
            number = await store.claim_schedule("scans", settings.scan_interval)
            if number is None:
                continue
            for installation in await store.installations():
                known = await queue.installation(installation)
                if known is None or not known["active"]:
                    continue
                await start_round(
                    queue,
                    store,
                    installation,
                    str(known["account"]),
                    f"schedule:{number}:{installation}",
                    "scheduled",
                )
            log(logger, logging.INFO, "scheduled scan round started", round=number)
        except Exception as exc:  # the database is away: try at the next tick
            log(logger, logging.ERROR, "scan schedule failed", error=str(exc))


async def redeliver_missed(
    settings: Settings, store: Store, metrics: Registry, recover: Callable[[], Awaitable[int]]
) -> None:
    """On start and every REDELIVER_INTERVAL, one replica asks for missed deliveries."""
    while True:
        try:
            if (
                await store.claim_schedule("redeliver", settings.redeliver_interval, due_at_first=True)
                is not None
            ):
                metrics.recovered.inc(await recover())
        except Exception as exc:  # GitHub or the database away: try at the next look
            log(logger, logging.WARNING, "missed-delivery recovery failed", error=str(exc))
        await asyncio.sleep(max(0.5, min(60.0, settings.redeliver_interval / 4)))


def create_app(
    settings: Settings,
    queue: Queue,
    pool: WorkerPool,
    metrics: Registry,
    store: Store,
    recover: Callable[[], Awaitable[int]] | None = None,
) -> Starlette:

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        await queue.open()
        await store.open()
        pool.start()
        warming = asyncio.create_task(isolation.isolation().start())
        scheduler = asyncio.create_task(schedule_scans(settings, queue, store))
        recovery = (
            asyncio.create_task(redeliver_missed(settings, store, metrics, recover))
            if recover is not None
            else None
        )
        log(
            logger,
            logging.INFO,
            "parity-bot serving",
            port=settings.port,
            webhook_path=settings.webhook_path,
            workers=settings.workers,
            database=settings.database_url.split("://", 1)[0],
        )
        try:
            yield
        finally:
            log(logger, logging.INFO, "shutting down: finishing running jobs", busy=pool.busy)
            for task in (warming, scheduler, recovery):
                if task is not None:
                    task.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await task
            await pool.stop()
            isolation.isolation().close()
            await store.close()
            await queue.close()

    async def healthz(request: Request) -> Response:
        return PlainTextResponse("ok\n")

    async def readyz(request: Request) -> Response:
        try:
            await queue.ping()
        except Exception as exc:
            return _reply(503, f"database unreachable: {type(exc).__name__}")
        if not pool.alive:
            return _reply(503, "workers are not running")
        return _reply(200, "ready")

    async def metrics_endpoint(request: Request) -> Response:
        scraped = metrics.scraped
        try:
            stats = await queue.stats()
            scraped.queue = {
                "queued": stats.queued,
                "running": stats.running,
                "dead": stats.dead,
                "oldest_age": stats.oldest_age,
            }
        except Exception:  # the database is away: the series are left out, not faked
            scraped.queue = {}
        try:
            scraped.by_status = await store.by_status()
        except Exception:
            scraped.by_status = {}
        return Response(metrics.render(), media_type=CONTENT_TYPE)

    return Starlette(
        routes=[
            Route(
                settings.webhook_path,
                webhook_endpoint(settings, queue, pool, metrics, replays=store),
                methods=["POST"],
            ),
            Route("/healthz", healthz),
            Route("/readyz", readyz),
            Route("/metrics", metrics_access.guarded(metrics_endpoint, settings.metrics_token)),
        ],
        lifespan=lifespan,
    )
