"""What organisation scans keep, in the queue's database (SQLite or PostgreSQL).

Per repository: the ETag of its `.github` listing, the workflow blob shas it last read, the
policy inputs, and the blobs themselves (by sha: a file is fetched once until it changes).
Per scan: one row per repository and round (unique, so a scan re-run after a crash or a
redelivery replaces its row instead of adding one), with the `check` JSON kept once per
distinct content. Rounds are keyed by what started them, so a redelivered trigger reuses its
round. The SQL is written once with `?` placeholders; PostgreSQL gets `$n`.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import re
import sqlite3
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from bot.core.scans import RepoScan

_SCHEMA = """
CREATE TABLE IF NOT EXISTS scan_repos (
    repo TEXT PRIMARY KEY,
    installation {bigint} NOT NULL,
    default_branch TEXT,
    github_etag TEXT,
    workflows_sha TEXT,
    listing TEXT NOT NULL DEFAULT '{{}}',
    policy_key TEXT,
    config TEXT,
    updated_at {real} NOT NULL
);
CREATE INDEX IF NOT EXISTS scan_repos_installation ON scan_repos (installation);
CREATE TABLE IF NOT EXISTS scan_blobs (
    repo TEXT NOT NULL,
    sha TEXT NOT NULL,
    installation {bigint} NOT NULL,
    content {blob} NOT NULL,
    PRIMARY KEY (repo, sha)
);
CREATE TABLE IF NOT EXISTS scan_rounds (
    id {serial} PRIMARY KEY{autoincrement},
    installation {bigint} NOT NULL,
    key TEXT NOT NULL UNIQUE,
    reason TEXT NOT NULL,
    started_at {real} NOT NULL,
    planned INTEGER,
    report_repo TEXT
);
CREATE TABLE IF NOT EXISTS scans (
    id {serial} PRIMARY KEY{autoincrement},
    installation {bigint} NOT NULL,
    repo TEXT NOT NULL,
    round {bigint} NOT NULL,
    state TEXT NOT NULL,
    scanned_at {real} NOT NULL,
    commit_sha TEXT,
    workflows INTEGER NOT NULL,
    multi_arch INTEGER NOT NULL,
    jobs INTEGER NOT NULL,
    by_status TEXT NOT NULL,
    report_sha TEXT,
    error TEXT,
    fixable TEXT NOT NULL DEFAULT '{{}}',
    UNIQUE (repo, round)
);
CREATE INDEX IF NOT EXISTS scans_installation ON scans (installation, repo, id);
CREATE TABLE IF NOT EXISTS scan_reports (
    installation {bigint} NOT NULL,
    sha TEXT NOT NULL,
    body TEXT NOT NULL,
    PRIMARY KEY (installation, sha)
);
CREATE TABLE IF NOT EXISTS fix_prs (
    repo TEXT NOT NULL,
    path TEXT NOT NULL,
    installation {bigint} NOT NULL,
    number INTEGER NOT NULL,
    state TEXT NOT NULL,
    PRIMARY KEY (repo, path)
);
CREATE TABLE IF NOT EXISTS dashboards (
    repo TEXT PRIMARY KEY,
    installation {bigint} NOT NULL,
    issue INTEGER NOT NULL,
    open {boolean} NOT NULL,
    body_sha TEXT
);
CREATE TABLE IF NOT EXISTS waiting_jobs (
    job_id {bigint} PRIMARY KEY,
    installation {bigint} NOT NULL,
    repo TEXT NOT NULL,
    name TEXT NOT NULL,
    labels TEXT NOT NULL,
    head_sha TEXT NOT NULL,
    queued_at {real} NOT NULL,
    swept_at {real}
);
CREATE TABLE IF NOT EXISTS write_budget (
    installation {bigint} NOT NULL,
    window_start {bigint} NOT NULL,
    used INTEGER NOT NULL,
    PRIMARY KEY (installation, window_start)
);
CREATE TABLE IF NOT EXISTS body_digests (
    digest TEXT PRIMARY KEY,
    delivery_id TEXT NOT NULL,
    seen_at {real} NOT NULL
);
CREATE INDEX IF NOT EXISTS body_digests_seen ON body_digests (seen_at);
CREATE TABLE IF NOT EXISTS schedule (
    name TEXT PRIMARY KEY,
    last_at {real} NOT NULL,
    round {bigint} NOT NULL
);
CREATE TABLE IF NOT EXISTS reply_turns (
    repo TEXT NOT NULL,
    number INTEGER NOT NULL,
    login TEXT NOT NULL,
    asked_by TEXT NOT NULL,
    at {real} NOT NULL,
    PRIMARY KEY (repo, number, login)
);
"""
# Kept beside the scans: each repository's visibility (an org report in a public repository
# leaves private ones out), and each repository's latest row in brief (a metrics scrape reads
# one row per repository, however long the history).
_SUMMARY_SCHEMA = """
CREATE TABLE IF NOT EXISTS scan_visibility (
    repo TEXT PRIMARY KEY,
    installation {bigint} NOT NULL,
    private {boolean} NOT NULL
);
CREATE TABLE IF NOT EXISTS scan_latest (
    repo TEXT PRIMARY KEY,
    installation {bigint} NOT NULL,
    scan_id {bigint} NOT NULL,
    by_status TEXT NOT NULL
);
"""
_SQLITE_SCHEMA = (_SCHEMA + _SUMMARY_SCHEMA).format(
    serial="INTEGER",
    autoincrement=" AUTOINCREMENT",
    real="REAL",
    bigint="INTEGER",
    blob="BLOB",
    boolean="INTEGER",
)
_PG_SCHEMA = (_SCHEMA + _SUMMARY_SCHEMA).format(
    serial="BIGSERIAL",
    autoincrement="",
    real="DOUBLE PRECISION",
    bigint="BIGINT",
    blob="BYTEA",
    boolean="BOOLEAN",
)


@dataclass(slots=True)
class RepoState:
    """What the last scan of a repository read, to ask GitHub only for what changed."""

    repo: str
    installation: int
    default_branch: str | None = None
    github_etag: str | None = None
    workflows_sha: str | None = None
    listing: dict[str, str] = field(default_factory=dict)  # workflow path -> blob sha
    policy_key: str | None = None  # the config blobs the results were judged by
    config: str | None = None  # the repository's own config, `PATH@SHA`


class _Backend(Protocol):
    async def open(self) -> None: ...
    async def close(self) -> None: ...
    async def execute(self, sql: str, *args: Any) -> int: ...
    async def fetch(self, sql: str, *args: Any) -> list[tuple[Any, ...]]: ...


class _Sqlite:
    def __init__(self, path: str, read_only: bool = False) -> None:
        self.path = path
        self.read_only = read_only
        self._db: sqlite3.Connection | None = None
        self._lock = threading.Lock()

    async def open(self) -> None:
        def connect() -> None:
            if self.read_only:  # never creates the file, the schema or anything else
                uri = Path(self.path).resolve().as_uri() + "?mode=ro"
                self._db = sqlite3.connect(
                    uri, uri=True, timeout=30, isolation_level=None, check_same_thread=False
                )
                return
            db = sqlite3.connect(self.path, timeout=30, isolation_level=None, check_same_thread=False)
            db.execute("PRAGMA journal_mode=WAL")
            db.executescript(_SQLITE_SCHEMA)
            self._db = db

        await asyncio.to_thread(connect)

    async def close(self) -> None:
        if self._db is not None:
            with self._lock:
                self._db.close()
            self._db = None

    def _locked(self, sql: str, args: tuple[Any, ...], rows: bool) -> Any:
        with self._lock:
            assert self._db is not None, "store is not open"
            cursor = self._db.execute(sql, args)
            return cursor.fetchall() if rows else cursor.rowcount

    async def execute(self, sql: str, *args: Any) -> int:
        count: int = await asyncio.to_thread(self._locked, sql, args, False)
        return count

    async def fetch(self, sql: str, *args: Any) -> list[tuple[Any, ...]]:
        found: list[tuple[Any, ...]] = await asyncio.to_thread(self._locked, sql, args, True)
        return found


_PLACEHOLDER = re.compile(r"\?")


def _numbered(sql: str) -> str:
    counter = iter(range(1, 1000))
    return _PLACEHOLDER.sub(lambda _: f"${next(counter)}", sql)


class _Postgres:
    def __init__(self, url: str, read_only: bool = False) -> None:
        self.url = url.replace("postgres://", "postgresql://", 1)
        self.read_only = read_only
        self._pool: Any = None

    async def open(self) -> None:
        import asyncpg

        self._pool = await asyncpg.create_pool(self.url, min_size=1, max_size=5)
        if self.read_only:
            return
        async with self._pool.acquire() as db, db.transaction():
            await db.execute("SELECT pg_advisory_xact_lock(7262)")
            await db.execute(_PG_SCHEMA)

    async def close(self) -> None:
        if self._pool is not None:
            await self._pool.close()
            self._pool = None

    async def execute(self, sql: str, *args: Any) -> int:
        status = await self._pool.execute(_numbered(sql), *args)
        tail = str(status).rsplit(" ", 1)[-1]
        return int(tail) if tail.isdigit() else 0

    async def fetch(self, sql: str, *args: Any) -> list[tuple[Any, ...]]:
        return [tuple(row) for row in await self._pool.fetch(_numbered(sql), *args)]


_SCAN_COLUMNS = (
    "installation, repo, state, scanned_at, commit_sha, workflows, multi_arch, jobs, by_status, error, fixable"
)


def _scan(row: tuple[Any, ...]) -> RepoScan:
    return RepoScan(
        int(row[0]),
        str(row[1]),
        str(row[2]),
        float(row[3]),
        row[4],
        int(row[5]),
        int(row[6]),
        int(row[7]),
        json.loads(row[8]),
        row[9],
        json.loads(row[10]),
    )


@dataclass(frozen=True, slots=True)
class Waiting:
    """An arm64 leg GitHub reported queued and not yet started."""

    job_id: int
    installation: int
    repo: str
    name: str
    labels: tuple[str, ...]
    head_sha: str
    queued_at: float


@dataclass(frozen=True, slots=True)
class Pruned:
    """What one retention pass removed."""

    scans: int
    reports: int
    rounds: int

    def __bool__(self) -> bool:
        return bool(self.scans or self.reports or self.rounds)


@dataclass(slots=True)
class Dashboard:
    issue: int
    open: bool
    body_sha: str | None


def _where_installation(installation: int | None, alias: str = "") -> tuple[str, tuple[Any, ...]]:
    if installation is None:
        return "1 = 1", ()
    return f"{alias}installation = ?", (installation,)


class Store:
    def __init__(self, url: str, read_only: bool = False) -> None:
        """`read_only` (for `parity-bot report`): open an existing database, create nothing."""
        self.read_only = read_only
        if url.startswith("sqlite://"):
            path = url[len("sqlite:///") :] if url.startswith("sqlite:///") else ":memory:"
            self.db: _Backend = _Sqlite(path or ":memory:", read_only)
        else:
            self.db = _Postgres(url, read_only)
        self._digests_purged = 0.0

    async def open(self) -> None:
        await self.db.open()
        if not self.read_only:
            await self._summarise_latest()

    async def _summarise_latest(self) -> None:
        """A database from before `scan_latest` gets its summary once, on the first open."""
        if await self.db.fetch("SELECT 1 FROM scan_latest LIMIT 1"):
            return
        await self.db.execute(
            "INSERT INTO scan_latest (repo, installation, scan_id, by_status) "
            "SELECT repo, installation, id, by_status FROM scans WHERE id IN "
            "(SELECT MAX(id) FROM scans GROUP BY repo) ON CONFLICT (repo) DO NOTHING"
        )

    async def close(self) -> None:
        await self.db.close()

    # -------------------------------------------------------------- repository state
    async def repo_state(self, repo: str) -> RepoState | None:
        rows = await self.db.fetch(
            "SELECT installation, default_branch, github_etag, workflows_sha, listing, "
            "policy_key, config FROM scan_repos WHERE repo = ?",
            repo,
        )
        if not rows:
            return None
        row = rows[0]
        return RepoState(repo, int(row[0]), row[1], row[2], row[3], json.loads(row[4]), row[5], row[6])

    async def save_repo_state(self, state: RepoState) -> None:
        await self.db.execute(
            "INSERT INTO scan_repos (repo, installation, default_branch, github_etag, "
            "workflows_sha, listing, policy_key, config, updated_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) "
            "ON CONFLICT (repo) DO UPDATE SET installation = excluded.installation, "
            "default_branch = excluded.default_branch, github_etag = excluded.github_etag, "
            "workflows_sha = excluded.workflows_sha, listing = excluded.listing, "
            "policy_key = excluded.policy_key, config = excluded.config, "
            "updated_at = excluded.updated_at",
            state.repo,
            state.installation,
            state.default_branch,
            state.github_etag,
            state.workflows_sha,
            json.dumps(state.listing, sort_keys=True),
            state.policy_key,
            state.config,
            time.time(),
        )

    async def blob(self, repo: str, sha: str) -> bytes | None:
        rows = await self.db.fetch("SELECT content FROM scan_blobs WHERE repo = ? AND sha = ?", repo, sha)
        return bytes(rows[0][0]) if rows else None

    async def save_blob(self, installation: int, repo: str, sha: str, content: bytes) -> None:
        await self.db.execute(
            "INSERT INTO scan_blobs (repo, sha, installation, content) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (repo, sha) DO NOTHING",
            repo,
            sha,
            installation,
            content,
        )

    async def drop_blobs_except(self, repo: str, keep: set[str]) -> None:
        """Blobs of files the repository no longer has: the cache holds current files only."""
        rows = await self.db.fetch("SELECT sha FROM scan_blobs WHERE repo = ?", repo)
        for (sha,) in rows:
            if sha not in keep:
                await self.db.execute("DELETE FROM scan_blobs WHERE repo = ? AND sha = ?", repo, sha)

    # ------------------------------------------------------------------------ rounds
    async def round_for(self, installation: int, key: str, reason: str) -> int:
        """The round `key` started (created on first use): a redelivered trigger reuses it."""
        await self.db.execute(
            "INSERT INTO scan_rounds (installation, key, reason, started_at) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (key) DO NOTHING",
            installation,
            key,
            reason,
            time.time(),
        )
        rows = await self.db.fetch("SELECT id FROM scan_rounds WHERE key = ?", key)
        return int(rows[0][0])

    async def plan_round(self, round_id: int, planned: int, report_repo: str | None) -> None:
        """How many repositories the round covers, and where its org report goes."""
        await self.db.execute(
            "UPDATE scan_rounds SET planned = ?, report_repo = ? WHERE id = ?", planned, report_repo, round_id
        )

    async def finished_round(self, round_id: int) -> tuple[int, str | None] | None:
        """(installation, report repository) when every repository of a planned round has
        its row; None while it runs (or for a push's one-repository scan)."""
        rows = await self.db.fetch(
            "SELECT installation, planned, report_repo, (SELECT COUNT(*) FROM scans "
            "WHERE round = ?) FROM scan_rounds WHERE id = ?",
            round_id,
            round_id,
        )
        if not rows or rows[0][1] is None or int(rows[0][3]) < int(rows[0][1]):
            return None
        return int(rows[0][0]), rows[0][2]

    async def claim_schedule(self, name: str, interval: float, due_at_first: bool = False) -> int | None:
        """The scheduled round number when this replica is the one to start it, else None.

        One conditional UPDATE: of replicas that look at once, exactly one moves the row.
        The row keeps when the last round started, so a changed interval applies at once;
        the first look only starts the clock (installations are scanned when installed),
        unless `due_at_first`.
        """
        now = time.time()
        await self.db.execute(
            "INSERT INTO schedule (name, last_at, round) VALUES (?, ?, 0) ON CONFLICT (name) DO NOTHING",
            name,
            now - interval if due_at_first else now,
        )
        rows = await self.db.fetch("SELECT round, last_at FROM schedule WHERE name = ?", name)
        current, last_at = int(rows[0][0]), float(rows[0][1])
        if now < last_at + interval:
            return None
        moved = await self.db.execute(
            "UPDATE schedule SET last_at = ?, round = ? WHERE name = ? AND round = ?",
            now,
            current + 1,
            name,
            current,
        )
        return current + 1 if moved == 1 else None

    async def installations(self) -> list[int]:
        rows = await self.db.fetch("SELECT DISTINCT installation FROM scan_repos ORDER BY 1")
        return [int(row[0]) for row in rows]

    # ------------------------------------------------------------------------- scans
    async def record_scan(
        self, round_id: int, scan: RepoScan, report: str | None = None, report_sha: str | None = None
    ) -> str | None:
        """Store one repository's row of a round (replacing an earlier try of the same
        round); `report` is the `check` JSON, or `report_sha` names one already kept."""
        if report is not None:
            report_sha = hashlib.sha256(report.encode()).hexdigest()
            await self.db.execute(
                "INSERT INTO scan_reports (installation, sha, body) VALUES (?, ?, ?) "
                "ON CONFLICT (installation, sha) DO NOTHING",
                scan.installation,
                report_sha,
                report,
            )
        await self.db.execute(
            f"INSERT INTO scans ({_SCAN_COLUMNS}, round, report_sha) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (repo, round) DO UPDATE SET "
            "state = excluded.state, scanned_at = excluded.scanned_at, "
            "commit_sha = excluded.commit_sha, workflows = excluded.workflows, "
            "multi_arch = excluded.multi_arch, jobs = excluded.jobs, "
            "by_status = excluded.by_status, error = excluded.error, "
            "fixable = excluded.fixable, report_sha = excluded.report_sha",
            scan.installation,
            scan.repo,
            scan.state,
            scan.scanned_at,
            scan.commit,
            scan.workflows,
            scan.multi_arch,
            scan.jobs,
            json.dumps(scan.by_status),
            scan.error,
            json.dumps(scan.fixable, sort_keys=True),
            round_id,
            report_sha,
        )
        await self.db.execute(
            "INSERT INTO scan_latest (repo, installation, scan_id, by_status) "
            "SELECT repo, installation, id, by_status FROM scans WHERE repo = ? AND round = ? "
            "ON CONFLICT (repo) DO UPDATE SET installation = excluded.installation, "
            "scan_id = excluded.scan_id, by_status = excluded.by_status "
            "WHERE excluded.scan_id >= scan_latest.scan_id",
            scan.repo,
            round_id,
        )
        return report_sha

    async def last_scan(self, repo: str) -> tuple[RepoScan, str | None] | None:
        """The repository's latest judged row and the sha of its report."""
        rows = await self.db.fetch(
            f"SELECT {_SCAN_COLUMNS}, report_sha FROM scans WHERE repo = ? "
            "AND state IN ('scanned', 'unchanged') ORDER BY id DESC LIMIT 1",
            repo,
        )
        return (_scan(rows[0]), rows[0][11]) if rows else None

    async def report(self, installation: int, sha: str) -> dict[str, Any] | None:
        rows = await self.db.fetch(
            "SELECT body FROM scan_reports WHERE installation = ? AND sha = ?", installation, sha
        )
        return json.loads(rows[0][0]) if rows else None

    async def latest(self, installation: int | None = None, until: float | None = None) -> list[RepoScan]:
        """Each repository's latest row (as of `until`, when given)."""
        where, args = _where_installation(installation)
        bound = " AND scanned_at <= ?" if until is not None else ""
        bound_args = (until,) if until is not None else ()
        rows = await self.db.fetch(
            f"SELECT {_SCAN_COLUMNS} FROM scans WHERE id IN (SELECT MAX(id) FROM scans "
            f"WHERE {where}{bound} GROUP BY repo) ORDER BY repo",
            *args,
            *bound_args,
        )
        return [_scan(row) for row in rows]

    async def previous(self, installation: int | None = None) -> list[RepoScan]:
        """Each repository's row before its latest one (the last round's view)."""
        where, args = _where_installation(installation, "t.")
        rows = await self.db.fetch(
            f"SELECT {_SCAN_COLUMNS} FROM scans WHERE id IN (SELECT MAX(t.id) FROM scans t "
            f"WHERE {where} AND t.id < (SELECT MAX(u.id) FROM scans u WHERE u.repo = t.repo) "
            "GROUP BY t.repo) ORDER BY repo",
            *args,
        )
        return [_scan(row) for row in rows]

    async def count_scans(self, installation: int | None = None) -> int:
        where, args = _where_installation(installation)
        rows = await self.db.fetch(f"SELECT COUNT(*) FROM scans WHERE {where}", *args)
        return int(rows[0][0])

    # -------------------------------------------------------------------- visibility
    async def save_visibility(self, installation: int, private: dict[str, bool]) -> None:
        """Which repositories are private, as the installation's listing said."""
        for repo, hidden in sorted(private.items()):
            await self.db.execute(
                "INSERT INTO scan_visibility (repo, installation, private) VALUES (?, ?, ?) "
                "ON CONFLICT (repo) DO UPDATE SET installation = excluded.installation, "
                "private = excluded.private",
                repo,
                installation,
                hidden,
            )

    async def public_repos(self, installation: int) -> set[str]:
        rows = await self.db.fetch(
            "SELECT repo FROM scan_visibility WHERE installation = ? AND private = ?", installation, False
        )
        return {str(row[0]) for row in rows}

    async def is_private(self, repo: str) -> bool | None:
        """None: never listed (the App may not see it)."""
        rows = await self.db.fetch("SELECT private FROM scan_visibility WHERE repo = ?", repo)
        return bool(rows[0][0]) if rows else None

    # --------------------------------------------------------------------- retention
    async def prune_scans(self, before: float) -> Pruned:
        """Scan history older than `before` (RETENTION_DAYS), keeping what the reports read.

        Each repository keeps its latest row, the one before it (the org report's change),
        its latest judged row (dashboards, fix requests, the ETag's results) and the row that
        was its latest at `before`: that one stands for the older history, so a report
        `--since` any moment kept compares exactly as before. Rounds started before `before`
        go (a redelivery of what started them is past GitHub's three days), and so do the
        reports only removed rows named.
        """
        removed = await self.db.fetch(
            "DELETE FROM scans WHERE scanned_at < ? AND id NOT IN ("
            "SELECT MAX(id) FROM scans GROUP BY repo "
            "UNION SELECT MAX(id) FROM scans WHERE state IN ('scanned', 'unchanged') GROUP BY repo "
            "UNION SELECT MAX(id) FROM scans WHERE scanned_at < ? GROUP BY repo "
            "UNION SELECT MAX(t.id) FROM scans t "
            "WHERE t.id < (SELECT MAX(u.id) FROM scans u WHERE u.repo = t.repo) GROUP BY t.repo"
            ") RETURNING installation, report_sha",
            before,
            before,
        )
        # Only the reports the removed rows named: a report written just now for a row not
        # yet stored is never among them.
        reports = 0
        for installation, sha in sorted({(int(row[0]), str(row[1])) for row in removed if row[1]}):
            reports += await self.db.execute(
                "DELETE FROM scan_reports WHERE installation = ? AND sha = ? AND NOT EXISTS "
                "(SELECT 1 FROM scans WHERE installation = ? AND report_sha = ?)",
                installation,
                sha,
                installation,
                sha,
            )
        rounds = await self.db.execute("DELETE FROM scan_rounds WHERE started_at < ?", before)
        return Pruned(len(removed), reports, rounds)

    # ---------------------------------------------------------------------- removal
    async def forget_installation(self, installation: int) -> None:
        """Everything kept for an installation: it was deleted, its data goes with it."""
        for table in (
            "scans",
            "scan_reports",
            "scan_blobs",
            "scan_repos",
            "scan_rounds",
            "fix_prs",
            "dashboards",
            "waiting_jobs",
            "scan_visibility",
            "scan_latest",
        ):
            await self.db.execute(f"DELETE FROM {table} WHERE installation = ?", installation)

    async def forget_repos(self, installation: int, repos: list[str]) -> None:
        for repo in repos:
            for table in (
                "scans",
                "scan_blobs",
                "scan_repos",
                "fix_prs",
                "dashboards",
                "waiting_jobs",
                "scan_visibility",
                "scan_latest",
            ):
                await self.db.execute(
                    f"DELETE FROM {table} WHERE installation = ? AND repo = ?", installation, repo
                )
        await self.db.execute(
            "DELETE FROM scan_reports WHERE installation = ? AND sha NOT IN (SELECT report_sha "
            "FROM scans WHERE installation = ? AND report_sha IS NOT NULL)",
            installation,
            installation,
        )

    # ------------------------------------------------------- dashboards and fix PRs
    async def dashboard(self, repo: str) -> Dashboard | None:
        rows = await self.db.fetch("SELECT issue, open, body_sha FROM dashboards WHERE repo = ?", repo)
        return Dashboard(int(rows[0][0]), bool(rows[0][1]), rows[0][2]) if rows else None

    async def save_dashboard(self, installation: int, repo: str, dashboard: Dashboard) -> None:
        await self.db.execute(
            "INSERT INTO dashboards (repo, installation, issue, open, body_sha) "
            "VALUES (?, ?, ?, ?, ?) ON CONFLICT (repo) DO UPDATE SET issue = excluded.issue, "
            "open = excluded.open, body_sha = excluded.body_sha",
            repo,
            installation,
            dashboard.issue,
            dashboard.open,
            dashboard.body_sha,
        )

    async def record_dashboard(self, installation: int, repo: str, dashboard: Dashboard) -> Dashboard:
        """Record a dashboard just created or found, unless a row came first: an `issues`
        event handled meanwhile (another queue key) knows better, say that it was closed.
        What is stored, either way."""
        await self.db.execute(
            "INSERT INTO dashboards (repo, installation, issue, open, body_sha) "
            "VALUES (?, ?, ?, ?, ?) ON CONFLICT (repo) DO NOTHING",
            repo,
            installation,
            dashboard.issue,
            dashboard.open,
            dashboard.body_sha,
        )
        return await self.dashboard(repo) or dashboard

    async def dashboard_written(self, repo: str, issue: int, body_sha: str) -> None:
        """The body just written: only its digest, so a close handled meanwhile stays."""
        await self.db.execute(
            "UPDATE dashboards SET body_sha = ? WHERE repo = ? AND issue = ?", body_sha, repo, issue
        )

    async def save_fix_pr(self, installation: int, repo: str, path: str, number: int, state: str) -> None:
        await self.db.execute(
            "INSERT INTO fix_prs (repo, path, installation, number, state) VALUES (?, ?, ?, ?, ?) "
            "ON CONFLICT (repo, path) DO UPDATE SET number = excluded.number, "
            "state = excluded.state",
            repo,
            path,
            installation,
            number,
            state,
        )

    async def open_fix_prs(self, repo: str) -> dict[str, int]:
        rows = await self.db.fetch("SELECT path, number FROM fix_prs WHERE repo = ? AND state = 'open'", repo)
        return {str(row[0]): int(row[1]) for row in rows}

    # ------------------------------------------------------------ the write budget
    async def take_write(
        self, installation: int, window: int, cap: int, now: float | None = None
    ) -> float | None:
        """Count one content-creating request against the installation's current window,
        shared by every replica; None when it fits, else when the next window starts."""
        now = time.time() if now is None else now
        start = int(now // window) * window
        # One statement counts and reads: replicas asking at once each get their own count.
        rows = await self.db.fetch(
            "INSERT INTO write_budget (installation, window_start, used) VALUES (?, ?, 1) "
            "ON CONFLICT (installation, window_start) DO UPDATE SET used = "
            "write_budget.used + 1 RETURNING used",
            installation,
            start,
        )
        if int(rows[0][0]) <= cap:
            if int(rows[0][0]) == 1:  # the first write of a window clears the old ones
                await self.db.execute("DELETE FROM write_budget WHERE window_start < ?", start - window)
            return None
        return float(start + window)

    # ------------------------------------------------------------ replayed bodies
    async def first_delivery(
        self, digest: str, delivery_id: str, window: float, now: float | None = None
    ) -> str:
        """The delivery id that first brought a body with this digest in the last `window`
        seconds; `delivery_id` itself when none did (it is then recorded as the first).

        One upsert decides: of replicas offered the same body at once, one id wins. A row
        older than the window is taken over, so its body may come again later."""
        now = time.time() if now is None else now
        await self.db.execute(
            "INSERT INTO body_digests (digest, delivery_id, seen_at) VALUES (?, ?, ?) "
            "ON CONFLICT (digest) DO UPDATE SET delivery_id = excluded.delivery_id, "
            "seen_at = excluded.seen_at WHERE body_digests.seen_at < ?",
            digest,
            delivery_id,
            now,
            now - window,
        )
        rows = await self.db.fetch("SELECT delivery_id FROM body_digests WHERE digest = ?", digest)
        if now - self._digests_purged > window / 60:  # a few times a window, not per delivery
            self._digests_purged = now
            await self.db.execute("DELETE FROM body_digests WHERE seen_at < ?", now - window)
        return str(rows[0][0]) if rows else delivery_id

    # ----------------------------------------------------------- the runner watchdog
    async def save_waiting(self, job: Waiting) -> None:
        await self.db.execute(
            "INSERT INTO waiting_jobs (job_id, installation, repo, name, labels, head_sha, "
            "queued_at) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (job_id) DO NOTHING",
            job.job_id,
            job.installation,
            job.repo,
            job.name,
            json.dumps(list(job.labels)),
            job.head_sha,
            job.queued_at,
        )

    async def drop_waiting(self, job_id: int) -> None:
        await self.db.execute("DELETE FROM waiting_jobs WHERE job_id = ?", job_id)

    async def waiting(
        self, queued_before: float, repo: str | None = None, swept_before: float | None = None
    ) -> list[Waiting]:
        """Legs queued before a time (of one repository; not swept since `swept_before`)."""
        sql = (
            "SELECT job_id, installation, repo, name, labels, head_sha, queued_at "
            "FROM waiting_jobs WHERE queued_at <= ?"
        )
        args: list[Any] = [queued_before]
        if repo is not None:
            sql += " AND repo = ?"
            args.append(repo)
        if swept_before is not None:
            sql += " AND (swept_at IS NULL OR swept_at <= ?)"
            args.append(swept_before)
        rows = await self.db.fetch(sql + " ORDER BY queued_at", *args)
        return [
            Waiting(int(r[0]), int(r[1]), str(r[2]), str(r[3]), tuple(json.loads(r[4])), str(r[5]), float(r[6]))
            for r in rows
        ]

    async def swept(self, job_id: int) -> None:
        await self.db.execute("UPDATE waiting_jobs SET swept_at = ? WHERE job_id = ?", time.time(), job_id)

    async def by_status(self) -> dict[tuple[int, str], int]:
        """Jobs by status per installation, from each repository's latest row (metrics): one
        summary row per repository, so a scrape costs the same however long the history."""
        counts: dict[tuple[int, str], int] = {}
        for installation, by_status in await self.db.fetch("SELECT installation, by_status FROM scan_latest"):
            for status, count in json.loads(by_status).items():
                key = (int(installation), str(status))
                counts[key] = counts.get(key, 0) + int(count)
        return counts

    # ------------------------------------------------------- replies to read-only users
    async def take_reply(
        self, repo: str, number: int, login: str, asked_by: str, window: float, now: float | None = None
    ) -> bool:
        """Whether the bot may answer `login` (who cannot write) on this pull request or issue:
        one reply per `window`, shared by every replica. `asked_by` names what asked (a
        comment, a click); the same one asking again (a retried job) keeps its turn."""
        now = time.time() if now is None else now
        # One statement takes the turn when it is free or expired: replicas asking at once
        # cannot both get it.
        rows = await self.db.fetch(
            "INSERT INTO reply_turns (repo, number, login, asked_by, at) VALUES (?, ?, ?, ?, ?) "
            "ON CONFLICT (repo, number, login) DO UPDATE SET asked_by = excluded.asked_by, "
            "at = excluded.at WHERE reply_turns.at <= ? RETURNING asked_by",
            repo,
            number,
            login,
            asked_by,
            now,
            now - window,
        )
        if rows:
            await self.db.execute("DELETE FROM reply_turns WHERE at <= ?", now - window)
            return True
        held = await self.db.fetch(
            "SELECT asked_by FROM reply_turns WHERE repo = ? AND number = ? AND login = ?", repo, number, login
        )
        return bool(held) and str(held[0][0]) == asked_by
