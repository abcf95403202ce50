"""The tests' own PostgreSQL (tests/postgres.py): a throwaway server from a wheel, so the
queue's PostgreSQL tests need nothing installed on the machine and nothing listening."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import pytest

from tests import postgres


async def _ask(url: str, query: str) -> str:
    import asyncpg

    connection = await asyncpg.connect(url)
    try:
        return str(await connection.fetchval(query))
    finally:
        await connection.close()


def test_a_throwaway_server_starts_without_postgresql_on_path_and_leaves_nothing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("PATH", "/nonexistent")  # no pg_ctl, initdb or postgres to find
    server = postgres.Throwaway()
    try:
        assert server.port != 5432 and server.url.startswith("postgresql://postgres@127.0.0.1:")
        data = asyncio.run(_ask(server.url, "SHOW data_directory"))
        assert Path(data).is_relative_to(server.folder)
        assert asyncio.run(_ask(server.url, "SHOW server_version")).startswith("18")
        assert server.process is not None
        status = Path(f"/proc/{server.process.pid}/status")
        if os.geteuid() == 0 and status.exists():  # PostgreSQL refuses root: it runs as nobody
            uid = next(line for line in status.read_text().splitlines() if line.startswith("Uid:"))
            assert int(uid.split()[1]) != 0
    finally:
        server.stop()
    assert server.process.poll() is not None
    assert not server.folder.exists()


def test_parity_test_postgres_names_an_existing_server_instead(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(postgres.ENVIRONMENT, "postgresql://someone@db.example:5433/postgres")
    monkeypatch.setattr(postgres, "Throwaway", None)  # starting one would fail the test
    assert postgres.admin_url() == "postgresql://someone@db.example:5433/postgres"
