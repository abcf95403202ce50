"""What the scan history keeps and shows (issue 20, items 9 and 13): repository visibility
in reports, retention of scan rows, rounds and reports, and a metrics read whose cost does
not grow with the history; the store on both backends (SQLite and a real PostgreSQL)."""

from __future__ import annotations

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
