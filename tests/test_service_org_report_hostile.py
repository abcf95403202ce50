"""The org report under hostile conditions: the real service under
uvicorn, GitHub played by the fake, deliveries signed as GitHub signs them."""

from __future__ import annotations

import sqlite3
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bot.render import org_report
from tests.fake_github import FakeGitHub, Fault, Repository
from tests.service_harness import (
    INSTALLATION,
    ORG,
    ORG_CONFIG,
    Service,
    installation_created,
    wait_until,
)
from tests.test_service_scans import report

NORMAL = b"on: push\njobs:\n  test:\n    runs-on: ubuntu-latest\n    steps:\n      - run: make test\n"


def small_org(
    github: FakeGitHub, names: tuple[str, ...], private: tuple[str, ...] = (), config: bytes = ORG_CONFIG
) -> dict[str, Repository]:
    """A few repositories with one amd64-only workflow each, and the owner's `.github`
    repository whose config asks for the org report."""
    repos: dict[str, Repository] = {}
    for name in names:
        repo = Repository(ORG, name, installation=INSTALLATION, private=name in private)
        repo.files["main"] = {".github/workflows/ci.yml": NORMAL}
        github.repos[repo.full_name] = repos[name] = repo
    owner = Repository(ORG, ".github", installation=INSTALLATION, private=".github" in private)
    owner.files["main"] = {".github/parity.yml": config}
    github.repos[owner.full_name] = repos[".github"] = owner
    return repos


def org_report_issue(repos: dict[str, Repository], timeout: float = 120) -> dict[str, Any]:
    found: dict[str, Any] = wait_until(
        lambda: next(iter(repos[".github"].issues.values()), None), timeout, "the org report"
    )
    return found


def test_a_repository_github_refuses_is_reported_as_failed_and_the_round_still_reports(
    tmp_path: Path, github: FakeGitHub
) -> None:
    repos = small_org(github, ("app", "lib", "locked"))
    refused = Fault(
        "GET",
        rf"^/repos/{ORG}/locked/contents/\.github$",
        status=403,
        times=1000,
        body={"message": "Resource not accessible by integration"},
    )
    github.faults.append(refused)
    service = Service(tmp_path, github).start()
    try:
        assert service.deliver("installation", installation_created(repos)).status_code == 202
        issue = org_report_issue(repos)
        assert service.process is not None and service.process.poll() is None
    finally:
        service.stop()
    body = issue["body"]
    assert issue["title"] == org_report.TITLE
    assert "**3 repositories** judged (1 failed skipped)" in body
    assert f"`{ORG}/locked` (failed: GET /repos/{ORG}/locked/contents/.github: 403 " in body
    assert "Resource not accessible by integration" in body
    # A 4xx is GitHub's last word: asked once, not retried until the job dies.
    assert refused.seen == 1
    db = sqlite3.connect(service.env["DATABASE_URL"].removeprefix("sqlite:///"))
    states = dict(db.execute("SELECT repo, state FROM scans").fetchall())
    assert states == {
        f"{ORG}/app": "scanned",
        f"{ORG}/lib": "scanned",
        f"{ORG}/.github": "scanned",
        f"{ORG}/locked": "failed",
    }


def test_a_public_report_leaves_private_repositories_and_their_errors_out(
    tmp_path: Path, github: FakeGitHub
) -> None:
    repos = small_org(github, ("app", "secret-sauce", "vault"), private=("secret-sauce", "vault"))
    # The private repository's error text names it and what GitHub said about it.
    github.faults.append(
        Fault(
            "GET",
            rf"^/repos/{ORG}/vault/contents/\.github$",
            status=403,
            times=1000,
            body={"message": "Resource not accessible by integration"},
        )
    )
    service = Service(tmp_path, github).start()
    try:
        service.deliver("installation", installation_created(repos))
        body = org_report_issue(repos)["body"]
    finally:
        service.stop()
    assert "secret-sauce" not in body and "vault" not in body
    assert "Resource not accessible" not in body
    assert "2 private repositories left out: this report's repository is not private." in body
    assert f"`{ORG}/app`" in body
    assert "**2 repositories** judged:" in body  # app and .github: the totals are the shown rows'


def test_a_private_report_lists_private_repositories(tmp_path: Path, github: FakeGitHub) -> None:
    repos = small_org(github, ("app", "secret-sauce"), private=("secret-sauce", ".github"))
    service = Service(tmp_path, github).start()
    try:
        service.deliver("installation", installation_created(repos))
        body = org_report_issue(repos)["body"]
    finally:
        service.stop()
    assert f"`{ORG}/secret-sauce`" in body and f"`{ORG}/app`" in body
    assert "left out" not in body
    assert "**3 repositories** judged:" in body


# ------------------------------------------------------------------ retention (item 13)


def _report(service: Service, *args: str) -> Any:
    """`parity-bot report` on the service's database, which must answer."""
    data = report(service, *args)
    assert data is not None
    return data


PRUNED = "scan history past retention removed"  # the service's log line


def _kept(rows: list[tuple[int, str, str, float]], cutoff: float) -> set[int]:
    """The retention rule, written out: per repository, every row since the cutoff, its
    latest row, the one before, its latest judged row and its latest row before the cutoff."""
    kept: set[int] = set()
    for repo in {row[1] for row in rows}:
        mine = sorted((row for row in rows if row[1] == repo), key=lambda row: row[0])
        kept |= {row[0] for row in mine if row[3] >= cutoff}
        kept |= {row[0] for row in mine[-2:]}
        judged = [row[0] for row in mine if row[2] in ("scanned", "unchanged")]
        before = [row[0] for row in mine if row[3] < cutoff]
        kept |= set(judged[-1:]) | set(before[-1:])
    return kept


def test_scan_history_past_retention_is_removed_and_the_reports_read_the_same(
    tmp_path: Path, github: FakeGitHub
) -> None:
    repos = small_org(github, ("app", "lib", "tool"))
    service = Service(tmp_path, github, SCAN_INTERVAL="1").start()
    path = service.env["DATABASE_URL"].removeprefix("sqlite:///")

    def rounds_done() -> int:
        with sqlite3.connect(path) as db:
            full = db.execute("SELECT round FROM scans GROUP BY round HAVING COUNT(*) = 4").fetchall()
        return len(full)

    try:
        service.deliver("installation", installation_created(repos))
        org_report_issue(repos)
        wait_until(lambda: rounds_done() >= 6, 120, "six rounds")
    finally:
        service.stop()
    # All but the last two rounds happened a month ago.
    now = time.time()
    with sqlite3.connect(path) as db:
        last = db.execute("SELECT MAX(round) FROM scans").fetchone()[0]
        for table, column, key in (("scans", "scanned_at", "round"), ("scan_rounds", "started_at", "id")):
            db.execute(f"UPDATE {table} SET {column} = {column} - ? WHERE {key} < ?", (30 * 86400, last - 1))
        rows = db.execute("SELECT id, repo, state, scanned_at FROM scans").fetchall()
        aged = db.execute("SELECT COUNT(*) FROM scan_rounds WHERE started_at < ?", (now - 86400,)).fetchone()
    cutoff = now - 7 * 86400  # RETENTION_DAYS' default
    expected = _kept(rows, cutoff)
    assert len(expected) < len(rows) - 8 and aged[0] >= 4
    since = datetime.fromtimestamp(now - 86400, UTC).isoformat()
    before = _report(service), _report(service, "--since", since)
    # The same database a day later; the scheduler looks every second (RUNNER_WAIT_MINUTES).
    service.env.update({"SCAN_INTERVAL": "86400", "RUNNER_WAIT_MINUTES": "0.05"})
    service.restart()
    try:
        wait_until(
            lambda: any(
                line.get("message") == "scan history past retention removed" for line in service.log_lines()
            ),
            60,
            "the retention pass",
        )
    finally:
        service.stop()
    with sqlite3.connect(path) as db:
        assert {row[0] for row in db.execute("SELECT id FROM scans")} == expected
        assert db.execute("SELECT COUNT(*) FROM scan_rounds WHERE started_at < ?", (cutoff,)).fetchone()[0] == 0
        named = {row[0] for row in db.execute("SELECT report_sha FROM scans WHERE report_sha IS NOT NULL")}
        assert {row[0] for row in db.execute("SELECT sha FROM scan_reports")} == named
    assert (_report(service), _report(service, "--since", since)) == before
    assert not [line for line in service.log_lines() if line.get("level") == "ERROR"]
