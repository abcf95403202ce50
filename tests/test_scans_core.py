"""Scans as plain data (what a scan reads, skips and records) and the org report's forms,
and the scan store on both backends (SQLite and a real PostgreSQL)."""

from __future__ import annotations

import asyncio
import csv
import io
import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.core.analysis import analyze
from bot.core.scans import (
    ARCHIVED,
    DISABLED,
    EMPTY,
    SCANNED,
    UNCHANGED,
    RepoScan,
    changes,
    github_folder,
    skip_reason,
    summarize,
    totals,
    touches_scan_inputs,
    workflow_entries,
)
from bot.render import org_report
from bot.service.store import Dashboard, RepoState, Store
from tests.conftest import CORPUS, read_folder
from tests.test_queue import _drop, _pg_database


def test_archived_disabled_and_empty_repositories_are_skipped_by_name() -> None:
    assert skip_reason({"archived": True, "size": 10}) == ARCHIVED
    assert skip_reason({"disabled": True, "size": 10}) == DISABLED
    assert skip_reason({"size": 0}) == EMPTY
    assert skip_reason({"size": 10, "archived": False, "disabled": False}) is None


def test_only_files_github_runs_are_read_from_the_workflows_listing() -> None:
    listing = [
        {"name": "ci.yml", "type": "file", "sha": "a"},
        {"name": "release.yaml", "type": "file", "sha": "b"},
        {"name": "README.md", "type": "file", "sha": "c"},
        {"name": "templates", "type": "dir", "sha": "d"},
    ]
    assert workflow_entries(listing) == {".github/workflows/ci.yml": "a", ".github/workflows/release.yaml": "b"}


def test_the_github_folder_gives_the_workflows_tree_and_the_config_blob() -> None:
    folder = github_folder(
        [
            {"name": "workflows", "type": "dir", "sha": "t1"},
            {"name": "parity.yaml", "type": "file", "sha": "c1"},
            {"name": "CODEOWNERS", "type": "file", "sha": "x"},
        ]
    )
    assert (folder.workflows_sha, folder.config_path, folder.config_sha) == ("t1", ".github/parity.yaml", "c1")
    assert not folder.both_configs
    both = github_folder(
        [
            {"name": "parity.yaml", "type": "file", "sha": "c1"},
            {"name": "parity.yml", "type": "file", "sha": "c2"},
        ]
    )
    assert both.both_configs and (both.config_path, both.config_sha) == (".github/parity.yml", "c2")
    bare = github_folder([{"name": "dependabot.yml", "type": "file", "sha": "x"}])
    assert (bare.workflows_sha, bare.config_path) == (None, None)


def test_a_push_matters_when_it_touches_a_workflow_or_the_config() -> None:
    assert touches_scan_inputs(["src/a.py", ".github/workflows/ci.yml"])
    assert touches_scan_inputs([".github/parity.yml"])
    assert not touches_scan_inputs(["README.md", ".github/dependabot.yml", "docs/.github/workflows/x.yml"])


def _row(
    repo: str,
    state: str = SCANNED,
    parity: int = 0,
    amd64: int = 0,
    multi: int = 0,
    workflows: int = 1,
    at: float = 1_700_000_000.0,
) -> RepoScan:
    return RepoScan(
        1, repo, state, at, "c" * 40, workflows, multi, parity + amd64, {"parity": parity, "amd64-only": amd64}
    )


def test_totals_count_only_judged_repositories_and_list_the_skipped() -> None:
    rows = [
        _row("o/a", parity=2, amd64=3, multi=1, workflows=2),
        _row("o/b", amd64=4),
        _row("o/c", ARCHIVED),
        _row("o/d", UNCHANGED, parity=1, multi=1),
    ]
    total = totals(rows)
    assert (total.repositories, total.judged, total.workflows, total.multi_arch, total.jobs) == (4, 3, 4, 2, 10)
    assert total.skipped == {ARCHIVED: 1}
    assert total.by_status["parity"] == 3 and total.by_status["amd64-only"] == 7
    assert total.multi_arch_share == 0.5


def test_changes_pair_each_repository_with_its_previous_row() -> None:
    found = changes(
        [_row("o/b", parity=3, amd64=1), _row("o/a", parity=1)],
        [_row("o/b", parity=1, amd64=3), _row("o/z", parity=9)],
    )
    assert [c.now.repo for c in found] == ["o/a", "o/b"]
    assert found[0].delta("parity") is None  # new since: nothing to compare
    assert (found[1].delta("parity"), found[1].delta("amd64-only")) == (2, -2)


def test_a_summary_is_what_check_reports() -> None:
    files = {
        f".github/workflows/{name}": data
        for name, data in read_folder(CORPUS / "ipfs_kit_py" / "after").items()
    }
    report = analyze(files)
    row = summarize(5, "o/ipfs", report, 1.0, "abc")
    assert row.by_status == report.by_status()
    assert row.workflows == len(files) and row.jobs == sum(row.by_status.values())
    assert row.multi_arch == report.summary()["multi_arch_workflows"] > 0


def test_the_org_report_puts_totals_first_and_shows_changes() -> None:
    latest = [_row("o/a", parity=3, amd64=1, multi=1), _row("o/old", ARCHIVED)]
    previous = [_row("o/a", parity=1, amd64=3)]
    text = org_report.markdown(latest, previous, account="o")
    lines = text.splitlines()
    assert lines[0] == org_report.MARKER and lines[1].endswith("(o)")
    assert "**1 repository** judged (1 archived skipped)" in lines[3]
    assert "3 parity (+2)" in lines[3] and "1 amd64-only (-2)" in lines[3]
    assert "| `o/a` | 1 | 1 (100%) (+1) | 3 (+2) |" in text
    assert "Not scanned: `o/old` (archived)" in text


def test_the_org_report_json_and_csv_are_stable_machine_forms() -> None:
    latest = [_row("o/b", amd64=2), _row("o/a", parity=3, multi=1)]
    data = json.loads(org_report.as_json(latest, [_row("o/a", parity=1)]))
    assert data["version"] == 1 and data["totals"]["jobs"] == 5
    assert [r["repository"] for r in data["repositories"]] == ["o/a", "o/b"]
    assert data["repositories"][0]["change"]["parity"] == 2
    assert data["repositories"][1]["change"] is None
    rows = list(csv.reader(io.StringIO(org_report.as_csv(latest))))
    assert tuple(rows[0]) == org_report.CSV_COLUMNS
    assert rows[1][0] == "o/a" and rows[1][rows[0].index("parity")] == "3"
    assert rows[1][2] == "2023-11-14T22:13:20+00:00"


# ------------------------------------------------------------------ the store


@pytest.fixture(params=["sqlite", "postgres"])
async def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'store.db'}"
        return
    url = await _pg_database()
    yield url
    await _drop(url)


async def _opened(url: str) -> Store:
    store = Store(url)
    await store.open()
    return store


async def test_a_round_is_keyed_by_what_started_it(store_url: str) -> None:
    store = await _opened(store_url)
    try:
        first = await store.round_for(1, "installation:d1", "created")
        assert await store.round_for(1, "installation:d1", "created") == first
        assert await store.round_for(1, "installation:d2", "created") != first
    finally:
        await store.close()


async def test_a_scan_rerun_in_its_round_replaces_its_row(store_url: str) -> None:
    store = await _opened(store_url)
    try:
        round_id = await store.round_for(1, "k", "created")
        await store.record_scan(round_id, _row("o/a", parity=1), report='{"v": 1}')
        await store.record_scan(round_id, _row("o/a", parity=2), report='{"v": 2}')
        assert await store.count_scans() == 1
        latest = await store.latest()
        assert latest[0].by_status["parity"] == 2
        last = await store.last_scan("o/a")
        assert last is not None and await store.report(1, str(last[1])) == {"v": 2}
        later = await store.round_for(1, "k2", "scheduled")
        await store.record_scan(later, _row("o/a", UNCHANGED, parity=2, at=1_800_000_000.0), report_sha=last[1])
        assert [r.state for r in await store.latest()] == [UNCHANGED]
        assert [r.by_status["parity"] for r in await store.previous()] == [2]
        assert [r.state for r in await store.latest(until=1_750_000_000.0)] == [SCANNED]
    finally:
        await store.close()


async def test_replicas_agree_on_who_starts_a_scheduled_round(store_url: str) -> None:
    stores = [await _opened(store_url) for _ in range(3)]
    try:
        # The first look only starts the clock.
        assert [await s.claim_schedule("scans", 1.0) for s in stores] == [None, None, None]
        await asyncio.sleep(1.05)
        won = await asyncio.gather(*(s.claim_schedule("scans", 1.0) for s in stores))
        assert sorted(won, key=lambda x: x or 0) == [None, None, 1]
        # The round just started moved the clock: half an interval on, nothing is due, though
        # the first look was a whole interval ago (with 0.2 s here, a slow machine saw it due).
        assert await stores[0].claim_schedule("scans", 0.5) is None
    finally:
        for store in stores:
            await store.close()


async def test_forgetting_removes_a_repository_or_an_installation_and_nothing_else(store_url: str) -> None:
    store = await _opened(store_url)
    try:
        for installation, repo in ((1, "o/a"), (1, "o/b"), (2, "p/c")):
            round_id = await store.round_for(installation, f"k{installation}", "created")
            await store.save_repo_state(
                RepoState(repo, installation, "main", '"e"', "t", {".github/workflows/ci.yml": "s"})
            )
            await store.save_blob(installation, repo, "s", b"on: push\n")
            await store.record_scan(
                round_id, RepoScan(installation, repo, SCANNED, 1.0), report=json.dumps({"repo": repo})
            )
        await store.forget_repos(1, ["o/a"])
        assert [r.repo for r in await store.latest()] == ["o/b", "p/c"]
        assert await store.repo_state("o/a") is None and await store.blob("o/a", "s") is None
        assert await store.blob("o/b", "s") == b"on: push\n"
        await store.forget_installation(1)
        assert [r.repo for r in await store.latest()] == ["p/c"]
        assert await store.installations() == [2]
    finally:
        await store.close()


# ------------------------------------------------------------------ the dashboard's body


def _report() -> dict:
    files = {
        f".github/workflows/{name}": data
        for name, data in read_folder(CORPUS / "ipfs_kit_py" / "optional").items()
    }
    return analyze(files).as_json()


def test_the_dashboard_lists_what_is_not_at_parity_and_a_box_per_fixable_workflow() -> None:
    from bot.render import dashboard

    report = _report()
    text = dashboard.body(
        report,
        {".github/workflows/run-tests.yml": ["test"]},
        {".github/workflows/lint.yml": 12},
        "a" * 40,
        ["arm64 leg `t` queued for 41 min: no runner with labels [x] picked it up"],
    )
    assert text.startswith(dashboard.MARKER)
    partial = [
        (wf["path"], job["id"])
        for wf in report["workflows"]
        for job in wf["jobs"]
        if job["status"] in ("partial", "amd64-only")
    ]
    for path, job_id in partial:
        assert f"| `{path}` | `{job_id}` |" in text
    assert "- #12 adds the arm64 legs to `.github/workflows/lint.yml`" in text
    assert "### Arm64 legs waiting for a runner" in text
    assert "<details><summary>" in text and "jobs not judged" in text
    assert dashboard.boxes(text) == {".github/workflows/run-tests.yml": False}


def test_ticks_are_read_back_exactly_and_a_readers_tick_is_undone() -> None:
    from bot.render import dashboard

    text = dashboard.body(_report(), {".github/workflows/a.yml": ["x"], ".github/workflows/b.yml": ["y"]}, {})
    ticked = text.replace(
        "- [ ] Open a pull request that adds the arm64 legs to `.github/workflows/b.yml`",
        "- [x] Open a pull request that adds the arm64 legs to `.github/workflows/b.yml`",
    )
    assert dashboard.newly_ticked(text, ticked) == [".github/workflows/b.yml"]
    assert dashboard.newly_ticked(ticked, ticked) == []  # an edit that ticks nothing new
    assert dashboard.untick(ticked, [".github/workflows/b.yml"]) == text


async def test_the_write_budget_is_shared_by_replicas_and_windowed(store_url: str) -> None:
    stores = [await _opened(store_url) for _ in range(3)]
    try:
        now = 1_000_005.0
        answers = await asyncio.gather(*(stores[i % 3].take_write(7, 10, 4, now) for i in range(10)))
        assert answers.count(None) == 4  # exactly the cap, whichever replica asked
        assert set(answers) - {None} == {1_000_010.0}  # the next window's start
        assert await stores[0].take_write(8, 10, 4, now) is None  # another installation
        assert await stores[1].take_write(7, 10, 4, now + 10) is None  # the next window
    finally:
        for store in stores:
            await store.close()


def test_a_window_cap_keeps_every_minute_under_the_limit() -> None:
    from bot.service.settings import WRITE_WINDOW, write_cap

    for limit in (7, 30, 80, 1000):
        cap = write_cap(limit)
        assert cap >= 1 and cap * (60 // WRITE_WINDOW + 1) <= limit


def test_fix_requests_pick_the_fixable_workflows_by_path_or_name() -> None:
    scan = _row("o/a")
    scan.fixable = {".github/workflows/ci.yml": ["test"], ".github/workflows/build.yml": ["wheels"]}
    assert scan.fixable_paths() == [".github/workflows/build.yml", ".github/workflows/ci.yml"]
    assert (
        scan.fixable_paths("ci.yml")
        == scan.fixable_paths(".github/workflows/ci.yml")
        == [".github/workflows/ci.yml"]
    )
    assert scan.fixable_paths("lint.yml") == []


async def test_a_dashboard_row_written_meanwhile_is_not_overwritten(store_url: str) -> None:
    """A scan records the dashboard it created only if no row came first (its issue's events
    run under another queue key), and writing the body keeps a close recorded meanwhile."""
    store = await _opened(store_url)
    try:
        await store.save_dashboard(1, "o/a", Dashboard(7, False, None))  # closed, before the scan recorded
        kept = await store.record_dashboard(1, "o/a", Dashboard(7, True, "d1"))
        assert kept == Dashboard(7, False, None)
        assert await store.record_dashboard(1, "o/b", Dashboard(3, True, "d1")) == Dashboard(3, True, "d1")
        await store.save_dashboard(1, "o/b", Dashboard(3, False, None))  # closed while the body is written
        await store.dashboard_written("o/b", 3, "d2")
        assert await store.dashboard("o/b") == Dashboard(3, False, "d2")
        await store.dashboard_written("o/b", 4, "d3")  # another issue's digest: not this row's
        assert await store.dashboard("o/b") == Dashboard(3, False, "d2")
    finally:
        await store.close()
