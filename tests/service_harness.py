"""Runs the real service (`python -m bot serve`) against the fake GitHub, as GitHub would."""

from __future__ import annotations

import copy
import hashlib
import hmac
import io
import itertools
import json
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
import zipfile
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

import httpx
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from bot.core.purpose import PURPOSES
from tests.conftest import CORPUS, SHARED
from tests.fake_github import FakeGitHub, PullRequest, Repository

ROOT = Path(__file__).resolve().parents[1]
WEBHOOKS = SHARED / "webhooks"
SECRET = "It's a Secret to Everybody"
APP_ID = 4242
INSTALLATION = 77


@cache
def app_key() -> tuple[str, bytes]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    public = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return private, public


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def sign(body: bytes, secret: str = SECRET) -> str:
    """Exactly as GitHub signs: HMAC-SHA256 of the raw body, hex, prefixed `sha256=`."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def wait_until(check: Callable[[], Any], timeout: float = 30.0, what: str = "condition") -> Any:
    deadline = time.time() + timeout
    while time.time() < deadline:
        result = check()
        if result:
            return result
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


class Service:
    def __init__(self, tmp: Path, github: FakeGitHub | None, **env: str) -> None:
        self.tmp = tmp
        self.port = free_port()
        self.log_path = tmp / f"service-{self.port}.log"
        private, _ = app_key()
        self.env = {
            "PATH": os.environ.get("PATH", ""),
            "PYTHONPATH": str(ROOT),
            "HOST": "127.0.0.1",
            "PORT": str(self.port),
            "LOG_FORMAT": "json",
            "LOG_LEVEL": "INFO",
            "DATABASE_URL": f"sqlite:///{tmp / 'queue.db'}",
            "QUEUE_LEASE_SECONDS": "2",
            "GITHUB_TIMEOUT": "2",
            "ENV_FILE": str(tmp / ".env"),
        }
        if github is not None:
            self.env.update(
                {
                    "APP_ID": str(APP_ID),
                    "PRIVATE_KEY": private,
                    "WEBHOOK_SECRET": f"old-secret,{SECRET}",
                    "GITHUB_API_URL": github.url,
                }
            )
        self.env.update(env)
        self.process: subprocess.Popen[bytes] | None = None
        self.command = ["serve"]  # `parity-bot setup` for the compose flow

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, wait: bool = True) -> Service:
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "bot", *self.command], env=self.env, cwd=self.tmp, stdout=log, stderr=log
        )
        if wait:
            wait_until(self._healthy, 30, "the service to start")
        return self

    def restart(self) -> Service:
        """A new process with the same settings, database and port (after a crash, say)."""
        return self.start()

    def _healthy(self) -> bool:
        assert self.process is not None
        if self.process.poll() is not None:
            raise AssertionError(f"service exited: {self.logs()}")
        try:
            return httpx.get(self.url + "/healthz", timeout=1).status_code == 200
        except httpx.HTTPError:
            return False

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 40) -> int:
        assert self.process is not None
        if self.process.poll() is None:
            self.process.send_signal(sig)
        code = self.process.wait(timeout=timeout)
        return code

    def logs(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def log_lines(self) -> list[dict[str, Any]]:
        lines = []
        for line in self.logs().splitlines():
            try:
                lines.append(json.loads(line))
            except ValueError:
                continue
        return lines

    def deliver(
        self,
        event: str,
        payload: dict[str, Any] | bytes,
        delivery: str | None = None,
        secret: str = SECRET,
        headers: dict[str, str] | None = None,
    ) -> httpx.Response:
        body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        sent = {
            "X-GitHub-Event": event,
            "X-GitHub-Delivery": delivery or str(uuid.uuid4()),
            "X-Hub-Signature-256": sign(body, secret),
            "Content-Type": "application/json",
            "User-Agent": "GitHub-Hookshot/fake",
        }
        sent.update(headers or {})
        return httpx.post(self.url + "/api/github/webhooks", content=body, headers=sent, timeout=10)


def example(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((WEBHOOKS / f"{name}.payload.json").read_text())
    return copy.deepcopy(data)


def split_patch(diff: str) -> dict[str, tuple[str, str]]:
    """A git diff as GitHub's pull-request files: path -> (status, hunks-only patch)."""
    files: dict[str, tuple[str, str]] = {}
    path, status, body = None, "modified", []
    for line in diff.splitlines(keepends=True):
        if line.startswith("diff --git "):
            if path is not None:
                files[path] = (status, "".join(body))
            path, status, body = None, "modified", []
        elif line.startswith("new file mode"):
            status = "added"
        elif line.startswith("deleted file mode"):
            status = "removed"
        elif line.startswith("+++ "):
            target = line[4:].strip()
            path = None if target == "/dev/null" else target.removeprefix("b/")
        elif line.startswith("--- ") and path is None:
            if line[4:].strip() != "/dev/null":
                path = line[4:].strip().removeprefix("a/")
        elif line.startswith(("index ", "old mode", "new mode", "similarity", "rename")):
            continue
        elif body or line.startswith("@@"):
            body.append(line)
    if path is not None:
        files[path] = (status, "".join(body))
    return files


# The corpus PRs change mostly lint and security jobs, which the default policy does not judge
# (their purpose does not depend on the CPU). Judging every purpose keeps the PRs' own hunks
# full of fixes, so reviews with suggestions are exercised.
JUDGE_EVERY_PURPOSE = ("judge: [" + ", ".join(PURPOSES) + "]\n").encode()


def ipfs_repository(
    github: FakeGitHub,
    base: str,
    head: str,
    patch: str,
    number: int = 7,
    owner: str = "octo",
    name: str = "ipfs",
    config: bytes | None = JUDGE_EVERY_PURPOSE,
) -> tuple[Repository, str]:
    """The ipfs_kit_py corpus as a repository with one pull request from `base` to `head`;
    `config` is the default branch's .github/parity.yml (None: no file)."""
    head_sha = hashlib.sha1(f"{base}->{head}:{number}".encode()).hexdigest()
    folder = CORPUS / "ipfs_kit_py"

    def state(name: str) -> dict[str, bytes]:
        return {f".github/workflows/{p.name}": p.read_bytes() for p in (folder / name).glob("*.yml")}

    diff = (folder / patch).read_text()
    return with_pull(github, owner, name, number, head_sha, state(base), state(head), diff, config)


def with_pull(
    github: FakeGitHub,
    owner: str,
    name: str,
    number: int,
    head_sha: str,
    base: dict[str, bytes],
    head: dict[str, bytes],
    diff: str,
    config: bytes | None,
) -> tuple[Repository, str]:
    """A repository whose default branch holds `base` (and `config` as .github/parity.yml),
    with pull request `number` at `head_sha` holding `head`; `diff` is the git diff between."""
    repo = github.repos.get(f"{owner}/{name}") or Repository(owner, name)
    repo.files.setdefault("main", {}).update(base)
    if config is not None:
        repo.files["main"][".github/parity.yml"] = config
    repo.files[head_sha] = dict(head)
    files = [
        {"filename": path, "status": status, "patch": hunks, "sha": "0" * 40}
        for path, (status, hunks) in split_patch(diff).items()
    ]
    repo.pulls[number] = PullRequest(number, head_sha, files)
    github.repos[f"{owner}/{name}"] = repo
    return repo, head_sha


def for_repo(name: str, repo: Repository) -> dict[str, Any]:
    """GitHub's example payload `name`, sent by our installation for `repo`."""
    return addressed(example(name), repo)


def addressed(payload: dict[str, Any], repo: Repository) -> dict[str, Any]:
    """A payload as our installation sends it for `repo`."""
    payload["installation"] = {"id": INSTALLATION, "node_id": "x"}
    payload["repository"]["name"] = repo.name
    payload["repository"]["full_name"] = f"{repo.owner}/{repo.name}"
    payload["repository"]["owner"]["login"] = repo.owner
    payload["repository"]["default_branch"] = repo.default_branch
    return payload


def comment_event(repo: Repository, number: int, body: str, login: str, kind: str = "User") -> dict[str, Any]:
    """A new comment on pull request `number` (an issue comment, as GitHub sends it)."""
    payload = for_repo("issue_comment.created", repo)
    payload["issue"]["number"] = number
    payload["issue"]["pull_request"] = {"url": "x"}
    payload["comment"].update({"id": next(_comment_ids), "body": body})
    payload["comment"]["user"].update({"login": login, "type": kind})
    payload["sender"].update({"login": login, "type": kind})
    return payload


_comment_ids = itertools.count(70_000)


_moments = itertools.count()
_EPOCH = time.time()


def moment() -> str:
    """A time no other event built here has. Two events GitHub sends always differ (at least
    in when they happened); only a redelivery or a replay repeats a body, and the intake
    refuses a repeated body under a new delivery id as a replay."""
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(_EPOCH + next(_moments)))


def pull_request_event(repo: Repository, number: int, head_sha: str, action: str = "opened") -> dict[str, Any]:
    payload = for_repo("pull_request.opened", repo)
    payload["action"] = action
    payload["number"] = number
    payload["pull_request"]["number"] = number
    payload["pull_request"]["head"]["sha"] = head_sha
    payload["pull_request"]["updated_at"] = moment()
    return payload


# ------------------------------------------------------------------ a pull request's CI

DGX = ["self-hosted", "arm64", "dgx"]
VERSIONS = ("3.10", "3.11", "3.12")
WORKFLOW = ".github/workflows/run-tests.yml"
_ids = itertools.count(50_000)


def stamp(offset: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + offset))


def add_run(repo: Repository, sha: str, status: str = "completed", created: float = -600) -> dict:
    run = {
        "id": next(_ids),
        "name": "Run Tests",
        "path": WORKFLOW,
        "head_sha": sha,
        "status": status,
        "conclusion": "success" if status == "completed" else None,
        "run_attempt": 1,
        "created_at": stamp(created),
        "html_url": f"https://github.com/{repo.owner}/{repo.name}/actions/runs/1",
    }
    repo.runs.append(run)
    return run


def add_job(
    repo: Repository,
    run: dict,
    name: str,
    labels: list[str],
    conclusion: str | None,
    status: str = "completed",
    attempt: int = 1,
    seconds: float = 100,
) -> dict:
    job = {
        "id": next(_ids),
        "run_id": run["id"],
        "head_sha": run["head_sha"],
        "run_attempt": attempt,
        "name": name,
        "labels": labels,
        "status": status,
        "conclusion": conclusion,
        "created_at": stamp(-900),
        "started_at": stamp(-800),
        "completed_at": stamp(-800 + seconds) if status == "completed" else None,
        "html_url": f"https://github.com/{repo.owner}/{repo.name}/actions/runs/1/job/{name}",
    }
    repo.jobs.append(job)
    return job


def junit_zip(cases: dict[str, str]) -> bytes:
    body = "".join(
        f"<testcase classname='tests' name='{name}' time='0.5'>"
        + {"failed": "<failure message='boom'/>", "skipped": "<skipped/>"}.get(outcome, "")
        + "</testcase>"
        for name, outcome in cases.items()
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("pytest.xml", f"<testsuites><testsuite name='s'>{body}</testsuite></testsuites>")
    return buffer.getvalue()


def add_artifact(repo: Repository, run: dict, name: str, data: bytes) -> None:
    repo.artifacts.append(
        {
            "id": next(_ids),
            "name": name,
            "size_in_bytes": len(data),
            "expired": False,
            "workflow_run": {"id": run["id"]},
            "data": data,
        }
    )


def setup_ci(github: FakeGitHub, number: int = 21) -> tuple[Repository, str, dict]:
    repo, sha = ipfs_repository(github, "after", "after", "before-to-after.patch", number=number)
    repo.permissions.update({"maintainer": "write", "visitor": "read"})
    run = add_run(repo, sha)
    for version in VERSIONS:
        add_job(repo, run, f"Test Python {version} on amd64", ["ubuntu-20.04"], "success")
        add_job(
            repo,
            run,
            f"Test Python {version} on arm64",
            DGX,
            "failure" if version == "3.11" else "success",
            seconds=150,
        )
    add_job(repo, run, "report", ["ubuntu-20.04"], "success")  # an amd64-only job
    return repo, sha, run


def results_comment(github: FakeGitHub, number: int) -> str | None:
    """The body of the results comment on pull request `number`, once there is one."""
    found = [
        c["body"]
        for c in github.issue_comments
        if c["issue_number"] == number and "parity-bot:results" in c["body"]
    ]
    return found[-1] if found else None


def workflow_run_event(repo: Repository, sha: str, run: dict, pulls: list[int]) -> dict[str, Any]:
    payload = for_repo("workflow_run.completed.with-pull-requests", repo)
    payload["workflow_run"].update({"id": run["id"], "head_sha": sha, "path": WORKFLOW, "updated_at": moment()})
    payload["workflow_run"]["pull_requests"] = [{"number": n, "head": {"sha": sha}} for n in pulls]
    return payload


# ------------------------------------------------------------------ an organisation

ORG = "octo-org"
# The owner's .github config: every repository without its own; and the org report.
ORG_CONFIG = b"mode: advisory\norg_report: true\n"


def organisation(github: FakeGitHub) -> dict[str, Repository]:
    """30 repositories in varied states, built from the shared corpus: the four states of
    ipfs_kit_py, one repository per real project (its workflows together), the owner's
    `.github` repository (config only), and archived, disabled and empty ones."""
    repos: dict[str, Repository] = {}

    def add(name: str, files: dict[str, bytes], **kind: Any) -> None:
        repo = Repository(ORG, name, installation=INSTALLATION, **kind)
        if files:
            repo.files["main"] = dict(files)
        github.repos[f"{ORG}/{name}"] = repos[name] = repo

    folder = CORPUS / "ipfs_kit_py"
    for state in ("before", "after", "optional", "latest"):
        add(
            f"ipfs-{state}",
            {f".github/workflows/{p.name}": p.read_bytes() for p in sorted((folder / state).glob("*.yml"))},
        )
    projects: dict[str, dict[str, bytes]] = {}
    for path in sorted((CORPUS / "real").iterdir()):
        if path.suffix in (".yml", ".yaml"):
            project = path.name.split("__")[1]
            workflow = path.stem.split("__")[2].split("@")[0] + path.suffix
            projects.setdefault(project, {})[f".github/workflows/{workflow}"] = path.read_bytes()
    for project in sorted(projects)[:21]:
        add(project, projects[project])
    # One repository with its own config: it wins over the owner's, and asks for a dashboard.
    repos["ipfs-latest"].files["main"][".github/parity.yml"] = JUDGE_EVERY_PURPOSE + b"dashboard: true\n"
    add(".github", {".github/parity.yml": ORG_CONFIG, "profile/README.md": b"# octo-org\n"})
    add("old-tool", dict(repos["ipfs-before"].files["main"]), archived=True)
    add("older-tool", dict(repos["ipfs-after"].files["main"]), archived=True)
    add("blocked", dict(repos["ipfs-optional"].files["main"]), disabled=True)
    add("fresh", {})
    assert len(repos) == 30, len(repos)
    return repos


def installation_created(repos: dict[str, Repository]) -> dict[str, Any]:
    payload = example("installation.created")
    payload["installation"]["id"] = INSTALLATION
    payload["installation"]["account"]["login"] = ORG
    payload["repositories"] = [
        {"id": i, "name": r.name, "full_name": f"{ORG}/{r.name}", "private": False}
        for i, r in enumerate(repos.values())
    ]
    return payload
