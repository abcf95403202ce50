"""Repositories and deliveries for the service benchmarks, from what this repository ships:
the generated workflows (`benchmarks/workflows.py`), the before/after pair of
`benchmarks/data/fix/`, and the sample deliveries of `bot/samples/` (GitHub's documented
shapes). Nothing here reads the team's corpus, so scan.py, ingest.py and soak.py run on a
plain clone.
"""

from __future__ import annotations

import copy
import difflib
import hashlib
import itertools
import json
import tempfile
from functools import cache
from pathlib import Path
from typing import Any

from benchmarks.workflows import generate
from tests.fake_github import FakeGitHub, Repository
from tests.service_harness import INSTALLATION, JUDGE_EVERY_PURPOSE, ORG, ORG_CONFIG, addressed, with_pull

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "bot" / "samples"
PAIR = ROOT / "benchmarks" / "data" / "fix"


def sample(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((SAMPLES / f"{name}.json").read_text(encoding="utf-8"))
    return copy.deepcopy(data)


@cache
def generated() -> dict[str, bytes]:
    """The generated workflows by file name (written to a temporary folder and read back)."""
    with tempfile.TemporaryDirectory() as tmp:
        return {path.name: path.read_bytes() for path in generate(Path(tmp))}


def state(name: str) -> dict[str, bytes]:
    """The shipped pair's `before` or `after` state as a repository's files."""
    return {f".github/workflows/{p.name}": p.read_bytes() for p in sorted((PAIR / name).glob("*.yml"))}


def _diff(base: dict[str, bytes], head: dict[str, bytes]) -> str:
    """A git-style diff of two states, for the pull request's file list."""
    out: list[str] = []
    for path in sorted(set(base) | set(head)):
        old = base.get(path, b"").decode().splitlines(keepends=True)
        new = head.get(path, b"").decode().splitlines(keepends=True)
        if old == new:
            continue
        out.append(f"diff --git a/{path} b/{path}\n")
        out += difflib.unified_diff(old, new, f"a/{path}", f"b/{path}")
    return "".join(out)


# The groups of generated files one repository holds: a caller with the workflow it calls.
GROUPS = (
    ("python-ci-", "small-0"),
    ("rust-", "small-1"),
    ("go-", "calls-1", "reusable-1"),
    ("node-", "calls-3", "reusable-3"),
    ("cmake-", "calls-2", "reusable-2"),
    ("docker-", "release"),
    ("monorepo", "nightly", "perf", "calls-0", "reusable-0"),
    ("small-2", "small-3", "small-4"),
)


def org_repositories(github: FakeGitHub, count: int) -> dict[str, Repository]:
    """`count` repositories of the installation (at least 16): the shipped pair's two states,
    one repository per group of generated workflows, the owner's `.github` (config only),
    an archived, a disabled and an empty one, then copies of the active ones."""
    repos: dict[str, Repository] = {}

    def add(name: str, files: dict[str, bytes], **kind: Any) -> None:
        repo = Repository(ORG, name, installation=INSTALLATION, **kind)
        if files:
            repo.files["main"] = dict(files)
        github.repos[f"{ORG}/{name}"] = repos[name] = repo

    add("fix-before", state("before"))
    add("fix-after", {**state("after"), ".github/parity.yml": JUDGE_EVERY_PURPOSE + b"dashboard: true\n"})
    workflows = generated()
    for index, prefixes in enumerate(GROUPS):
        files = {f".github/workflows/{n}": b for n, b in workflows.items() if n.startswith(prefixes)}
        add(f"project-{index}", files)
    add(".github", {".github/parity.yml": ORG_CONFIG, "profile/README.md": b"# octo-org\n"})
    add("old-tool", state("before"), archived=True)
    add("blocked", state("after"), disabled=True)
    add("fresh", {})
    templates = [repo for repo in list(repos.values()) if repo.files.get("main") and repo.name != ".github"]
    templates = [repo for repo in templates if not (repo.archived or repo.disabled)]
    for index in itertools.count():
        if len(repos) >= count:
            break
        template = templates[index % len(templates)]
        add(f"{template.name}-{index}", template.files["main"])
    return repos


def pull_request_repository(
    github: FakeGitHub,
    base: str = "before",
    head: str = "after",
    number: int = 7,
    owner: str = "octo",
    name: str = "service",
    config: bytes | None = JUDGE_EVERY_PURPOSE,
) -> tuple[Repository, str]:
    """The shipped pair as a repository with one pull request from `base` to `head`."""
    head_sha = hashlib.sha1(f"{base}->{head}:{number}".encode()).hexdigest()
    diff = _diff(state(base), state(head))
    return with_pull(github, owner, name, number, head_sha, state(base), state(head), diff, config)


def for_repo(name: str, repo: Repository) -> dict[str, Any]:
    """The sample delivery `name`, sent by our installation for `repo`."""
    return addressed(sample(name), repo)


def pull_request_event(repo: Repository, number: int, head_sha: str, action: str = "opened") -> dict[str, Any]:
    payload = for_repo("pull_request.opened", repo)
    payload["action"] = action
    payload["number"] = number
    payload["pull_request"]["number"] = number
    payload["pull_request"]["head"]["sha"] = head_sha
    return payload


_comment_ids = itertools.count(70_000)


def comment_event(repo: Repository, number: int, body: str, login: str) -> dict[str, Any]:
    payload = for_repo("issue_comment.created", repo)
    payload["issue"]["number"] = number
    payload["issue"]["pull_request"] = {"url": "x"}
    payload["comment"].update({"id": next(_comment_ids), "body": body})
    payload["comment"]["user"].update({"login": login, "type": "User"})
    payload["sender"].update({"login": login, "type": "User"})
    return payload


def installation_created(repos: dict[str, Repository]) -> dict[str, Any]:
    payload = sample("installation.created")
    payload["installation"]["id"] = INSTALLATION
    payload["installation"]["account"]["login"] = ORG
    payload["repositories"] = [
        {"id": i, "name": r.name, "full_name": f"{ORG}/{r.name}", "private": False}
        for i, r in enumerate(repos.values())
    ]
    return payload
