"""Organisation scans end to end: the real service against the fake GitHub, an organisation
of 30 repositories built from the shared corpus."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

from bot.core.analysis import analyze
from bot.core.config import load_policy
from bot.core.scans import ARCHIVED, DISABLED, EMPTY, SCANNED, UNCHANGED
from bot.render import org_report
from tests.fake_github import FakeGitHub, Fault, Repository
from tests.service_harness import (
    INSTALLATION,
    ORG,
    ORG_CONFIG,
    ROOT,
    Service,
    example,
    for_repo,
    installation_created,
    organisation,
    wait_until,
)

SKIPPED = {"old-tool": ARCHIVED, "older-tool": ARCHIVED, "blocked": DISABLED, "fresh": EMPTY}


def report(service: Service, *args: str) -> Any:
    """`parity-bot report` on the service's database, as an operator runs it."""
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "bot",
            "report",
            "--database",
            service.env["DATABASE_URL"],
            "--format",
            "json",
            *args,
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
        env={**service.env},
    )
    if result.returncode != 0:
        return None
    return json.loads(result.stdout)


def rows(service: Service) -> dict[str, dict[str, Any]]:
    data = report(service)
    return {} if data is None else {r["repository"]: r for r in data["repositories"]}


def expected(repo: Repository) -> dict[str, int]:
    """What `parity-bot check` says about the repository's default branch, by status."""
    files = {path: data for path, data in repo.files["main"].items() if path.startswith(".github/workflows/")}
    config = repo.files["main"].get(".github/parity.yml")
    policy = load_policy(config) if config is not None else load_policy(ORG_CONFIG)
    by_status: dict[str, int] = analyze(files, policy).summary()["by_status"]
    return by_status


def scanned_everything(
    service: Service, repos: dict[str, Repository], states: tuple[str, ...] = (SCANNED,)
) -> dict[str, dict[str, Any]]:
    found = rows(service)
    done = len(found) == len(repos) and all(
        row["state"]
        in (
            states
            if row["repository"].split("/")[1] not in SKIPPED
            else (SKIPPED[row["repository"].split("/")[1]],)
        )
        for row in found.values()
    )
    return found if done else {}


def install(service: Service, repos: dict[str, Repository], timeout: float = 120) -> dict[str, dict[str, Any]]:
    """Install the App on the organisation and wait until the first round is done."""
    assert service.deliver("installation", installation_created(repos)).status_code == 202
    found: dict[str, dict[str, Any]] = wait_until(
        lambda: scanned_everything(service, repos), timeout, "the first round"
    )
    return found


def test_installing_scans_each_active_repository_once_and_a_quiet_round_costs_one_304_each(
    tmp_path: Path, github: FakeGitHub
) -> None:
    repos = organisation(github)
    active = [name for name in repos if name not in SKIPPED]
    service = Service(tmp_path, github).start()
    try:
        found = install(service, repos)
    finally:
        service.stop()
    for name, repo in repos.items():
        row = found[f"{ORG}/{name}"]
        if name in SKIPPED:
            assert row["state"] == SKIPPED[name] and row["jobs"] == 0
            continue
        assert row["by_status"] == expected(repo), name
        assert row["commit"] and len(row["commit"]) == 40
    data = report(service)
    assert data["totals"]["repositories"] == 30 and data["totals"]["judged"] == len(active)
    assert data["totals"]["skipped"] == {ARCHIVED: 2, DISABLED: 1, EMPTY: 1}
    assert data["totals"]["jobs"] == sum(sum(expected(repos[n]).values()) for n in active)
    # Each active repository's blobs were fetched once; skipped ones were never read.
    for name in SKIPPED:
        assert not github.calls("GET", rf"^/repos/{ORG}/{name}/")
    blobs = github.calls("GET", r"/git/blobs/")
    assert len(blobs) == len({r.path for r in blobs})
    # A dashboard only where the config asks for one.
    assert [name for name, repo in repos.items() if repo.issues] == ["ipfs-latest", ".github"]
    assert len(repos["ipfs-latest"].issues) == 1
    # The org report: one issue in the owner's .github repository, totals first.
    reports = list(repos[".github"].issues.values())
    assert len(reports) == 1 and reports[0]["title"] == org_report.TITLE
    assert (
        f"**{len(active)} repositories** judged (2 archived, 1 disabled, 1 empty skipped)" in reports[0]["body"]
    )
    assert (
        f"{data['totals']['jobs']} jobs: {data['totals']['by_status']['parity']} parity" in reports[0]["body"]
    )

    # A day later (SCAN_INTERVAL shortened), nothing has changed: one 304 per repository.
    first = len(github.requests)
    service.env["SCAN_INTERVAL"] = "2"
    service.restart()
    try:
        wait_until(lambda: scanned_everything(service, repos, (UNCHANGED,)), 60, "the scheduled round")
    finally:
        service.stop()
    later = github.requests[first:]
    listing = [r for r in later if r.path.endswith("/contents/.github")]
    assert listing and all(r.status == 304 for r in listing)
    assert all(r.headers.get("if-none-match") for r in listing)
    per_repo: dict[str, int] = {}
    for request in listing:
        name = request.path.split("/")[3]
        per_repo[name] = per_repo.get(name, 0) + 1
    import sqlite3

    db = sqlite3.connect(service.env["DATABASE_URL"].removeprefix("sqlite:///"))
    later_scans = dict(
        db.execute(
            "SELECT repo, COUNT(*) FROM scans WHERE round > 1 AND state = 'unchanged' GROUP BY repo"
        ).fetchall()
    )
    # One conditional request per repository and round, and nothing else per repository.
    assert per_repo == {repo.split("/")[1]: n for repo, n in later_scans.items()}
    assert set(per_repo) == set(active)
    others = [r for r in later if r not in listing]
    # Besides, per round and not per repository: a token, the installation's repository
    # list, the owner's config (both names), and the org report (the App's login once, find, edit).
    report_issue = next(iter(repos[".github"].issues))
    assert {(r.method, r.path) for r in others} <= {
        ("POST", f"/app/installations/{INSTALLATION}/access_tokens"),
        ("GET", "/installation/repositories"),
        ("GET", f"/repos/{ORG}/.github/contents/.github/parity.yml"),
        ("GET", f"/repos/{ORG}/.github/contents/.github/parity.yaml"),  # either name
        ("GET", "/app"),
        ("GET", f"/repos/{ORG}/.github/issues"),
        ("PATCH", f"/repos/{ORG}/.github/issues/{report_issue}"),
    }
    assert not [line for line in service.log_lines() if line.get("level") == "ERROR"]
    # The round's report was published again (unchanged: found, not edited, not duplicated).
    assert [r for r in later if r.path == f"/repos/{ORG}/.github/issues"]
    assert len(repos[".github"].issues) == 1


def test_a_push_that_changes_a_workflow_rescans_reading_only_the_changed_file(
    tmp_path: Path, github: FakeGitHub
) -> None:
    repos = organisation(github)
    service = Service(tmp_path, github).start()
    try:
        install(service, repos)
        repo = repos["ipfs-optional"]
        before = rows(service)[f"{ORG}/ipfs-optional"]
        # The default branch gets the `after` state of one workflow (its arm64 legs back).
        path = ".github/workflows/run-tests.yml"
        repo.files["main"][path] = repos["ipfs-after"].files["main"][path]
        start = len(github.requests)
        push = for_repo("push.with-new-branch", repo)
        push.update({"ref": "refs/heads/main", "created": False, "deleted": False})
        push["installation"]["id"] = INSTALLATION
        push["commits"] = [{"id": "c1", "added": [], "removed": [], "modified": [path]}]
        assert service.deliver("push", push).status_code == 202
        # A push that touches no workflow, or another branch, asks for nothing.
        quiet = json.loads(json.dumps(push))
        quiet["commits"][0]["modified"] = ["README.md"]
        service.deliver("push", quiet)
        elsewhere = json.loads(json.dumps(push))
        elsewhere["ref"] = "refs/heads/feature"
        service.deliver("push", elsewhere)

        def rescanned() -> dict[str, Any] | None:
            row = rows(service).get(f"{ORG}/ipfs-optional")
            return row if row and row["scanned_at"] > before["scanned_at"] else None

        after = wait_until(rescanned, 60, "the push's scan")
        assert after["by_status"] == expected(repo)
        assert after["by_status"] != before["by_status"]
        later = github.requests[start:]
        blobs = [r for r in later if "/git/blobs/" in r.path]
        assert len(blobs) == 1  # only the changed workflow
        assert len([r for r in later if r.path.endswith("/contents/.github")]) == 1
    finally:
        service.stop()


def test_removing_repositories_and_the_installation_deletes_their_data(
    tmp_path: Path, github: FakeGitHub
) -> None:
    repos = organisation(github)
    service = Service(tmp_path, github).start()
    try:
        install(service, repos)
        removed = example("installation_repositories.removed")
        removed["installation"].update({"id": INSTALLATION, "account": {"login": ORG}})
        removed["repositories_removed"] = [{"full_name": f"{ORG}/ipfs-before"}, {"full_name": f"{ORG}/fresh"}]
        removed["repositories_added"] = []
        service.deliver("installation_repositories", removed)
        wait_until(lambda: f"{ORG}/ipfs-before" not in rows(service), 30, "the removal")
        assert f"{ORG}/fresh" not in rows(service) and len(rows(service)) == 28
        deleted = installation_created(repos)
        deleted["action"] = "deleted"
        service.deliver("installation", deleted)
        wait_until(lambda: report(service) is None, 30, "the deletion")
    finally:
        service.stop()
    import sqlite3

    db = sqlite3.connect(service.env["DATABASE_URL"].removeprefix("sqlite:///"))
    for table in ("scans", "scan_repos", "scan_blobs", "scan_reports", "scan_rounds"):
        assert db.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0] == 0, table


def test_scans_finish_through_5xx_timeouts_and_secondary_rate_limits(
    tmp_path: Path, github: FakeGitHub
) -> None:
    repos = organisation(github)
    github.faults += [
        Fault("GET", r"/contents/\.github$", status=502, times=6, every=3),
        Fault(
            "GET",
            r"/git/blobs/",
            status=403,
            times=2,
            every=7,
            headers={"retry-after": "1"},
            body={"message": "You have exceeded a secondary rate limit"},
        ),
        Fault("GET", r"/contents/\.github/workflows$", status=0, delay=3.0, times=1),
        Fault("GET", r"^/installation/repositories$", status=500, times=1),
    ]
    service = Service(tmp_path, github).start()
    try:
        found = install(service, repos, 180)
    finally:
        service.stop()
    for name, repo in repos.items():
        if name not in SKIPPED:
            assert found[f"{ORG}/{name}"]["by_status"] == expected(repo), name
    assert all(fault.times == 0 for fault in github.faults)


def test_a_round_killed_midway_finishes_after_a_restart_with_one_row_per_repository(
    tmp_path: Path, github: FakeGitHub
) -> None:
    repos = organisation(github)
    # Slow blobs, so that the kill lands in the middle of the round.
    github.faults.append(Fault("GET", r"/git/blobs/", status=0, delay=0.2, times=10_000))
    service = Service(tmp_path, github, WORKERS="2").start()
    service.deliver("installation", installation_created(repos))
    wait_until(lambda: len(rows(service)) >= 3, 120, "a few scans")
    assert len(scanned_everything(service, repos)) == 0  # not done yet
    service.stop(signal.SIGKILL)
    service.restart()
    try:
        found = wait_until(lambda: scanned_everything(service, repos), 180, "the round")
    finally:
        service.stop()
    for name, repo in repos.items():
        if name not in SKIPPED:
            assert found[f"{ORG}/{name}"]["by_status"] == expected(repo), name
    import sqlite3

    db = sqlite3.connect(service.env["DATABASE_URL"].removeprefix("sqlite:///"))
    per_round = db.execute(
        "SELECT repo, round, COUNT(*) FROM scans GROUP BY repo, round HAVING COUNT(*) > 1"
    ).fetchall()
    assert per_round == []
    assert db.execute("SELECT COUNT(DISTINCT round) FROM scans").fetchone()[0] == 1


def test_the_report_command_reads_the_database_in_every_form(tmp_path: Path, github: FakeGitHub) -> None:
    repos = organisation(github)
    service = Service(tmp_path, github).start()
    try:
        install(service, repos)
    finally:
        service.stop()
    base = [sys.executable, "-m", "bot", "report", "--database", service.env["DATABASE_URL"]]
    markdown = subprocess.run(base, capture_output=True, text=True, cwd=ROOT, check=True).stdout
    assert markdown.splitlines()[1].startswith("## Arch parity across the organisation")
    assert f"`{ORG}/ipfs-latest`" in markdown
    assert "Not scanned: " in markdown and f"`{ORG}/fresh` (empty)" in markdown
    table = [line for line in markdown.splitlines() if line.startswith(f"| `{ORG}/")]
    assert len(table) == 26
    csv_text = subprocess.run(
        [*base, "--format", "csv"], capture_output=True, text=True, cwd=ROOT, check=True
    ).stdout
    header, *lines = csv_text.splitlines()
    assert header.startswith("repository,state,scanned_at,commit,workflows")
    assert len(lines) == 30
    missing = subprocess.run([*base, "--installation", "999"], capture_output=True, text=True, cwd=ROOT)
    assert missing.returncode == 2 and "no scans" in missing.stderr
    bad = subprocess.run([*base, "--since", "yesterday"], capture_output=True, text=True, cwd=ROOT)
    assert bad.returncode == 2 and "--since" in bad.stderr


def test_a_live_report_scans_the_organisation_through_the_app_without_the_service(
    tmp_path: Path, github: FakeGitHub
) -> None:
    from tests.service_harness import APP_ID, app_key

    repos = organisation(github)
    github.installations[ORG] = INSTALLATION
    env = {
        "PATH": "",
        "PYTHONPATH": str(ROOT),
        "APP_ID": str(APP_ID),
        "PRIVATE_KEY": app_key()[0],
        "GITHUB_API_URL": github.url,
        "ENV_FILE": str(tmp_path / ".env"),
    }
    result = subprocess.run(
        [sys.executable, "-m", "bot", "report", "--org", ORG, "--live", "--format", "json", "--progress"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=env,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    found = {row["repository"]: row for row in data["repositories"]}
    for name, repo in repos.items():
        row = found[f"{ORG}/{name}"]
        assert row["state"] == SKIPPED.get(name, SCANNED)
        if name not in SKIPPED:
            assert row["by_status"] == expected(repo), name
    assert f"scanning {len(repos) - len(SKIPPED)}/{len(repos) - len(SKIPPED)}" in result.stderr
    assert not list(tmp_path.glob("*.db"))  # nothing kept
    unknown = subprocess.run(
        [sys.executable, "-m", "bot", "report", "--org", "nobody", "--live"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=env,
        timeout=60,
    )
    assert unknown.returncode == 2 and "not installed on nobody" in unknown.stderr


def test_a_scan_reads_the_scripts_a_workflow_hands_its_work_to(tmp_path: Path, github: FakeGitHub) -> None:
    """The same judgement as `parity-bot check` on a checkout: a step that runs the
    repository's own script is judged by what the script runs."""
    workflow = b"on: push\njobs:\n  arm:\n    runs-on: ubuntu-latest\n    steps:\n      - run: ./ci/build.sh\n"
    script = b"#!/bin/sh\nset -e\ncargo build --release --target aarch64-unknown-linux-gnu\n"
    repo = Repository(ORG, "scripted", installation=INSTALLATION)
    repo.files["main"] = {".github/workflows/ci.yml": workflow, "ci/build.sh": script}
    github.repos[f"{ORG}/scripted"] = repo
    service = Service(tmp_path, github).start()
    try:
        found = install(service, {"scripted": repo})
    finally:
        service.stop()
    # unread, `./ci/build.sh` could be anything (amd64-only, a warning); read, it cross-builds
    assert found[f"{ORG}/scripted"]["by_status"]["not-applicable"] == 1
    assert github.calls("GET", rf"^/repos/{ORG}/scripted/contents/ci/build\.sh$")
