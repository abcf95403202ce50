"""Soak: several replicas, duplicated and reordered deliveries, a failing GitHub, a SIGKILL.

Three `parity-bot serve` replicas share one PostgreSQL database and a fourth runs on SQLite,
all against the fake GitHub on loopback. Each pull request gets `opened`, `synchronize` (a
new head) and a `/parity check` comment; every delivery is sent twice (to two replicas of
its backend) and the batch is shuffled. GitHub fails a share of calls (5xx, secondary rate
limits) and answers a share of review POSTs after the client has given up (it still
creates them). One PostgreSQL replica is SIGKILLed mid-burst and started again afterwards.
Hostile pull requests are mixed into each backend's burst: a nesting bomb
(`[`*50000 + `]`*50000), a workflow over the 1 MB cap, a huge one under it, and one whose job
names and matrix values carry `@org/team` mentions and `</details>`.

When the queues drain it checks every effect happened exactly once: one completed check run
per head commit, one review per head commit with no suggestion repeated on a pull request,
one reply per command; each hostile pull request's check says why it could not be judged
(or judges it); no dead job; payloads dropped from finished jobs; retention removes
finished jobs once they are older than RETENTION_DAYS (their finish times are moved back
to stand in for the days); peak RSS of each replica. It prints the figures.

Run: `make soak` (needs PostgreSQL, as the tests do). Bounded: about three minutes.
"""

from __future__ import annotations

import asyncio
import random
import re
import signal
import sqlite3
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import asyncpg  # noqa: E402

from benchmarks.repositories import comment_event, pull_request_event, pull_request_repository  # noqa: E402
from bot.render import check_run  # noqa: E402
from bot.render.replies import REPLY_MARKER  # noqa: E402
from tests.fake_github import FakeGitHub, Fault  # noqa: E402
from tests.service_harness import APP_ID, Service, app_key, wait_until  # noqa: E402
from tests.test_service_hostile import NESTING_BOMB, big_workflow, pull_with  # noqa: E402

PULLS_PG = 18  # pull requests whose deliveries go to the PostgreSQL replicas
PULLS_SQLITE = 6
PG_REPLICAS = 3
DRAIN_SECONDS = 240
PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"


def faults() -> list[Fault]:
    many = 10_000
    return [
        Fault("GET", r"/pulls/\d+/files$", status=502, every=6, times=many),
        Fault("POST", r"/check-runs$", status=500, every=7, times=many),
        Fault(
            "PATCH",
            r"/check-runs/\d+$",
            status=403,
            every=9,
            times=many,
            headers={"retry-after": "1"},
            body={"message": "You have exceeded a secondary rate limit."},
        ),
        # Created, but answered after GITHUB_TIMEOUT (2 s): the client gives up first.
        Fault("POST", r"/pulls/\d+/reviews$", status=0, delay=3.0, every=3, times=many),
        Fault("POST", r"/issues/\d+/comments$", status=0, delay=3.0, every=4, times=many),
    ]


def pull_requests(github: FakeGitHub, owner: str, numbers: range) -> list[tuple[str, dict]]:
    """Each pull request's deliveries: opened, synchronize to a new head, a command."""
    deliveries: list[tuple[str, dict]] = []
    for number in numbers:
        # The shipped pair backwards: a pull request that drops every arm64 leg, so each head
        # gets findings and the review suggestions on the pull request's own lines.
        repo, sha = pull_request_repository(
            github, "after", "before", number=number, owner=owner, name="service"
        )
        repo.permissions["maintainer"] = "write"
        new_sha = uuid.uuid4().hex + "abcdefgh"
        repo.files[new_sha] = dict(repo.files[sha])
        deliveries.append(("pull_request", pull_request_event(repo, number, sha)))
        synchronize = pull_request_event(repo, number, new_sha, action="synchronize")
        deliveries.append(("pull_request", synchronize))
        deliveries.append(("issue_comment", comment_event(repo, number, "/parity check", "maintainer")))
    return deliveries


MENTIONS = (
    b"on: push\njobs:\n  test:\n"
    b"    name: 'cc @octo-org/admins </details><details open><summary>x'\n"
    b"    runs-on: ubuntu-latest\n"
    b"    strategy:\n      matrix:\n"
    b"        team: ['@octo-org/owners', '</details>', '@everyone']\n"
    b"    steps:\n      - run: pytest\n"
)
# What each hostile pull request's completed check must say (None: judged like any other).
HOSTILE: dict[str, tuple[bytes, str | None]] = {
    "bomb.yml": (NESTING_BOMB, "nesting deeper than 64 levels"),
    "oversize.yml": (big_workflow(8000), "larger than the limit of 1048576 bytes"),
    "huge.yml": (big_workflow(6000), None),
    "mentions.yml": (MENTIONS, None),
}
RAW_MENTION = b"@octo-org/"


def hostile_pull_requests(github: FakeGitHub, name: str, first: int) -> dict[str, tuple[str, dict]]:
    """One pull request per hostile workflow, by its file name: head sha and `opened`."""
    pulls: dict[str, tuple[str, dict]] = {}
    for number, (file, (content, _)) in enumerate(HOSTILE.items(), start=first):
        repo, sha = pull_with(github, number, f".github/workflows/{file}", content, name=name)
        pulls[file] = (sha, pull_request_event(repo, number, sha))
    return pulls


def rss_peak_mb(service: Service) -> float:
    assert service.process is not None
    status = Path(f"/proc/{service.process.pid}/status").read_text()
    line = next(line for line in status.splitlines() if line.startswith("VmHWM:"))
    return int(line.split()[1]) / 1024


async def pg_database() -> str:
    name = f"parity_soak_{uuid.uuid4().hex[:10]}"
    admin = await asyncpg.connect(PG_ADMIN)
    await admin.execute(f'CREATE DATABASE "{name}"')
    await admin.close()
    return PG_ADMIN.rsplit("/", 1)[0] + "/" + name


async def pg(url: str, sql: str, *args: Any) -> list[Any]:
    conn = await asyncpg.connect(url)
    try:
        return list(await conn.fetch(sql, *args))
    finally:
        await conn.close()


def states(pg_url: str, sqlite_path: Path) -> Counter[str]:
    counts: Counter[str] = Counter()
    for row in asyncio.run(pg(pg_url, "SELECT state, count(*) FROM jobs GROUP BY state")):
        counts[f"pg:{row[0]}"] += row[1]
    with sqlite3.connect(sqlite_path) as db:
        for state, count in db.execute("SELECT state, count(*) FROM jobs GROUP BY state"):
            counts[f"sqlite:{state}"] += count
    return counts


def main() -> None:
    random.seed(7)
    github = FakeGitHub(APP_ID, app_key()[1]).start()
    github.faults.extend(faults())
    tmp = Path(tempfile.mkdtemp(prefix="parity-soak-"))
    pg_url = asyncio.run(pg_database())
    # All pull requests are one installation's: 240 writes a minute across the replicas
    # keeps the run within minutes (GitHub's own secondary limit is 80).
    env = {"RETENTION_DAYS": "3", "SCAN_INTERVAL": "4", "WORKERS": "2", "GITHUB_WRITES_PER_MINUTE": "240"}
    replicas = [Service(tmp / f"pg{i}", github, DATABASE_URL=pg_url, **env) for i in range(PG_REPLICAS)]
    for replica in replicas:
        replica.tmp.mkdir()
    lone = Service(tmp / "sqlite", github, **env)
    lone.tmp.mkdir()
    lone.env["DATABASE_URL"] = f"sqlite:///{lone.tmp / 'queue.db'}"
    for service in (*replicas, lone):
        service.start()

    to_pg = pull_requests(github, "octo-pg", range(1, PULLS_PG + 1))
    # Numbers apart: the fake keeps issue comments by number, not by repository.
    to_sqlite = pull_requests(github, "octo-lite", range(101, 101 + PULLS_SQLITE))
    hostile_pg = hostile_pull_requests(github, "hostile-pg", 60)
    hostile_lite = hostile_pull_requests(github, "hostile-lite", 160)
    to_pg += [("pull_request", payload) for _, payload in hostile_pg.values()]
    to_sqlite += [("pull_request", payload) for _, payload in hostile_lite.values()]
    sends: list[tuple[Service, str, dict, str]] = []
    for event, payload in to_pg:
        delivery = str(uuid.uuid4())
        for replica in random.sample(replicas, 2):  # the same delivery to two replicas
            sends.append((replica, event, payload, delivery))
    for event, payload in to_sqlite:
        delivery = str(uuid.uuid4())
        sends += [(lone, event, payload, delivery)] * 2
    random.shuffle(sends)
    victim = replicas[1]
    started = time.time()
    answers: Counter[int] = Counter()
    lock = threading.Lock()

    def send(item: tuple[Service, str, dict, str]) -> None:
        service, event, payload, delivery = item
        try:
            status = service.deliver(event, payload, delivery=delivery).status_code
        except Exception:
            status = 0  # the killed replica
        with lock:
            answers[status] += 1

    with ThreadPoolExecutor(8) as pool:
        half = len(sends) // 2
        list(pool.map(send, sends[:half]))
        victim.stop(signal.SIGKILL)
        killed_at = time.time() - started
        list(pool.map(send, sends[half:]))
    victim.start()
    sent_in = time.time() - started

    def drained() -> bool:
        counts = states(pg_url, lone.tmp / "queue.db")
        return not any(key.endswith((":queued", ":running")) for key in counts)

    try:
        wait_until(drained, DRAIN_SECONDS, "the queues to drain")
    except AssertionError:
        print("not drained:", dict(states(pg_url, lone.tmp / "queue.db")))
        for service in (*replicas, lone):
            service.stop()
        raise
    drain = time.time() - started
    time.sleep(2.0)  # a write answered late lands after its job has finished
    counts = states(pg_url, lone.tmp / "queue.db")

    # Effects, exactly once.
    heads = {
        pull["pull_request"]["head"]["sha"] for event, pull in to_pg + to_sqlite if event == "pull_request"
    }
    per_head = Counter(
        run["head_sha"] for run in github.check_runs.values() if run["name"] == check_run.CHECK_NAME
    )
    unfinished = [sha for sha in heads if not any(run["status"] == "completed" for run in github.runs_for(sha))]
    reviews = Counter(review.get("commit_id") for review in github.reviews)
    suggestions = Counter(
        (c["pull_number"], c["path"], c.get("line"), c["body"]) for c in github.review_comments
    )
    commands = [pull["comment"]["id"] for event, pull in to_pg + to_sqlite if event == "issue_comment"]
    replies = Counter(
        cid for cid in commands for c in github.issue_comments if REPLY_MARKER.format(id=cid) in c["body"]
    )
    payloads_left = asyncio.run(pg(pg_url, "SELECT count(*) FROM jobs WHERE state = 'done' AND payload <> ''"))[
        0
    ][0]

    # Retention: move finished jobs back four days; the next scheduler look removes them.
    asyncio.run(
        pg(pg_url, "UPDATE jobs SET finished_at = finished_at - 4 * 86400 WHERE finished_at IS NOT NULL")
    )
    with sqlite3.connect(lone.tmp / "queue.db") as db:
        db.execute("UPDATE jobs SET finished_at = finished_at - 4 * 86400 WHERE finished_at IS NOT NULL")
    before_retention = sum(counts.values())
    wait_until(
        lambda: sum(states(pg_url, lone.tmp / "queue.db").values()) == 0,
        30,
        "retention to remove the finished jobs",
    )
    rss = {
        name: rss_peak_mb(service)
        for name, service in [*((f"pg{i}", r) for i, r in enumerate(replicas)), ("sqlite", lone)]
    }

    # Hostile pull requests: each check completed once, saying why where it cannot judge.
    hostile_wrong = []
    for backend, pulls in (("pg", hostile_pg), ("sqlite", hostile_lite)):
        for file, (sha, _) in pulls.items():
            done = [run for run in github.runs_for(sha) if run["status"] == "completed"]
            said = HOSTILE[file][1]
            shown = "".join(str(run.get("output")) + str(run.get("annotations")) for run in done)
            if len(done) != 1 or (said is not None and said not in shown):
                hostile_wrong.append(f"{backend}:{file}")
    # A mention that reaches GitHub as written pings the team.
    # Annotations are plain text (GitHub renders no mention there): only Markdown counts.
    written = [
        *(
            str((run.get("output") or {}).get(part))
            for run in github.check_runs.values()
            for part in ("summary", "text")
        ),
        *(str(review.get("body")) for review in github.reviews),
        *(str(c.get("body")) for c in github.review_comments),
        *(str(c.get("body")) for c in github.issue_comments),
    ]
    # Inside a fenced block (the patches) GitHub mentions no one and renders no HTML.
    prose = [re.sub(r"(`{3,}).*?\1", "", text, flags=re.S) for text in written]
    mentions = sum(RAW_MENTION.decode() in text for text in prose)
    alive = [
        name
        for name, service in [*((f"pg{i}", r) for i, r in enumerate(replicas)), ("sqlite", lone)]
        if service.process is not None and service.process.poll() is None
    ]

    calls = len(github.requests)
    injected = sum(f.seen // f.every for f in github.faults)
    print(
        f"pull requests        {PULLS_PG} on PostgreSQL ({PG_REPLICAS} replicas), "
        f"{PULLS_SQLITE} on SQLite (1 replica)"
    )
    print(
        f"deliveries           {len(sends)} sent ({len(sends) // 2} distinct, each twice, "
        f"shuffled); answers {dict(sorted(answers.items()))}"
    )
    print(f"SIGKILL              pg1 at {killed_at:.1f} s, started again at {sent_in:.1f} s")
    print(
        f"GitHub calls         {calls}, faults injected {injected} "
        f"(5xx, secondary limits, writes answered after the timeout)"
    )
    print(f"drained in           {drain:.1f} s; jobs {dict(sorted(counts.items()))}")
    print(
        f"check runs           {len(per_head)} head commits, most per commit "
        f"{max(per_head.values())}, unfinished {len(unfinished)}"
    )
    print(
        f"reviews              most per head commit {max(reviews.values(), default=0)}; "
        f"suggestions {len(suggestions)}, most posted twice: "
        f"{max(suggestions.values(), default=0)}"
    )
    print(
        f"command replies      {len(commands)} commands, replies per command "
        f"{sorted(set(replies[c] for c in commands))}"
    )
    print(
        f"hostile PRs          {len(hostile_pg)} per backend ({', '.join(HOSTILE)}); "
        f"wrong {hostile_wrong or 'none'}; replicas up {len(alive)} of {PG_REPLICAS + 1}"
    )
    print(f"raw @team mentions   in {mentions} bodies written to GitHub (outside code blocks)")
    print(f"payloads kept        {payloads_left} of finished PostgreSQL jobs")
    print(f"retention            removed all {before_retention} finished jobs")
    print("peak RSS             " + ", ".join(f"{k} {v:.0f} MB" for k, v in rss.items()))
    failures = []
    if any(key.endswith(":dead") for key in counts):
        failures.append("dead jobs")
    if set(per_head) != heads or max(per_head.values()) != 1 or unfinished:
        failures.append("check runs not exactly one completed per head commit")
    if max(reviews.values(), default=0) > 1 or max(suggestions.values(), default=0) > 1:
        failures.append("a review or suggestion repeated")
    if any(replies[c] != 1 for c in commands):
        failures.append("a command not answered exactly once")
    if mentions:
        failures.append("an @team mention reached GitHub as written")
    if hostile_wrong:
        failures.append("a hostile pull request's check missing, repeated or without its reason")
    if len(alive) != PG_REPLICAS + 1:
        failures.append("a replica exited")
    if payloads_left:
        failures.append("payloads kept after the job finished")
    if max(rss.values()) > 200:
        failures.append("RSS over 200 MB")
    for service in (*replicas, lone):
        service.stop()
    github.stop()
    asyncio.run(pg(PG_ADMIN, f'DROP DATABASE IF EXISTS "{pg_url.rsplit("/", 1)[1]}" WITH (FORCE)'))
    print("result               " + ("; ".join(failures) if failures else "every effect exactly once"))
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
