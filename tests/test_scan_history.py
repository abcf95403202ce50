"""What the scan history keeps and shows: repository visibility
in reports, retention of scan rows, rounds and reports, and a metrics read whose cost does
not grow with the history; the store on both backends (SQLite and a real PostgreSQL)."""

from __future__ import annotations

from pathlib import Path

from bot.core.scans import SCANNED, RepoScan, is_private, shown
from bot.render import org_report
from bot.service.store import Store
from tests.test_scans_core import store_url

__all__ = ["store_url"]  # the fixture, shared with the scan store's other tests


def _row(repo: str, state: str = SCANNED, parity: int = 1, at: float = 1_700_000_000.0) -> RepoScan:
    return RepoScan(1, repo, state, at, "c" * 40, 1, 0, parity, {"parity": parity})


def test_only_a_repository_listed_as_public_counts_as_public() -> None:
    assert not is_private({"private": False, "visibility": "public"})
    assert not is_private({"private": False})
    assert is_private({"private": True, "visibility": "private"})
    assert is_private({"private": True, "visibility": "internal"})
    assert is_private({"private": False, "visibility": "internal"})
    assert is_private({})  # the listing did not say: kept out of a public report


def test_a_public_report_shows_public_rows_and_counts_the_rest() -> None:
    rows = [_row("o/a"), _row("o/secret"), _row("o/never-listed")]
    kept, left_out = shown(rows, {"o/a"})
    assert [r.repo for r in kept] == ["o/a"] and left_out == 2
    text = org_report.markdown(kept, [], account="o", left_out=left_out)
    assert "2 private repositories left out: this report's repository is not private." in text
    assert "secret" not in text and "never-listed" not in text
    assert "left out" not in org_report.markdown(rows, [], account="o")
    assert "1 private repository left out" in org_report.markdown(kept, [], left_out=1)


async def test_visibility_is_kept_per_repository_and_forgotten_with_it(store_url: str) -> None:
    store = Store(store_url)
    await store.open()
    try:
        await store.save_visibility(1, {"o/a": False, "o/b": True, "o/.github": False})
        await store.save_visibility(2, {"p/c": False})
        assert await store.public_repos(1) == {"o/a", "o/.github"}
        assert await store.is_private("o/b") is True and await store.is_private("o/a") is False
        assert await store.is_private("o/never-listed") is None
        await store.save_visibility(1, {"o/a": True})  # made private since
        assert await store.public_repos(1) == {"o/.github"}
        await store.forget_repos(1, ["o/.github"])
        assert await store.public_repos(1) == set()
        await store.forget_installation(2)
        assert await store.is_private("p/c") is None
    finally:
        await store.close()


# ------------------------------------------------------------------ retention

DAY = 86_400.0
T0 = 1_700_000_000.0


async def _history(store: Store) -> None:
    """Ten daily rounds: o/a changes every day, o/b fails the last three, o/c was scanned on
    the first two days only (removed from the installation's selection since, say)."""
    for day in range(10):
        at = T0 + day * DAY
        round_id = await store.round_for(1, f"schedule:{day}:1", "scheduled")
        await store.db.execute("UPDATE scan_rounds SET started_at = ? WHERE id = ?", at, round_id)
        await store.record_scan(round_id, _row("o/a", parity=day, at=at), report=f'{{"a": {day}}}')
        if day >= 7:
            await store.record_scan(round_id, RepoScan(1, "o/b", "failed", at, error="GitHub answered 502"))
        else:
            await store.record_scan(round_id, _row("o/b", parity=2, at=at), report='{"b": 2}')
        if day < 2:
            await store.record_scan(round_id, _row("o/c", parity=day + 5, at=at), report=f'{{"c": {day}}}')


async def _views(store: Store) -> dict[str, object]:
    """Everything the org report, `report --since`, dashboards and metrics read."""
    views: dict[str, object] = {
        "latest": await store.latest(1),
        "previous": await store.previous(1),
        "by_status": await store.by_status(),
    }
    for since in (T0 + 6.7 * DAY, T0 + 7.5 * DAY, T0 + 9 * DAY):
        views[f"since {since}"] = await store.latest(1, until=since)
    for repo in ("o/a", "o/b", "o/c"):
        last = await store.last_scan(repo)
        assert last is not None and last[1] is not None
        views[f"last {repo}"] = (last[0], await store.report(1, last[1]))
    return views


async def test_retention_removes_old_history_and_every_report_reads_the_same(store_url: str) -> None:
    store = Store(store_url)
    await store.open()
    try:
        await _history(store)
        before = await _views(store)
        assert await store.count_scans() == 10 + 10 + 2
        pruned = await store.prune_scans(T0 + 6.5 * DAY)
        # o/a and o/b: days 0-5 go (day 6 was the latest at the cutoff; o/b's is also its
        # latest judged row); o/c keeps both rows (its latest and the one before).
        assert (pruned.scans, pruned.reports, pruned.rounds) == (12, 6, 7)
        assert await store.count_scans() == 10
        assert await _views(store) == before
        kept = await store.db.fetch("SELECT COUNT(*) FROM scan_reports")
        assert int(kept[0][0]) == 4 + 1 + 2  # o/a days 6-9, o/b's one body, o/c's two
        assert not await store.prune_scans(T0 + 6.5 * DAY)  # nothing more to remove
    finally:
        await store.close()


async def test_a_metrics_read_costs_the_same_however_long_the_history(tmp_path: Path) -> None:
    """Counted in SQLite virtual-machine steps (deterministic, unlike a timing)."""
    store = Store(f"sqlite:///{tmp_path / 'store.db'}")
    await store.open()
    try:

        async def steps_of_a_scrape() -> tuple[int, dict[tuple[int, str], int]]:
            counted = [0]

            def tick() -> int:
                counted[0] += 1
                return 0

            connection = store.db._db  # type: ignore[attr-defined]
            connection.set_progress_handler(tick, 1)
            try:
                found = await store.by_status()
            finally:
                connection.set_progress_handler(None, 1)
            return counted[0], found

        async def rounds(first: int, count: int) -> None:
            for day in range(first, first + count):
                round_id = await store.round_for(1, f"r{day}", "scheduled")
                for repo in ("o/a", "o/b", "o/c"):
                    await store.record_scan(round_id, _row(repo, parity=day % 3, at=T0 + day))

        await rounds(0, 2)
        short, found = await steps_of_a_scrape()
        assert found == {(1, "parity"): 3 * (1 % 3)}
        await rounds(2, 60)
        long, found = await steps_of_a_scrape()
        assert found == {(1, "parity"): 3 * (61 % 3)}
        assert long == short
        # A database from before the summary table gets it on its next open.
        await store.db.execute("DELETE FROM scan_latest")
        await store.close()
        await store.open()
        assert (await steps_of_a_scrape())[1] == found
    finally:
        await store.close()
