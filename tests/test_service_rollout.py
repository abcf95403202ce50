"""Dashboards and fix pull requests end to end: the real service, the fake GitHub, and
GitHub's own `issues` and `issue_comment` payloads."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

from bot.render import dashboard as render
from tests.conftest import CORPUS
from tests.fake_github import FakeGitHub, Fault, Repository
from tests.service_harness import (
    INSTALLATION,
    ROOT,
    Service,
    example,
    for_repo,
    moment,
    wait_until,
)

ORG = "rollout"
APP_CONFIG = b"dashboard: true\n"
WORKFLOW = ".github/workflows/run-tests.yml"


def organisation(github: FakeGitHub) -> dict[str, Repository]:
    """`app` wants a dashboard; `lib` (the owner's config) does not."""
    folder = CORPUS / "ipfs_kit_py"

    def workflows(state: str) -> dict[str, bytes]:
        return {f".github/workflows/{p.name}": p.read_bytes() for p in sorted((folder / state).glob("*.yml"))}

    app = Repository(
        ORG, "app", installation=INSTALLATION, permissions={"maintainer": "write", "visitor": "read"}
    )
    app.files["main"] = {**workflows("optional"), ".github/parity.yml": APP_CONFIG}
    lib = Repository(ORG, "lib", installation=INSTALLATION)
    lib.files["main"] = workflows("after")
    dot = Repository(ORG, ".github", installation=INSTALLATION)
    dot.files["main"] = {".github/parity.yml": b"mode: advisory\n"}
    repos = {"app": app, "lib": lib, ".github": dot}
    for repo in repos.values():
        github.repos[f"{ORG}/{repo.name}"] = repo
    return repos


def installed(repos: dict[str, Repository]) -> dict[str, Any]:
    payload = example("installation.created")
    payload["installation"]["id"] = INSTALLATION
    payload["installation"]["account"]["login"] = ORG
    payload["repositories"] = [{"full_name": f"{ORG}/{name}", "name": name} for name in repos]
    return payload


def fixed_tree(repo: Repository, tmp: Path) -> dict[str, bytes]:
    """What `parity-bot fix --write` makes of the default branch's files."""
    root = tmp / f"cli-{len(list(tmp.iterdir()))}"
    for name, data in repo.files["main"].items():
        target = root / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    subprocess.run(
        [sys.executable, "-m", "bot", "fix", "--write", str(root)], cwd=ROOT, capture_output=True, timeout=120
    )
    files = {name: (root / name).read_bytes() for name in repo.files["main"]}
    shutil.rmtree(root)
    return files


def fixed_by_cli(repo: Repository, tmp: Path, path: str) -> bytes:
    return fixed_tree(repo, tmp)[path]


def issue_event(
    repo: Repository, number: int, action: str, sender: str, before: str | None = None
) -> dict[str, Any]:
    payload = for_repo("issues.edited", repo)
    payload["action"] = action
    issue = repo.issues[number]
    payload["issue"].update(
        {"number": number, "body": issue["body"], "state": issue["state"], "user": issue["user"]}
    )
    payload["changes"] = {"body": {"from": before}} if before is not None else {}
    payload["sender"] = {"login": sender, "type": "User"}
    payload["issue"]["updated_at"] = moment()
    return payload


def again(event: dict[str, Any]) -> dict[str, Any]:
    """The same change delivered once more as GitHub would send a new event: a new moment
    (the identical body under a new delivery id is a replay, refused at intake)."""
    return {**event, "issue": {**event["issue"], "updated_at": moment()}}


def push_event(repo: Repository, paths: list[str]) -> dict[str, Any]:
    payload = for_repo("push.with-new-branch", repo)
    payload.update(
        {
            "ref": "refs/heads/main",
            "created": False,
            "deleted": False,
            "commits": [{"id": "c", "added": [], "removed": [], "modified": paths, "timestamp": moment()}],
        }
    )
    return payload


def pulls(repo: Repository, state: str = "open") -> list[Any]:
    return [p for p in repo.pulls.values() if p.state == state and p.head_ref]


def test_dashboard_ticks_and_fix_pull_requests(tmp_path: Path, github: FakeGitHub) -> None:
    repos = organisation(github)
    app = repos["app"]
    github.faults += [
        Fault("POST", r"/git/trees$", status=502, times=1),
        Fault("POST", r"/pulls$", status=502, times=1),
        Fault("GET", r"/issues$", status=503, times=1),
    ]
    service = Service(tmp_path, github).start()
    try:
        service.deliver("installation", installed(repos))
        # One dashboard, in the repository that asked for it.
        issue = wait_until(lambda: next(iter(app.issues.values()), None), 60, "the dashboard")
        assert not repos["lib"].issues and not repos[".github"].issues
        number = issue["number"]
        assert issue["title"] == render.TITLE and render.MARKER in issue["body"]
        boxes = render.boxes(issue["body"])
        assert WORKFLOW in boxes and not any(boxes.values())
        assert "### Jobs not at parity" in issue["body"]

        # A reader's tick is reverted, with a reply; nothing is opened.
        before = issue["body"]
        issue["body"] = before.replace(
            f"- [ ] Open a pull request that adds the arm64 legs to `{WORKFLOW}`",
            f"- [x] Open a pull request that adds the arm64 legs to `{WORKFLOW}`",
        )
        assert render.newly_ticked(before, issue["body"]) == [WORKFLOW]
        service.deliver("issues", issue_event(app, number, "edited", "visitor", before))
        wait_until(
            lambda: not render.boxes(app.issues[number]["body"])[WORKFLOW], 60, "the tick to be reverted"
        )
        wait_until(
            lambda: any(
                "write access" in c["body"] for c in github.issue_comments if c["issue_number"] == number
            ),
            30,
            "the reply",
        )
        assert not pulls(app)

        # A maintainer's tick opens exactly one pull request, with `parity-bot fix`'s edit.
        issue["body"] = issue["body"].replace(
            f"- [ ] Open a pull request that adds the arm64 legs to `{WORKFLOW}`",
            f"- [x] Open a pull request that adds the arm64 legs to `{WORKFLOW}`",
        )
        tick = issue_event(app, number, "edited", "maintainer", before)
        service.deliver("issues", tick)
        pull = wait_until(lambda: next(iter(pulls(app)), None), 60, "the fix pull request")
        assert pull.head_ref == "parity-bot/arm64/run-tests" and pull.base_ref == "main"
        assert app.files[pull.head_ref][WORKFLOW] == fixed_by_cli(app, tmp_path, WORKFLOW)
        changed = {
            p for p in app.files[pull.head_ref] if app.files[pull.head_ref][p] != app.files["main"].get(p)
        }
        assert changed == {WORKFLOW}
        assert "gains" in pull.body and "linux/arm64" in pull.body
        commits = len(app.commits)

        # The same tick again (another delivery): still one pull request, no new commit.
        service.deliver("issues", again(tick))
        service.deliver("issues", again(tick))
        wait_until(lambda: len(github.calls("GET", r"/pulls$")) >= 3, 30, "the repeats")
        wait_until(lambda: service_idle(service), 30, "the queue to drain")
        assert len(pulls(app)) == 1 and len(app.commits) == commits

        # The default branch moves (another workflow changes): the branch is rebuilt on it.
        other = ".github/workflows/lint.yml"
        app.files["main"][other] = app.files["main"][other] + b"# touched\n"
        service.deliver("push", push_event(app, [other]))

        def rebuilt() -> bool:
            head = app.heads.get(pull.head_ref)
            return bool(head) and app.commits[head]["parents"] == [app.head("main")]

        wait_until(rebuilt, 60, "the branch to be rebuilt")
        assert app.files[pull.head_ref][other] == app.files["main"][other]
        assert app.files[pull.head_ref][WORKFLOW] == fixed_by_cli(app, tmp_path, WORKFLOW)
        assert len(pulls(app)) == 1

        # Someone else pushes to the branch: the bot comments instead of force-pushing.
        theirs = app.commit(
            pull.head_ref, {**app.files[pull.head_ref], "NOTES.md": b"mine\n"}, "my change", "someone"
        )
        app.files["main"][other] = app.files["main"][other] + b"# again\n"
        service.deliver("push", push_event(app, [other]))
        wait_until(
            lambda: any(
                "Someone else pushed" in c["body"]
                for c in github.issue_comments
                if c["issue_number"] == pull.number
            ),
            60,
            "the comment",
        )
        assert app.heads[pull.head_ref] == theirs

        # `/parity fix lint.yml` on the dashboard: nothing to fix there is said plainly.
        comment = for_repo("issue_comment.created", app)
        comment["issue"] = {"number": number, "title": render.TITLE}
        comment["comment"].update(
            {"id": 991, "body": "/parity fix no-such.yml", "user": {"login": "maintainer", "type": "User"}}
        )
        comment["sender"] = {"login": "maintainer", "type": "User"}
        service.deliver("issue_comment", comment)
        wait_until(
            lambda: any(
                "nothing to fix" in c["body"] for c in github.issue_comments if c["issue_number"] == number
            ),
            30,
            "the answer",
        )

        # The dashboard closed: scans leave it alone until it is reopened.
        app.issues[number]["state"] = "closed"
        service.deliver("issues", issue_event(app, number, "closed", "maintainer"))
        wait_until(lambda: service_idle(service), 30, "the queue to drain")
        edits = len(github.calls("PATCH", rf"/issues/{number}$"))
        app.files["main"][other] = app.files["main"][other] + b"# and again\n"
        service.deliver("push", push_event(app, [other]))
        wait_until(lambda: service_idle(service) and scans_of(service) >= 3, 60, "the scan")
        assert len(github.calls("PATCH", rf"/issues/{number}$")) == edits

        # Parity reached another way (their branch merged by hand): the PR is closed.
        app.files["main"][WORKFLOW] = app.files[pull.head_ref][WORKFLOW]
        service.deliver("push", push_event(app, [WORKFLOW]))
        wait_until(lambda: pull.state == "closed", 60, "the pull request to close")
        assert any(
            "needs no arm64 legs" in c["body"]
            for c in github.issue_comments
            if c["issue_number"] == pull.number
        )
    finally:
        service.stop()
    assert all(fault.times == 0 for fault in github.faults)
    assert len([i for i in app.issues.values() if render.MARKER in i["body"]]) == 1


TICK = f"Open a pull request that adds the arm64 legs to `{WORKFLOW}`"


def ticked(body: str) -> str:
    return body.replace(f"- [ ] {TICK}", f"- [x] {TICK}")


def finished_jobs(service: Service, event: str) -> int:
    import sqlite3

    db = sqlite3.connect(service.env["DATABASE_URL"].removeprefix("sqlite:///"))
    try:
        done = db.execute("SELECT COUNT(*) FROM jobs WHERE event = ? AND state = 'done'", (event,))
        return int(done.fetchone()[0])
    finally:
        db.close()


def dashboard_rows(service: Service) -> list[tuple[str, int, int]]:
    import sqlite3

    db = sqlite3.connect(service.env["DATABASE_URL"].removeprefix("sqlite:///"))
    try:
        return [
            (str(r[0]), int(r[1]), int(r[2])) for r in db.execute("SELECT repo, issue, open FROM dashboards")
        ]
    finally:
        db.close()


def test_an_edit_between_creating_the_dashboard_and_recording_it_is_not_lost(
    tmp_path: Path, github: FakeGitHub
) -> None:
    """GitHub has made the dashboard issue but the service has not heard back yet, so it has
    no row for it: a reader's tick then is reverted all the same (the issue is the App's and
    carries the marker), while the same tick on someone else's issue with a copied marker is
    left alone."""
    repos = organisation(github)
    app = repos["app"]
    answered = threading.Event()
    github.faults.append(Fault("POST", rf"/repos/{ORG}/app/issues$", status=0, hold=answered))
    service = Service(tmp_path, github, GITHUB_TIMEOUT="60").start()
    try:
        service.deliver("installation", installed(repos))
        issue = wait_until(lambda: next(iter(app.issues.values()), None), 60, "the dashboard")
        number = issue["number"]
        before = issue["body"]
        assert render.MARKER in before and WORKFLOW in render.boxes(before)

        # Someone else's issue with the dashboard's text: not ours, whatever it says.
        forged = app.next_number()
        app.issues[forged] = {
            **issue,
            "number": forged,
            "body": ticked(before),
            "user": {"login": "visitor", "type": "User"},
        }
        service.deliver("issues", issue_event(app, forged, "edited", "visitor", before))
        # The dashboard ticked by a reader while its creation is still unanswered.
        issue["body"] = ticked(before)
        assert render.newly_ticked(before, issue["body"]) == [WORKFLOW]
        service.deliver("issues", issue_event(app, number, "edited", "visitor", before))
        wait_until(lambda: finished_jobs(service, "issues") == 2, 60, "the edits to be handled")
        assert not dashboard_rows(service)  # the edits came in the window, not after it

        answered.set()
        wait_until(lambda: dashboard_rows(service), 60, "the dashboard to be recorded")
        wait_until(
            lambda: not render.boxes(app.issues[number]["body"])[WORKFLOW], 30, "the tick to be reverted"
        )
        wait_until(
            lambda: any(
                "write access" in c["body"] for c in github.issue_comments if c["issue_number"] == number
            ),
            30,
            "the reply",
        )
        wait_until(lambda: service_idle(service), 30, "the queue to drain")
    finally:
        answered.set()
        service.stop()
    assert dashboard_rows(service) == [(f"{ORG}/app", number, 1)]
    assert render.boxes(app.issues[forged]["body"])[WORKFLOW]  # left as its author made it
    assert not any(c["issue_number"] == forged for c in github.issue_comments)
    assert not github.calls("PATCH", rf"/issues/{forged}$")
    assert not pulls(app)


def test_a_dashboard_closed_before_it_is_recorded_stays_off(tmp_path: Path, github: FakeGitHub) -> None:
    """The dashboard closed while its creation is unanswered: recording the creation does not
    turn it back on, and later scans leave it alone."""
    repos = organisation(github)
    app = repos["app"]
    answered = threading.Event()
    github.faults.append(Fault("POST", rf"/repos/{ORG}/app/issues$", status=0, hold=answered))
    service = Service(tmp_path, github, GITHUB_TIMEOUT="60").start()
    try:
        service.deliver("installation", installed(repos))
        issue = wait_until(lambda: next(iter(app.issues.values()), None), 60, "the dashboard")
        number = issue["number"]
        issue["state"] = "closed"
        service.deliver("issues", issue_event(app, number, "closed", "maintainer"))
        wait_until(lambda: finished_jobs(service, "issues") == 1, 60, "the close to be handled")
        answered.set()
        wait_until(
            lambda: dashboard_rows(service) and service_idle(service), 60, "the dashboard to be recorded"
        )
        assert dashboard_rows(service) == [(f"{ORG}/app", number, 0)]
        path = ".github/workflows/lint.yml"
        app.files["main"][path] = app.files["main"][path] + b"# touched\n"
        service.deliver("push", push_event(app, [path]))
        wait_until(lambda: scans_of(service) >= 2 and service_idle(service), 60, "the scan")
    finally:
        answered.set()
        service.stop()
    assert dashboard_rows(service) == [(f"{ORG}/app", number, 0)]
    assert not github.calls("PATCH", rf"/issues/{number}$")
    assert len(app.issues) == 1


def service_idle(service: Service) -> bool:
    import sqlite3

    db = sqlite3.connect(service.env["DATABASE_URL"].removeprefix("sqlite:///"))
    try:
        busy = db.execute("SELECT COUNT(*) FROM jobs WHERE state IN ('queued', 'running')")
        return int(busy.fetchone()[0]) == 0
    finally:
        db.close()


def scans_of(service: Service) -> int:
    import sqlite3

    db = sqlite3.connect(service.env["DATABASE_URL"].removeprefix("sqlite:///"))
    try:
        return int(db.execute("SELECT COUNT(*) FROM scans WHERE repo = ?", (f"{ORG}/app",)).fetchone()[0])
    finally:
        db.close()


def test_a_dashboard_lost_from_the_database_is_found_again_not_duplicated(
    tmp_path: Path, github: FakeGitHub
) -> None:
    repos = organisation(github)
    app = repos["app"]
    service = Service(tmp_path, github).start()
    try:
        service.deliver("installation", installed(repos))
        wait_until(lambda: app.issues, 60, "the dashboard")
        wait_until(lambda: service_idle(service), 30, "the queue to drain")
    finally:
        service.stop()
    import sqlite3

    db = sqlite3.connect(service.env["DATABASE_URL"].removeprefix("sqlite:///"))
    db.execute("DELETE FROM dashboards")
    db.commit()
    db.close()
    path = ".github/workflows/lint.yml"
    app.files["main"][path] = app.files["main"][path] + b"# touched\n"
    service.restart()
    try:
        service.deliver("push", push_event(app, [path]))
        wait_until(lambda: scans_of(service) >= 2 and service_idle(service), 60, "the scan")
    finally:
        service.stop()
    assert len(app.issues) == 1
    assert json.dumps(github.calls("GET", r"/issues$")[-1].query).count("creator") == 1


def test_fix_prs_auto_opens_one_pull_request_per_fixable_workflow(tmp_path: Path, github: FakeGitHub) -> None:
    repos = organisation(github)
    lib = repos["lib"]
    lib.files["main"][".github/parity.yml"] = b"fix_prs: auto\n"
    expected = {
        path: data for path, data in fixed_tree(lib, tmp_path).items() if data != lib.files["main"][path]
    }
    assert expected
    service = Service(tmp_path, github).start()
    try:
        service.deliver("installation", installed(repos))
        wait_until(
            lambda: len(pulls(lib)) == len(expected) and service_idle(service), 180, "the fix pull requests"
        )
    finally:
        service.stop()
    by_path = {}
    for pull in pulls(lib):
        files = lib.files[pull.head_ref]
        changed = [p for p in files if files[p] != lib.files["main"].get(p)]
        assert len(changed) == 1, changed
        by_path[changed[0]] = files[changed[0]]
    assert by_path == expected
    assert not lib.issues  # no dashboard: its config does not ask for one
