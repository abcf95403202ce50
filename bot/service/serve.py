"""`parity-bot serve`: wire settings, logging, queue, workers and the HTTP app; run uvicorn."""

from __future__ import annotations

import sys
from collections.abc import Awaitable, Callable

import uvicorn

from bot.service import logs
from bot.service.settings import (
    WRITE_WINDOW,
    Settings,
    SettingsError,
    from_environment,
    write_cap,
)


def build_app(settings: Settings) -> object:
    if settings.setup_mode:
        from bot.service.setup import create_setup_app

        return create_setup_app(settings)
    from bot.service.app import create_app
    from bot.service.github import Clients
    from bot.service.handlers import Context
    from bot.service.metrics import Registry
    from bot.service.queue import Job, open_queue
    from bot.service.router import handle
    from bot.service.store import Store
    from bot.service.worker import WorkerPool

    assert settings.app_id is not None and settings.private_key is not None
    from bot.service import isolation

    isolation.configure(settings.analysis_processes, settings.analysis_memory_mb, settings.analysis_timeout)
    metrics = Registry()
    queue = open_queue(settings.database_url)
    clients = Clients(
        settings.app_id, settings.private_key, settings.github_api_url, settings.github_timeout, metrics
    )
    store = Store(settings.database_url)

    def write_budget(installation: int) -> Callable[[], Awaitable[float | None]]:
        async def take() -> float | None:
            return await store.take_write(installation, WRITE_WINDOW, write_cap(settings.writes_per_minute))

        return take

    clients.write_budget = write_budget
    from bot.service.results import Memory

    context = Context(
        clients,
        queue,
        settings.max_attempts,
        store,
        metrics,
        settings.scan_rate_share,
        Memory(settings.runner_wait_minutes),
    )

    async def handler(job: Job) -> None:
        await handle(job, context)

    pool = WorkerPool(
        queue,
        handler,
        metrics,
        settings.workers,
        settings.lease_seconds,
        settings.max_attempts,
        settings.job_timeout,
    )
    from bot.service.redeliver import recover

    async def recover_missed() -> int:
        return await recover(clients, queue)

    return create_app(settings, queue, pool, metrics, store, recover_missed)


def _settings() -> Settings | None:
    try:
        return from_environment()
    except SettingsError as exc:
        sys.stderr.write(f"parity-bot: {exc}\n")
        return None


def _run(app: object, settings: Settings) -> uvicorn.Server:
    config = uvicorn.Config(
        app,  # type: ignore[arg-type]
        host=settings.host,
        port=settings.port,
        log_config=None,
        access_log=False,
        lifespan="on",
        timeout_graceful_shutdown=30,
    )
    return uvicorn.Server(config)


def main() -> int:
    settings = _settings()
    if settings is None:
        return 2
    logs.setup(settings.log_level, settings.log_format, settings.secrets())
    try:
        app = build_app(settings)
    except SettingsError as exc:  # the App manifest (setup mode) unreadable
        sys.stderr.write(f"parity-bot: {exc}\n")
        return 2
    _run(app, settings).run()
    return 0


def setup_main() -> int:
    """`parity-bot setup`: the setup page until the App is registered, then exit 0; at once
    if it is registered already. Replicas started after it (compose) find the credentials."""
    settings = _settings()
    if settings is None:
        return 2
    logs.setup(settings.log_level, settings.log_format, settings.secrets())
    if not settings.setup_mode:
        sys.stderr.write("parity-bot: the App is registered already (APP_ID is set); nothing to set up\n")
        return 0
    from bot.service.setup import create_setup_app

    server: uvicorn.Server | None = None

    def stop() -> None:
        if server is not None:
            server.should_exit = True

    try:
        app = create_setup_app(settings, on_registered=stop)
    except SettingsError as exc:
        sys.stderr.write(f"parity-bot: {exc}\n")
        return 2
    server = _run(app, settings)
    server.run()
    return 0
