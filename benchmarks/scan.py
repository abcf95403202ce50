"""API calls and wall time of a first and a second scan of 300 repositories.

The real service (`parity-bot serve`, SQLite, 4 workers) scans an organisation of 300
repositories in the fake GitHub, built from what this repository ships (benchmarks/
repositories.py: the generated workflows in groups, the before/after pair of
benchmarks/data/fix, the owner's config, archived, disabled and empty ones, then copies;
each repository gets its own copy, so nothing is shared between them but what git would
share: identical files have identical blob shas). Round 1 is the installation; round 2
comes from the schedule with nothing changed. The fake's rate limit is an installation's
(5,000 an hour plus 50 per repository, at most 12,500) and scans keep to their default
share of it (0.5). Wall time runs from a round's start to its last row (the schedule's
wait is not counted). The reference, counted on the same repositories, is a naive scan:
list the workflows folder, read every workflow and the config through the contents API.

Run: `.venv/bin/python benchmarks/scan.py [REPOSITORIES]`.
"""

from __future__ import annotations

import sqlite3
import sys
import tempfile
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.repositories import installation_created, org_repositories  # noqa: E402
from tests.fake_github import FakeGitHub, Repository  # noqa: E402
from tests.service_harness import APP_ID, Service, app_key, wait_until  # noqa: E402

# Fewer repositories than the distinct ones the organisation starts with would not be one.
SMALLEST = 16


def rows(db_path: Path, round_id: int) -> int:
    try:
        with sqlite3.connect(db_path) as db:
            return int(db.execute("SELECT COUNT(*) FROM scans WHERE round = ?", (round_id,)).fetchone()[0])
    except sqlite3.Error:
        return 0


def duration(db_path: Path, round_id: int) -> float:
    """From the round's start to its last repository's row (the schedule's wait excluded)."""
    with sqlite3.connect(db_path) as db:
        start = db.execute("SELECT started_at FROM scan_rounds WHERE id = ?", (round_id,)).fetchone()[0]
        end = db.execute("SELECT MAX(scanned_at) FROM scans WHERE round = ?", (round_id,)).fetchone()[0]
    return float(end) - float(start)


def naive_calls(repos: dict[str, Repository]) -> int:
    total = 0
    for repo in repos.values():
        files = repo.files.get("main") or {}
        if repo.archived or repo.disabled or not files:
            continue
        workflows = [p for p in files if p.startswith(".github/workflows/")]
        total += 1 + len(workflows) + 1  # the listing, each file, the config
    return total


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 300
    if count < SMALLEST:
        sys.exit(f"an organisation here has at least {SMALLEST} repositories; asked for {count}")
    github = FakeGitHub(APP_ID, app_key()[1]).start()
    # An installation's limit: 5,000 an hour plus 50 per repository, at most 12,500.
    github.rate_limit = github.rate_remaining = min(12_500, 5_000 + 50 * count)
    repos = org_repositories(github, count)
    with tempfile.TemporaryDirectory() as tmp:
        service = Service(Path(tmp), github, LOG_LEVEL="WARNING")
        db = Path(tmp) / "queue.db"
        service.start()
        service.deliver("installation", installation_created(repos))
        wait_until(lambda: rows(db, 1) == len(repos), 1800, "the first round")
        first_time = duration(db, 1)
        first_calls = len(github.requests)
        service.stop()
        service.env["SCAN_INTERVAL"] = "30"  # the next round only after this one
        service.start()
        wait_until(lambda: rows(db, 2) == len(repos), 1800, "the second round")
        second_time = duration(db, 2)
        second_calls = len(github.requests)
        service.stop()
    second = github.requests[first_calls:second_calls]
    kinds = Counter("304" if r.status == 304 else f"{r.method} {r.status}" for r in second)
    naive = naive_calls(repos)
    active = sum(1 for r in repos.values() if not (r.archived or r.disabled or not r.files.get("main")))
    print(f"repositories          {len(repos)} ({active} active)")
    print(
        f"first scan            {first_calls:6d} calls  {first_time:6.1f} s  "
        f"({first_calls / naive:.2f}x a naive scan's {naive} calls)"
    )
    print(
        f"second scan           {len(second):6d} calls  {second_time:6.1f} s  "
        f"({len(second) / active:.2f} per active repository)"
    )
    print(f"second scan by kind   {dict(sorted(kinds.items()))}")
    print(f"rate limit left       {github.rate_remaining} of {github.rate_limit}")
    github.stop()


if __name__ == "__main__":
    main()
