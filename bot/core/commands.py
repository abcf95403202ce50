"""`/parity` commands in pull-request comments: what was asked, as data."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from bot.core.config import Policy
from bot.core.limits import RERUN_MAX_AGE_DAYS
from bot.core.pairing import RunJob, parse_time, to_rerun
from bot.core.runners import AMD64, ARM64

ARCHES = ("arm64", "amd64", "all")
_LINE = re.compile(r"^\s*/parity\b(.*)$", re.IGNORECASE | re.MULTILINE)

HELP = """\
**parity-bot commands** (write access needed; one per line, at the start of the line):

- `/parity rerun arm64`: rerun the failed and cancelled arm64 legs of this pull request's CI
- `/parity rerun amd64` / `/parity rerun all`: the same for amd64 legs, or for both
- `/parity rerun arm64 --all-jobs`: rerun every arm64 leg, not only the failed ones
- `/parity check`: judge the workflows again (the "Arch parity" check)
- `/parity fix [WORKFLOW]`: open pull requests that add the arm64 legs to WORKFLOW (a file
  name such as `ci.yml`), or to every workflow the default branch's last scan can fix
- `/parity help`: this message"""


@dataclass(frozen=True, slots=True)
class Command:
    action: str  # rerun | check | fix | help
    arch: str | None = None  # for rerun: arm64 | amd64 | all
    all_jobs: bool = False
    unknown: str | None = None  # the text when it was not understood (help is shown)
    workflow: str | None = None  # for fix: the workflow's file name or path


def parse(body: str) -> list[Command]:
    """The commands in a comment, in order; a `/parity` line not understood asks for help."""
    found: list[Command] = []
    for match in _LINE.finditer(body or ""):
        words = match.group(1).split()
        lowered = [word.lower() for word in words]
        if (
            lowered[:1] == ["rerun"]
            and len(lowered) >= 2
            and lowered[1] in ARCHES
            and set(lowered[2:]) <= {"--all-jobs", "--failed"}
        ):
            found.append(Command("rerun", lowered[1], "--all-jobs" in lowered[2:]))
        elif lowered == ["check"]:
            found.append(Command("check"))
        elif lowered[:1] == ["fix"] and len(words) <= 2:
            found.append(Command("fix", workflow=words[1] if len(words) == 2 else None))
        elif lowered in ([], ["help"]):
            found.append(Command("help"))
        else:
            found.append(Command("help", unknown=" ".join(words)))
    return found


Run = Mapping[str, Any]  # a workflow run as `GET /actions/runs` lists it


@dataclass(slots=True)
class RerunPlan:
    """What `/parity rerun` takes from the runs of a head commit, and what it must leave."""

    jobs: list[tuple[Run, RunJob]] = field(default_factory=list)
    running: list[Run] = field(default_factory=list)  # GitHub reruns finished runs only
    too_old: list[Run] = field(default_factory=list)


def plan_rerun(runs: list[tuple[Run, list[RunJob]]], command: Command, policy: Policy, now: float) -> RerunPlan:
    """The legs a rerun command asks for, run by run (`runs`: each run with its jobs)."""
    arches = {AMD64, ARM64} if command.arch == "all" else {str(command.arch)}
    plan = RerunPlan()
    for run, jobs in runs:
        picked = to_rerun(jobs, arches, command.all_jobs, policy)
        if not picked:
            continue
        if run.get("status") != "completed":
            plan.running.append(run)
        elif (parse_time(run.get("created_at")) or now) < now - RERUN_MAX_AGE_DAYS * 86400:
            plan.too_old.append(run)
        else:
            plan.jobs += [(run, job) for job in picked]
    return plan
