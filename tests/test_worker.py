"""The workers against a real queue: every job has a wall-clock limit."""

from __future__ import annotations

import asyncio
from pathlib import Path

from bot.service.metrics import Registry
from bot.service.queue import Job, SqliteQueue
from bot.service.worker import WorkerPool


async def test_a_job_past_its_time_is_cancelled_counted_as_a_failure_and_frees_its_key(tmp_path: Path) -> None:
    queue = SqliteQueue(str(tmp_path / "q.db"))
    await queue.open()
    await queue.enqueue("hangs", "pull_request", "o/r#1", "{}")
    await queue.enqueue("next", "pull_request", "o/r#1", "{}")
    ran: list[str] = []
    cancelled = asyncio.Event()

    async def handler(job: Job) -> None:
        ran.append(job.delivery_id)
        if job.delivery_id == "hangs":
            try:
                await asyncio.sleep(3600)  # a call that never answers, say
            except asyncio.CancelledError:
                cancelled.set()
                raise

    pool = WorkerPool(queue, handler, Registry(), count=1, lease=30, max_attempts=1, timeout=0.3)
    pool.start()
    try:
        for _ in range(100):
            if "next" in ran:
                break
            await asyncio.sleep(0.05)
    finally:
        await pool.stop(grace=5)
        await queue.close()
    assert ran == ["hangs", "next"]
    assert cancelled.is_set()
    await queue.open()
    assert await queue.state("hangs") == ("dead", "the job ran longer than 0.3 seconds")
    await queue.close()
