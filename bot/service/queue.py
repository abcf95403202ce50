"""The durable queue: a delivery is stored before GitHub gets its 202, and worked off later.

One behaviour, two backends: SQLite (default; WAL, synchronous=FULL; one machine) and
PostgreSQL (several replicas on one database). A job is claimed with a lease that its
worker keeps extending; a crashed worker's lease runs out and the job is claimed again.
Jobs that share a key (one pull request) run one at a time, in order. Failures back off exponentially
and end `dead` after `max_attempts`; a rate-limited job is deferred without using up an
attempt. A job whose worker vanished on its last attempt (a crash, a lease that ran out)
is marked `dead` by the next claim, with that reason: a job that kills its process must
not be claimed forever, nor hold back the later jobs of its key.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
import threading
import time
from dataclasses import dataclass
from typing import Any, Protocol

QUEUED, RUNNING, DONE, DEAD = "queued", "running", "done", "dead"
DEFAULT_MAX_ATTEMPTS = 6


@dataclass(frozen=True, slots=True)
class Job:
    id: int
    delivery_id: str
    event: str
    key: str
    payload: str
    attempts: int  # failures so far plus this one; decides when the job is dead
    runs: int  # times claimed, this one included (rate-limit deferrals and crashes count)


@dataclass(frozen=True, slots=True)
class Stats:
    queued: int
    running: int
    dead: int
    done: int
    oldest_age: float  # seconds the oldest queued job has waited; 0 when none


class Queue(Protocol):
    async def open(self) -> None: ...
    async def close(self) -> None: ...
    async def ping(self) -> None: ...
    async def enqueue(self, delivery_id: str, event: str, key: str, payload: str) -> bool: ...
    async def claim(
        self, worker: str, lease: float, max_attempts: int = DEFAULT_MAX_ATTEMPTS
    ) -> Job | None: ...
    async def extend(self, job: Job, worker: str, lease: float) -> bool: ...
    async def complete(self, job: Job) -> None: ...
    async def retry(self, job: Job, error: str, delay: float, dead: bool) -> None: ...
    async def defer(self, job: Job, until: float, error: str) -> None: ...
    async def stats(self) -> Stats: ...
    async def purge(self, before: float, batch: int = 1000) -> int: ...
    async def record_installation(
        self, installation: int, account: str, repositories: list[str] | None, active: bool
    ) -> None: ...
    async def installation(self, installation: int) -> dict[str, Any] | None: ...
    async def known(self, delivery_ids: list[str]) -> set[str]: ...
    async def state(self, delivery_id: str) -> tuple[str, str | None] | None: ...


def backoff(attempts: int, base: float = 2.0, cap: float = 600.0) -> float:
    """Seconds before attempt `attempts + 1`: 2, 4, 8, … capped at ten minutes."""
    return float(min(cap, base * 2 ** max(0, attempts - 1)))


def open_queue(url: str) -> Queue:
    """`sqlite:///relative.db`, `sqlite:////absolute.db`, or `postgresql://…`."""
    if url.startswith("sqlite://"):
        return SqliteQueue(url[len("sqlite:///") :] if url.startswith("sqlite:///") else ":memory:")
    return PostgresQueue(url)


# ------------------------------------------------------------------------------- SQLite

# One schema for both backends; only the column types differ.
_SCHEMA = """
CREATE TABLE IF NOT EXISTS jobs (
    id {serial} PRIMARY KEY{autoincrement},
    delivery_id TEXT NOT NULL UNIQUE,
    event TEXT NOT NULL,
    key TEXT NOT NULL,
    payload TEXT NOT NULL,
    state TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    runs INTEGER NOT NULL DEFAULT 0,
    run_after {real} NOT NULL,
    lease_until {real},
    worker TEXT,
    last_error TEXT,
    created_at {real} NOT NULL,
    finished_at {real}
);
CREATE INDEX IF NOT EXISTS jobs_claim ON jobs (state, run_after);
CREATE INDEX IF NOT EXISTS jobs_key ON jobs (key, state);
CREATE INDEX IF NOT EXISTS jobs_finished ON jobs (state, finished_at);
CREATE TABLE IF NOT EXISTS installations (
    id {bigint} PRIMARY KEY,
    account TEXT NOT NULL,
    repositories TEXT NOT NULL,
    active {boolean} NOT NULL,
    updated_at {real} NOT NULL
);
"""
_SQLITE_SCHEMA = _SCHEMA.format(
    serial="INTEGER", autoincrement=" AUTOINCREMENT", real="REAL", bigint="INTEGER", boolean="INTEGER"
)
_PG_SCHEMA = _SCHEMA.format(
    serial="BIGSERIAL", autoincrement="", real="DOUBLE PRECISION", bigint="BIGINT", boolean="BOOLEAN"
)

# A key's jobs run one at a time and in order: a job waits while another of its key runs,
# and while an earlier one is unfinished (failed and waiting to retry, or deferred). So a
# job whose write may have landed at GitHub (a timeout) is retried, and finds that write,
# before a later job of the same pull request can repeat it.
_CLAIMABLE = """
SELECT id, delivery_id, event, key, payload, attempts, runs FROM jobs j
WHERE ((state = 'queued' AND run_after <= :now) OR (state = 'running' AND lease_until < :now))
  AND NOT EXISTS (SELECT 1 FROM jobs r WHERE r.key = j.key AND r.id <> j.id
                  AND ((r.state = 'running' AND r.lease_until >= :now)
                       OR (r.id < j.id AND r.state IN ('queued', 'running'))))
ORDER BY run_after, id LIMIT 1
"""


# A running job whose lease ran out on its last attempt: its worker vanished (the process
# died, perhaps because of this very job). Claiming it again would repeat that forever.
_ABANDONED = (
    "UPDATE jobs SET state = 'dead', finished_at = {now}, lease_until = NULL, last_error = "
    "'its worker stopped during attempt ' || attempts || ' of ' || {max} || "
    "' (the process died or its lease ran out)' || COALESCE('; before that: ' || last_error, '') "
    "WHERE state = 'running' AND lease_until < {now} AND attempts >= {max}"
)
_SQLITE_ABANDONED = _ABANDONED.format(now=":now", max=":max")


class SqliteQueue:
    def __init__(self, path: str) -> None:
        self.path = path
        self._db: sqlite3.Connection | None = None
        self._lock = threading.Lock()

    def _connect(self) -> None:
        db = sqlite3.connect(self.path, timeout=30, isolation_level=None, check_same_thread=False)
        # Pages freed by retention go back to the file system (set before the first table;
        # a file made earlier keeps its mode until a VACUUM).
        db.execute("PRAGMA auto_vacuum=INCREMENTAL")
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=FULL")  # a 202 means the delivery is on disk
        db.executescript(_SQLITE_SCHEMA)
        self._db = db

    async def _run(self, fn: Any, *args: Any) -> Any:
        def locked() -> Any:
            with self._lock:
                assert self._db is not None, "queue is not open"
                return fn(self._db, *args)

        return await asyncio.to_thread(locked)

    async def open(self) -> None:
        await asyncio.to_thread(self._connect)

    async def close(self) -> None:
        if self._db is not None:
            with self._lock:
                self._db.close()
            self._db = None

    async def ping(self) -> None:
        await self._run(lambda db: db.execute("SELECT 1").fetchone())

    def _insert(self, delivery_id: str, event: str, key: str, payload: str) -> bool:
        """One INSERT, committed (autocommit) before the intake answers 202."""
        with self._lock:
            assert self._db is not None, "queue is not open"
            now = time.time()
            cursor = self._db.execute(
                "INSERT OR IGNORE INTO jobs (delivery_id, event, key, payload, state, run_after,"
                " created_at) VALUES (?, ?, ?, ?, 'queued', ?, ?)",
                (delivery_id, event, key, payload, now, now),
            )
            return cursor.rowcount == 1

    async def enqueue(self, delivery_id: str, event: str, key: str, payload: str) -> bool:
        return await asyncio.to_thread(self._insert, delivery_id, event, key, payload)

    async def claim(self, worker: str, lease: float, max_attempts: int = DEFAULT_MAX_ATTEMPTS) -> Job | None:
        def claim(db: sqlite3.Connection) -> Job | None:
            now = time.time()
            db.execute("BEGIN IMMEDIATE")  # one claimer at a time: the key check holds
            try:
                db.execute(_SQLITE_ABANDONED, {"now": now, "max": max_attempts})
                row = db.execute(_CLAIMABLE, {"now": now}).fetchone()
                if row is None:
                    db.execute("COMMIT")
                    return None
                db.execute(
                    "UPDATE jobs SET state = 'running', attempts = attempts + 1, "
                    "runs = runs + 1, lease_until = ?, worker = ? WHERE id = ?",
                    (now + lease, worker, row[0]),
                )
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise
            return Job(row[0], row[1], row[2], row[3], row[4], row[5] + 1, row[6] + 1)

        result: Job | None = await self._run(claim)
        return result

    async def extend(self, job: Job, worker: str, lease: float) -> bool:
        def extend(db: sqlite3.Connection) -> bool:
            cursor = db.execute(
                "UPDATE jobs SET lease_until = ? WHERE id = ? AND worker = ? AND state = 'running'",
                (time.time() + lease, job.id, worker),
            )
            return cursor.rowcount == 1

        result: bool = await self._run(extend)
        return result

    async def complete(self, job: Job) -> None:
        # The payload goes at once (up to 25 MB); the row stays, so a redelivery of the same
        # delivery id is still known until retention removes it.
        await self._run(
            lambda db: db.execute(
                "UPDATE jobs SET state = 'done', finished_at = ?, lease_until = NULL, payload = '' "
                "WHERE id = ?",
                (time.time(), job.id),
            )
        )

    async def purge(self, before: float, batch: int = 1000) -> int:
        """Delete done and dead jobs finished before `before`, `batch` rows per transaction
        so that claims and the intake are never held up for long."""
        removed = 0
        while True:
            count: int = await self._run(
                lambda db: (
                    db.execute(
                        "DELETE FROM jobs WHERE id IN (SELECT id FROM jobs WHERE state IN ('done', "
                        "'dead') AND finished_at < ? LIMIT ?)",
                        (before, batch),
                    ).rowcount
                )
            )
            removed += count
            if count < batch:
                if removed:
                    # executescript steps it to the end (execute frees one page per step)
                    await self._run(lambda db: db.executescript("PRAGMA incremental_vacuum;"))
                return removed

    async def retry(self, job: Job, error: str, delay: float, dead: bool) -> None:
        await self._run(
            lambda db: db.execute(
                "UPDATE jobs SET state = ?, run_after = ?, last_error = ?, lease_until = NULL, "
                "finished_at = ? WHERE id = ?",
                (
                    DEAD if dead else QUEUED,
                    time.time() + delay,
                    error[:2000],
                    time.time() if dead else None,
                    job.id,
                ),
            )
        )

    async def defer(self, job: Job, until: float, error: str) -> None:
        await self._run(
            lambda db: db.execute(
                "UPDATE jobs SET state = 'queued', run_after = ?, attempts = attempts - 1, "
                "last_error = ?, lease_until = NULL WHERE id = ?",
                (until, error[:2000], job.id),
            )
        )

    async def stats(self) -> Stats:
        def stats(db: sqlite3.Connection) -> Stats:
            counts = dict(db.execute("SELECT state, COUNT(*) FROM jobs GROUP BY state").fetchall())
            oldest = db.execute("SELECT MIN(created_at) FROM jobs WHERE state = 'queued'").fetchone()
            age = time.time() - oldest[0] if oldest and oldest[0] is not None else 0.0
            return Stats(
                counts.get(QUEUED, 0),
                counts.get(RUNNING, 0),
                counts.get(DEAD, 0),
                counts.get(DONE, 0),
                max(0.0, age),
            )

        result: Stats = await self._run(stats)
        return result

    async def record_installation(
        self, installation: int, account: str, repositories: list[str] | None, active: bool
    ) -> None:
        def record(db: sqlite3.Connection) -> None:
            row = db.execute("SELECT repositories FROM installations WHERE id = ?", (installation,)).fetchone()
            repos = repositories if repositories is not None else (json.loads(row[0]) if row else [])
            db.execute(
                "INSERT INTO installations (id, account, repositories, active, updated_at) "
                "VALUES (?, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET account = excluded."
                "account, repositories = excluded.repositories, active = excluded.active, "
                "updated_at = excluded.updated_at",
                (installation, account, json.dumps(sorted(repos)), int(active), time.time()),
            )

        await self._run(record)

    async def known(self, delivery_ids: list[str]) -> set[str]:
        """The delivery ids among these that were stored (and not yet past retention)."""

        def read(db: sqlite3.Connection) -> set[str]:
            found: set[str] = set()
            for start in range(0, len(delivery_ids), 500):
                chunk = delivery_ids[start : start + 500]
                marks = ", ".join("?" * len(chunk))
                found |= {
                    row[0]
                    for row in db.execute(f"SELECT delivery_id FROM jobs WHERE delivery_id IN ({marks})", chunk)
                }
            return found

        result: set[str] = await self._run(read)
        return result

    async def state(self, delivery_id: str) -> tuple[str, str | None] | None:
        """A job's state and last error, by its delivery id."""
        row = await self._run(
            lambda db: db.execute(
                "SELECT state, last_error FROM jobs WHERE delivery_id = ?", (delivery_id,)
            ).fetchone()
        )
        return (str(row[0]), row[1]) if row else None

    async def installation(self, installation: int) -> dict[str, Any] | None:
        def read(db: sqlite3.Connection) -> dict[str, Any] | None:
            row = db.execute(
                "SELECT account, repositories, active FROM installations WHERE id = ?", (installation,)
            ).fetchone()
            if row is None:
                return None
            return {
                "id": installation,
                "account": row[0],
                "repositories": json.loads(row[1]),
                "active": bool(row[2]),
            }

        result: dict[str, Any] | None = await self._run(read)
        return result


# ---------------------------------------------------------------------------- PostgreSQL


# The database's clock, so that replicas on different machines agree on leases.
_NOW = "EXTRACT(EPOCH FROM clock_timestamp())::double precision"


_PG_ABANDONED = _ABANDONED.format(now=_NOW, max="$1::integer")


class PostgresQueue:
    def __init__(self, url: str) -> None:
        self.url = url.replace("postgres://", "postgresql://", 1)
        self._pool: Any = None

    async def open(self) -> None:
        import asyncpg

        self._pool = await asyncpg.create_pool(self.url, min_size=1, max_size=10)
        # Replicas starting together: one creates the schema, the others wait.
        async with self._pool.acquire() as db, db.transaction():
            await db.execute("SELECT pg_advisory_xact_lock(7261)")
            await db.execute(_PG_SCHEMA)

    async def close(self) -> None:
        if self._pool is not None:
            await self._pool.close()
            self._pool = None

    async def ping(self) -> None:
        await self._pool.fetchval("SELECT 1")

    async def enqueue(self, delivery_id: str, event: str, key: str, payload: str) -> bool:
        row = await self._pool.fetchrow(
            f"INSERT INTO jobs (delivery_id, event, key, payload, state, run_after, created_at) "
            f"VALUES ($1, $2, $3, $4, 'queued', {_NOW}, {_NOW}) "
            f"ON CONFLICT (delivery_id) DO NOTHING RETURNING id",
            delivery_id,
            event,
            key,
            payload,
        )
        return row is not None

    async def claim(self, worker: str, lease: float, max_attempts: int = DEFAULT_MAX_ATTEMPTS) -> Job | None:
        async with self._pool.acquire() as db, db.transaction():
            await db.execute(_PG_ABANDONED, max_attempts)
            # Only the first unfinished job of each key is a candidate: a later job that
            # is due while its key's head waits (deferred past it) must not fill the window
            # and starve the heads (found by benchmarks/soak.py).
            candidates = await db.fetch(
                f"SELECT id, key FROM jobs j WHERE ((state = 'queued' AND run_after <= {_NOW}) "
                f"OR (state = 'running' AND lease_until < {_NOW})) AND NOT EXISTS (SELECT 1 "
                f"FROM jobs e WHERE e.key = j.key AND e.id < j.id AND e.state IN ('queued', "
                f"'running')) ORDER BY run_after, id LIMIT 20 FOR UPDATE SKIP LOCKED"
            )
            for candidate in candidates:
                # Whoever claims for this key holds this lock until it commits; after we get
                # it, a fresh statement sees any claim committed before.
                if not await db.fetchval("SELECT pg_try_advisory_xact_lock(hashtext($1))", candidate["key"]):
                    continue
                busy = await db.fetchval(
                    f"SELECT 1 FROM jobs WHERE key = $1 AND id <> $2 AND ((state = 'running' "
                    f"AND lease_until >= {_NOW}) OR (id < $2 AND state IN ('queued', "
                    f"'running')))",
                    candidate["key"],
                    candidate["id"],
                )
                if busy:
                    continue
                row = await db.fetchrow(
                    f"UPDATE jobs SET state = 'running', attempts = attempts + 1, "
                    f"runs = runs + 1, lease_until = {_NOW} + $2, worker = $3 WHERE id = $1 "
                    f"RETURNING id, delivery_id, event, key, payload, attempts, runs",
                    candidate["id"],
                    lease,
                    worker,
                )
                return Job(
                    row["id"],
                    row["delivery_id"],
                    row["event"],
                    row["key"],
                    row["payload"],
                    row["attempts"],
                    row["runs"],
                )
        return None

    async def extend(self, job: Job, worker: str, lease: float) -> bool:
        result = await self._pool.execute(
            f"UPDATE jobs SET lease_until = {_NOW} + $3 WHERE id = $1 AND worker = $2 AND state = 'running'",
            job.id,
            worker,
            lease,
        )
        return bool(result.endswith(" 1"))

    async def complete(self, job: Job) -> None:
        await self._pool.execute(
            f"UPDATE jobs SET state = 'done', finished_at = {_NOW}, lease_until = NULL, "
            f"payload = '' WHERE id = $1",
            job.id,
        )

    async def purge(self, before: float, batch: int = 1000) -> int:
        removed = 0
        while True:
            status = await self._pool.execute(
                "DELETE FROM jobs WHERE id IN (SELECT id FROM jobs WHERE state IN ('done', "
                "'dead') AND finished_at < $1 LIMIT $2)",
                before,
                batch,
            )
            count = int(str(status).rsplit(" ", 1)[-1])
            removed += count
            if count < batch:
                return removed

    async def retry(self, job: Job, error: str, delay: float, dead: bool) -> None:
        await self._pool.execute(
            f"UPDATE jobs SET state = $2, run_after = {_NOW} + $3, last_error = $4, "
            f"lease_until = NULL, finished_at = CASE WHEN $5 THEN {_NOW} END WHERE id = $1",
            job.id,
            DEAD if dead else QUEUED,
            delay,
            error[:2000],
            dead,
        )

    async def defer(self, job: Job, until: float, error: str) -> None:
        await self._pool.execute(
            "UPDATE jobs SET state = 'queued', run_after = $2, attempts = attempts - 1, "
            "last_error = $3, lease_until = NULL WHERE id = $1",
            job.id,
            until,
            error[:2000],
        )

    async def stats(self) -> Stats:
        rows = await self._pool.fetch("SELECT state, COUNT(*) AS n FROM jobs GROUP BY state")
        counts = {row["state"]: row["n"] for row in rows}
        age = await self._pool.fetchval(f"SELECT {_NOW} - MIN(created_at) FROM jobs WHERE state = 'queued'")
        return Stats(
            counts.get(QUEUED, 0),
            counts.get(RUNNING, 0),
            counts.get(DEAD, 0),
            counts.get(DONE, 0),
            max(0.0, float(age or 0.0)),
        )

    async def record_installation(
        self, installation: int, account: str, repositories: list[str] | None, active: bool
    ) -> None:
        async with self._pool.acquire() as db, db.transaction():
            current = await db.fetchval(
                "SELECT repositories FROM installations WHERE id = $1 FOR UPDATE", installation
            )
            repos = repositories if repositories is not None else (json.loads(current) if current else [])
            await db.execute(
                f"INSERT INTO installations (id, account, repositories, active, updated_at) "
                f"VALUES ($1, $2, $3, $4, {_NOW}) ON CONFLICT (id) DO UPDATE SET "
                f"account = EXCLUDED.account, repositories = EXCLUDED.repositories, "
                f"active = EXCLUDED.active, updated_at = EXCLUDED.updated_at",
                installation,
                account,
                json.dumps(sorted(repos)),
                active,
            )

    async def known(self, delivery_ids: list[str]) -> set[str]:
        rows = await self._pool.fetch(
            "SELECT delivery_id FROM jobs WHERE delivery_id = ANY($1::text[])", delivery_ids
        )
        return {row["delivery_id"] for row in rows}

    async def state(self, delivery_id: str) -> tuple[str, str | None] | None:
        row = await self._pool.fetchrow(
            "SELECT state, last_error FROM jobs WHERE delivery_id = $1", delivery_id
        )
        return (str(row["state"]), row["last_error"]) if row else None

    async def installation(self, installation: int) -> dict[str, Any] | None:
        row = await self._pool.fetchrow(
            "SELECT account, repositories, active FROM installations WHERE id = $1", installation
        )
        if row is None:
            return None
        return {
            "id": installation,
            "account": row["account"],
            "repositories": json.loads(row["repositories"]),
            "active": row["active"],
        }
