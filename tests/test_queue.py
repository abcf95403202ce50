"""The queue's behaviour, the same on both backends: SQLite and a real PostgreSQL server."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest

from bot.service.queue import PostgresQueue, Queue, SqliteQueue, backoff
from tests import postgres


async def _pg_database() -> str:
    """A fresh database on the tests' PostgreSQL (tests/postgres.py: PARITY_TEST_POSTGRES,
    else a throwaway server); never skipped: a PostgreSQL test that cannot run fails."""
    import asyncpg

    try:
        admin_url = await asyncio.to_thread(postgres.admin_url)
    except postgres.PostgresUnavailable as exc:
        pytest.fail(str(exc))
    name = f"parity_test_{uuid.uuid4().hex[:12]}"
    try:
        admin = await asyncpg.connect(admin_url)
    except (OSError, asyncpg.PostgresError) as exc:
        pytest.fail(f"PostgreSQL is not reachable at {admin_url} ({exc})")
    await admin.execute(f'CREATE DATABASE "{name}"')
    await admin.close()
    return admin_url.rsplit("/", 1)[0] + "/" + name


async def _drop(url: str) -> None:
    import asyncpg

    admin = await asyncpg.connect(postgres.admin_url())
    await admin.execute(f'DROP DATABASE IF EXISTS "{url.rsplit("/", 1)[1]}" WITH (FORCE)')
    await admin.close()


@pytest.fixture(params=["sqlite", "postgres"])
async def make_queue(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Callable[[], Queue]]:
    """A factory: every call is another connection to the same queue (another replica)."""
    opened: list[Queue] = []
    url = await _pg_database() if request.param == "postgres" else str(tmp_path / "q.db")

    def make() -> Queue:
        queue: Queue = PostgresQueue(url) if request.param == "postgres" else SqliteQueue(url)
        opened.append(queue)
        return queue

    yield make
    for queue in opened:
        await queue.close()
    if request.param == "postgres":
        await _drop(url)


async def opened(make: Callable[[], Queue]) -> Queue:
    queue = make()
    await queue.open()
    return queue


async def test_a_delivery_is_stored_once(make_queue: Callable[[], Queue]) -> None:
    queue = await opened(make_queue)
    assert await queue.enqueue("d1", "pull_request", "o/r#1", "{}") is True
    assert await queue.enqueue("d1", "pull_request", "o/r#1", "{}") is False
    assert (await queue.stats()).queued == 1


async def test_jobs_of_one_key_run_one_at_a_time(make_queue: Callable[[], Queue]) -> None:
    queue = await opened(make_queue)
    await queue.enqueue("a1", "pull_request", "o/r#1", "1")
    await queue.enqueue("a2", "pull_request", "o/r#1", "2")
    await queue.enqueue("b1", "pull_request", "o/r#2", "3")
    first = await queue.claim("w1", 30)
    second = await queue.claim("w2", 30)
    assert first is not None and second is not None
    assert (first.delivery_id, second.delivery_id) == ("a1", "b1")
    assert await queue.claim("w3", 30) is None  # a2 waits for a1
    await queue.complete(first)
    third = await queue.claim("w3", 30)
    assert third is not None and third.delivery_id == "a2"


async def test_heads_deferred_behind_their_due_followers_are_still_claimed(
    make_queue: Callable[[], Queue],
) -> None:
    """Each key's first job is deferred (a rate limit) while its second is already due: the
    due followers must not crowd the deferred heads out of the claim once they are due."""
    queue = await opened(make_queue)
    keys = [f"o/r#{n}" for n in range(30)]
    for key in keys:
        await queue.enqueue(f"head-{key}", "pull_request", key, "{}")
        await queue.enqueue(f"next-{key}", "pull_request", key, "{}")
    for _ in keys:
        head = await queue.claim("w", 30)
        assert head is not None and head.delivery_id.startswith("head-")
        await queue.defer(head, time.time() + 0.3, "rate limited")
    assert await queue.claim("w", 30) is None  # every key waits for its head
    await asyncio.sleep(0.4)
    claimed = [await queue.claim("w", 30) for _ in keys]
    assert sorted(job.delivery_id for job in claimed if job) == sorted(f"head-{k}" for k in keys)


async def test_an_expired_lease_goes_back_to_the_queue(make_queue: Callable[[], Queue]) -> None:
    queue = await opened(make_queue)
    await queue.enqueue("d1", "pull_request", "k", "{}")
    job = await queue.claim("crashed", 0.3)
    assert job is not None and job.attempts == 1
    assert await queue.claim("other", 30) is None
    await asyncio.sleep(0.4)
    again = await queue.claim("other", 30)
    assert again is not None and again.delivery_id == "d1" and again.attempts == 2
    assert not await queue.extend(job, "crashed", 30)  # the crashed worker lost it


async def test_a_heartbeat_keeps_the_lease(make_queue: Callable[[], Queue]) -> None:
    queue = await opened(make_queue)
    await queue.enqueue("d1", "pull_request", "k", "{}")
    # a lease of 1 s renewed every 0.4 s: held for 1.2 s in all, with room for a loaded
    # machine's pauses (0.3 s renewed every 0.15 s failed once under a full CI run)
    job = await queue.claim("w", 1.0)
    assert job is not None
    for _ in range(3):
        await asyncio.sleep(0.4)
        assert await queue.extend(job, "w", 1.0)
    assert await queue.claim("other", 30) is None


async def test_failures_back_off_then_die(make_queue: Callable[[], Queue]) -> None:
    queue = await opened(make_queue)
    await queue.enqueue("d1", "pull_request", "k", "{}")
    job = await queue.claim("w", 30)
    assert job is not None
    await queue.retry(job, "boom", 0.3, dead=False)
    assert await queue.claim("w", 30) is None  # backing off
    await asyncio.sleep(0.35)
    job = await queue.claim("w", 30)
    assert job is not None and job.attempts == 2
    await queue.retry(job, "boom again", 0, dead=True)
    assert await queue.claim("w", 30) is None
    stats = await queue.stats()
    assert (stats.dead, stats.queued, stats.running) == (1, 0, 0)
    assert [backoff(n) for n in (1, 2, 3, 20)] == [2.0, 4.0, 8.0, 600.0]


async def test_a_rate_limit_defers_without_using_an_attempt(make_queue: Callable[[], Queue]) -> None:
    queue = await opened(make_queue)
    await queue.enqueue("d1", "pull_request", "k", "{}")
    job = await queue.claim("w", 30)
    assert job is not None
    await queue.defer(job, time.time() + 0.3, "rate limited")
    assert await queue.claim("w", 30) is None
    await asyncio.sleep(0.35)
    again = await queue.claim("w", 30)
    assert again is not None and again.attempts == 1 and again.runs == 2


async def test_replicas_never_run_one_key_twice(make_queue: Callable[[], Queue]) -> None:
    replicas = [await opened(make_queue) for _ in range(3)]
    jobs = 60
    for index in range(jobs):
        await replicas[0].enqueue(f"d{index}", "pull_request", f"k{index % 4}", str(index))
    running: set[str] = set()
    done: list[str] = []
    overlap: list[str] = []

    async def worker(queue: Queue, name: str) -> None:
        idle = 0
        while idle < 20:
            job = await queue.claim(name, 30)
            if job is None:
                idle += 1
                await asyncio.sleep(0.01)
                continue
            idle = 0
            if job.key in running:
                overlap.append(job.key)
            running.add(job.key)
            await asyncio.sleep(0.002)
            running.discard(job.key)
            done.append(job.delivery_id)
            await queue.complete(job)

    await asyncio.gather(*(worker(replicas[i % 3], f"w{i}") for i in range(6)))
    assert overlap == []
    assert sorted(done) == sorted(f"d{i}" for i in range(jobs))  # each exactly once


async def test_installations_are_recorded(make_queue: Callable[[], Queue]) -> None:
    queue = await opened(make_queue)
    await queue.record_installation(5, "octo", ["octo/a", "octo/b"], True)
    await queue.record_installation(5, "octo", None, False)
    assert await queue.installation(5) == {
        "id": 5,
        "account": "octo",
        "repositories": ["octo/a", "octo/b"],
        "active": False,
    }
    assert await queue.installation(6) is None


async def test_done_jobs_drop_their_payload_and_retention_removes_old_finished_jobs(
    make_queue: Callable[[], Queue],
) -> None:
    queue = await opened(make_queue)
    for name in ("old-done", "old-dead", "new-done", "waiting"):
        await queue.enqueue(name, "pull_request", f"o/r#{name}", "x" * 1000)
    claimed = {}
    for _ in range(3):
        job = await queue.claim("w", 30)
        assert job is not None
        claimed[job.delivery_id] = job
    await queue.complete(claimed["old-done"])
    await queue.retry(claimed["old-dead"], "boom", 0, dead=True)
    await asyncio.sleep(0.05)
    cutoff = time.time()
    await asyncio.sleep(0.05)
    await queue.complete(claimed["new-done"])
    assert await queue.purge(cutoff, batch=1) == 2  # in batches, until none is left
    stats = await queue.stats()
    assert (stats.done, stats.dead, stats.queued) == (1, 0, 1)
    # A delivery still known is not taken again; a purged one would be (hence >= 3 days).
    assert await queue.enqueue("new-done", "pull_request", "o/r#1", "{}") is False
    assert await queue.enqueue("old-done", "pull_request", "o/r#1", "{}") is True
    if isinstance(queue, SqliteQueue):
        import sqlite3

        with sqlite3.connect(queue.path) as db:
            payloads = dict(db.execute("SELECT delivery_id, payload FROM jobs").fetchall())
    else:
        import asyncpg

        db = await asyncpg.connect(queue.url)
        payloads = {r[0]: r[1] for r in await db.fetch("SELECT delivery_id, payload FROM jobs")}
        await db.close()
    assert payloads["new-done"] == "" and payloads["waiting"] == "x" * 1000


async def test_a_failed_job_keeps_its_key_until_it_is_done(make_queue: Callable[[], Queue]) -> None:
    """A later job of the same key waits for an earlier one's retry: the earlier job's
    write may have landed, and it must find it before anything repeats it."""
    queue = await opened(make_queue)
    await queue.enqueue("opened", "pull_request", "o/r#1", "1")
    await queue.enqueue("synchronize", "pull_request", "o/r#1", "2")
    await queue.enqueue("other", "pull_request", "o/r#2", "3")
    first = await queue.claim("w", 30)
    assert first is not None and first.delivery_id == "opened"
    await queue.retry(first, "timed out", 0.3, dead=False)
    other = await queue.claim("w", 30)
    assert other is not None and other.delivery_id == "other"  # other keys go on
    assert await queue.claim("w", 30) is None  # `synchronize` waits for `opened`
    await asyncio.sleep(0.35)
    again = await queue.claim("w", 30)
    assert again is not None and again.delivery_id == "opened" and again.attempts == 2
    await queue.retry(again, "timed out", 0, dead=True)  # given up: the key is free
    later = await queue.claim("w", 30)
    assert later is not None and later.delivery_id == "synchronize"


async def test_retention_gives_sqlite_pages_back(tmp_path: Path) -> None:
    import sqlite3

    queue = SqliteQueue(str(tmp_path / "q.db"))
    await queue.open()
    try:
        for index in range(300):
            await queue.enqueue(f"d{index}", "pull_request", f"o/r#{index}", "x" * 20_000)
        for _ in range(300):
            job = await queue.claim("w", 30)
            assert job is not None
            await queue.retry(job, "boom", 0, dead=True)  # dead jobs keep their payload
        with sqlite3.connect(queue.path) as db:
            before = db.execute("PRAGMA page_count").fetchone()[0]
        assert await queue.purge(time.time() + 1) == 300
        with sqlite3.connect(queue.path) as db:
            after = db.execute("PRAGMA page_count").fetchone()[0]
            free = db.execute("PRAGMA freelist_count").fetchone()[0]
        assert after < before / 10 and free == 0
    finally:
        await queue.close()


async def test_a_job_whose_worker_dies_on_its_last_attempt_is_dead_and_frees_its_key(
    make_queue: Callable[[], Queue],
) -> None:
    """A job that kills its process is claimed again after each crash; at the last attempt
    the next claim marks it dead (saying why), and the key's next job runs."""
    queue = await opened(make_queue)
    await queue.enqueue("poison", "pull_request", "o/r#1", "1")
    await queue.enqueue("next", "pull_request", "o/r#1", "2")
    for attempt in (1, 2, 3):
        job = await queue.claim(f"crashing-{attempt}", 0.2, max_attempts=3)
        assert job is not None and job.delivery_id == "poison" and job.attempts == attempt
        await asyncio.sleep(0.3)  # the process died: nobody extends the lease
    later = await queue.claim("w", 30, max_attempts=3)
    assert later is not None and later.delivery_id == "next"
    state, error = await queue.state("poison") or ("?", None)
    assert state == "dead"
    assert error is not None and error.startswith("its worker stopped during attempt 3 of 3")
    assert (await queue.stats()).dead == 1


async def test_an_abandoned_job_before_its_last_attempt_is_claimed_again(
    make_queue: Callable[[], Queue],
) -> None:
    queue = await opened(make_queue)
    await queue.enqueue("d1", "pull_request", "k", "{}")
    await queue.claim("crashed", 0.2, max_attempts=3)
    await asyncio.sleep(0.3)
    again = await queue.claim("w", 30, max_attempts=3)
    assert again is not None and again.delivery_id == "d1" and again.attempts == 2
    assert await queue.state("d1") == ("running", None)
