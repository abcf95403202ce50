"""Workers: claim a job, keep its lease alive, run its handler, settle it.

A `Transient` failure backs off exponentially and ends `dead` after the last attempt; a
`RateLimited` one goes back to the queue until GitHub's reset, without using an attempt;
a `Rejected` one (or a payload we cannot read) is dead at once, since trying again would
get the same answer. On shutdown workers stop claiming and finish what they hold. Every
job has a wall-clock limit (`timeout`): past it the job is cancelled, and that is a failed
attempt like any other.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import time
import traceback
from collections.abc import Awaitable, Callable

from bot.service.events import EventError
from bot.service.github import RateLimited, Rejected
from bot.service.logs import delivery_id, log
from bot.service.metrics import Registry
from bot.service.queue import Job, Queue, backoff

logger = logging.getLogger("parity.worker")

Handler = Callable[[Job], Awaitable[None]]


class JobTimeout(Exception):
    """The job ran past its wall-clock limit."""


class WorkerPool:
    def __init__(
        self,
        queue: Queue,
        handler: Handler,
        metrics: Registry,
        count: int,
        lease: float,
        max_attempts: int,
        timeout: float = 900.0,
    ) -> None:
        self.queue = queue
        self.handler = handler
        self.metrics = metrics
        self.count = count
        self.lease = lease
        self.max_attempts = max_attempts
        self.timeout = timeout
        self.name = f"{socket.gethostname()}:{os.getpid()}"
        self._wake = asyncio.Event()
        self._stopping = False
        self._tasks: list[asyncio.Task[None]] = []
        self.busy = 0

    def start(self) -> None:
        self._tasks = [asyncio.create_task(self._loop(f"{self.name}:{i}")) for i in range(self.count)]

    def wake(self) -> None:
        self._wake.set()

    @property
    def alive(self) -> bool:
        return bool(self._tasks) and not any(task.done() for task in self._tasks)

    async def stop(self, grace: float = 30.0) -> None:
        """Stop claiming; let running jobs finish (up to `grace` seconds)."""
        self._stopping = True
        self._wake.set()
        if self._tasks:
            _done, pending = await asyncio.wait(self._tasks, timeout=grace)
            for task in pending:
                task.cancel()  # its lease runs out and another worker takes the job

    async def _loop(self, worker: str) -> None:
        while not self._stopping:
            try:
                job = await self.queue.claim(worker, self.lease, self.max_attempts)
            except Exception as exc:  # the database is away: wait, don't die
                log(logger, logging.ERROR, "claim failed", error=str(exc))
                await asyncio.sleep(1.0)
                continue
            if job is None:
                self._wake.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), timeout=0.5)
                continue
            self.busy += 1
            try:
                await self._run(job, worker)
            finally:
                self.busy -= 1

    async def _heartbeat(self, job: Job, worker: str) -> None:
        while True:
            await asyncio.sleep(self.lease / 3)
            if not await self.queue.extend(job, worker, self.lease):
                return

    async def _run(self, job: Job, worker: str) -> None:
        token = delivery_id.set(job.delivery_id)
        started = time.monotonic()
        beat = asyncio.create_task(self._heartbeat(job, worker))
        try:
            try:
                await asyncio.wait_for(self.handler(job), self.timeout)
            except TimeoutError:
                raise JobTimeout(f"the job ran longer than {self.timeout:g} seconds") from None
        except RateLimited as exc:
            await self.queue.defer(job, exc.retry_at, str(exc))
            self.metrics.job_failures.labels(event=job.event, outcome="deferred").inc()
            log(
                logger,
                logging.WARNING,
                "rate limited; job re-queued",
                event=job.event,
                retry_in=round(exc.retry_at - time.time(), 1),
            )
        except (Rejected, EventError, ValueError, KeyError) as exc:
            await self.queue.retry(job, _describe(exc), 0, dead=True)
            self.metrics.job_failures.labels(event=job.event, outcome="dead").inc()
            log(logger, logging.ERROR, "job failed for good", event=job.event, error=str(exc))
        except Exception as exc:
            dead = job.attempts >= self.max_attempts
            delay = backoff(job.attempts)
            await self.queue.retry(job, _describe(exc), delay, dead=dead)
            self.metrics.job_failures.labels(event=job.event, outcome="dead" if dead else "retry").inc()
            log(
                logger,
                logging.ERROR if dead else logging.WARNING,
                "job dead after its last attempt" if dead else "job failed; will retry",
                event=job.event,
                attempt=job.attempts,
                error=str(exc),
                **({} if dead else {"retry_in": delay}),
            )
        else:
            await self.queue.complete(job)
            log(
                logger,
                logging.INFO,
                "job done",
                event=job.event,
                attempt=job.attempts,
                seconds=round(time.monotonic() - started, 3),
            )
        finally:
            beat.cancel()
            self.metrics.jobs.labels(event=job.event).observe(time.monotonic() - started)
            delivery_id.reset(token)


def _describe(exc: BaseException) -> str:
    if isinstance(exc, (Rejected, EventError, JobTimeout)):
        return str(exc)
    return "".join(traceback.format_exception_only(type(exc), exc)).strip()
