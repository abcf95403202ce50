"""The pull-request check: judge the workflows a pull request changes, at its head commit.

Calls per event, first attempt: create the check run, list the changed files, read the
config (one more read when falling back to the owner's `.github` repository), read each
changed workflow, complete the check run; when there are suggestions, list our earlier
review comments and post one review. A retried attempt first finds the check run it
created (by its external id), so a write that may have succeeded is never repeated blindly.
"""

from __future__ import annotations

import contextlib
import logging
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from bot.core.config import ConfigError
from bot.core.edits import Edit, apply, unified_diff
from bot.core.limits import (
    ANNOTATIONS_PER_CALL,
    PR_FILES_MAX,
    REVIEW_COMMENTS_MAX,
    WORKFLOW_BYTES_PER_CHECK,
)
from bot.core.workflow import is_workflow_path, local_calls
from bot.core.yamlnodes import YamlError, decode
from bot.render import check_run, review
from bot.render.safe import code
from bot.service import isolation, rest
from bot.service.config_source import load_policy
from bot.service.delegated import Delegated, judged_reading
from bot.service.events import PullRequestCheck
from bot.service.github import Api, GitHubError, Rejected, room_for_a_workflow
from bot.service.logs import log

logger = logging.getLogger("parity.pull_request")


@dataclass(frozen=True, slots=True)
class Attempt:
    delivery_id: str
    run: int  # 1 the first time this delivery is worked on (crashes and deferrals count)
    last: bool  # no retry after this one


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class CheckRun:
    """The one "Arch parity" check run of a head commit: created by the first event for the
    commit, updated by every later one (a re-request, a retry) rather than added again."""

    def __init__(self, api: Api, check: PullRequestCheck, attempt: Attempt) -> None:
        self.api = api
        self.check = check
        self.attempt = attempt
        self.id: int | None = None
        self.completed = False
        self.annotated = False  # GitHub appends annotations: they are sent once per run
        self.output: dict[str, str] | None = None  # as this attempt completed it

    async def start(self) -> None:
        listed = await self.api.pages(
            rest.COMMIT_CHECK_RUNS,
            {"check_name": check_run.CHECK_NAME, "filter": "all"},
            repo=self.check.repo.full_name,
            ref=self.check.head_sha,
        )
        # Only ours: a job in a fork's workflow can make a check run of the same name, and a
        # required check matched by name must not be the one it completes.
        runs = [run for run in listed if self.api.ours(run)]
        if runs:
            ours = [run for run in runs if run.get("external_id") == self.attempt.delivery_id]
            run = ours[0] if ours else max(runs, key=lambda item: int(item["id"]))
            self.id = int(run["id"])
            self.annotated = bool((run.get("output") or {}).get("annotations_count"))
            if ours and run.get("status") == "completed":
                self.completed = True  # an earlier attempt of this delivery finished it
                return
            await self._update(
                {"status": "in_progress", "started_at": _now(), "external_id": self.attempt.delivery_id}
            )
            return
        created = await self.api.request(
            rest.CREATE_CHECK_RUN,
            repo=self.check.repo.full_name,
            json={
                "name": check_run.CHECK_NAME,
                "head_sha": self.check.head_sha,
                "status": "in_progress",
                "started_at": _now(),
                "external_id": self.attempt.delivery_id,
            },
        )
        self.id = int(created["id"])

    async def complete(
        self,
        conclusion: str,
        title: str,
        summary: str,
        text: str | None = None,
        annotations: list[dict[str, Any]] | None = None,
    ) -> None:
        if self.completed:
            return  # an earlier attempt finished it; annotations would be appended twice
        annotations = [] if self.annotated else (annotations or [])
        output: dict[str, Any] = {
            "title": title,
            "summary": summary,
            "annotations": annotations[:ANNOTATIONS_PER_CALL],
        }
        if text:
            output["text"] = text
        await self._update(
            {"status": "completed", "conclusion": conclusion, "completed_at": _now(), "output": output}
        )
        self.completed = True
        self.annotated = self.annotated or bool(annotations)
        self.output = {"title": title, "summary": summary, "text": text or ""}
        for start in range(ANNOTATIONS_PER_CALL, len(annotations), ANNOTATIONS_PER_CALL):
            await self._update(
                {
                    "output": {
                        "title": title,
                        "summary": summary,
                        "annotations": annotations[start : start + ANNOTATIONS_PER_CALL],
                    }
                }
            )

    async def add_text(self, more: str) -> None:
        """Append to the text of the output this attempt completed."""
        if self.output is None or not more:
            return
        text = check_run.clip((self.output["text"] + "\n\n" + more).strip())
        await self._update(
            {"output": {"title": self.output["title"], "summary": self.output["summary"], "text": text}}
        )
        self.output["text"] = text

    async def _update(self, body: dict[str, Any]) -> None:
        await self.api.request(
            rest.UPDATE_CHECK_RUN, json=body, repo=self.check.repo.full_name, check_run_id=self.id
        )


async def run(api: Api, check: PullRequestCheck, attempt: Attempt) -> None:
    run_ = CheckRun(api, check, attempt)
    await run_.start()
    try:
        await _judge(api, check, run_)
    except GitHubError as exc:
        if attempt.last or isinstance(exc, Rejected):
            # Not a silent pass: the check run says why it could not judge.
            with contextlib.suppress(GitHubError):
                await run_.complete(
                    "failure",
                    "parity-bot could not finish",
                    f"GitHub answered: {exc}. Re-run this check to try again.",
                )
        raise


async def _judge(api: Api, check: PullRequestCheck, run_: CheckRun) -> None:
    repo = check.repo
    files = await api.pages(rest.PULL_FILES, limit=PR_FILES_MAX, repo=repo.full_name, pull_number=check.number)
    changed = {
        item["filename"]: item
        for item in files
        if is_workflow_path(item.get("filename", "")) and item.get("status") != "removed"
    }
    if not changed:
        await run_.complete(
            "success", "No workflow changes", "This pull request changes no file under `.github/workflows/`."
        )
        return
    try:
        policy, source = await load_policy(api, repo)
    except ConfigError as exc:
        await run_.complete(
            "failure",
            "The parity-bot config is invalid",
            f"{code(exc.message)}\n\nFix the config on the default branch; a pull "
            "request cannot change the policy it is judged by.",
        )
        return
    contents: dict[str, bytes] = {}
    total = 0
    for path in sorted(changed):
        data = await api.file(repo.owner, repo.name, path, ref=check.head_sha)
        if data is not None:
            contents[path] = data
            total += len(data)
        if total > WORKFLOW_BYTES_PER_CHECK:
            await run_.complete(
                "failure",
                "parity-bot could not analyse this pull request",
                f"The changed workflows hold more than {WORKFLOW_BYTES_PER_CHECK} bytes, the most "
                "parity-bot reads for one pull request.",
            )
            return
    await _add_called(api, check, contents)
    # Judging and fixing read what the pull request wrote: in a worker process (CPU work
    # off the event loop, and a crash or a limit there ends this check, not the service).
    # A step that hands its work to the repository's own files is read through them, at
    # the pull request's head (delegated.py).
    hunks = {path: str(item.get("patch") or "") for path, item in changed.items()}

    async def judge(delegated: Delegated) -> tuple[tuple[isolation.Judged, review.Suggestions], list[str]]:
        judged, reviewed, wanted = await isolation.analyse(
            isolation.judge_pull_request, contents, hunks, policy, date.today(), delegated, set(changed)
        )
        return (judged, reviewed), wanted

    try:
        judged, (suggestions, patches, notes, sources) = await judged_reading(
            api, repo.full_name, check.head_sha, judge
        )
    except isolation.AnalysisFailed as exc:
        log(logger, logging.WARNING, "analysis failed", repo=repo.full_name, pr=check.number, why=str(exc))
        await run_.complete("failure", "parity-bot could not analyse this pull request", exc.describe() + ".")
        return
    conclusion = judged.conclusion
    log(
        logger,
        logging.INFO,
        "judged pull request",
        repo=repo.full_name,
        pr=check.number,
        sha=check.head_sha,
        workflows=len(changed),
        config=source,
        conclusion=conclusion,
    )
    posting = policy.mode != "off"
    fresh = await _not_yet_posted(api, check, suggestions) if posting else []
    shown_now, held_back = fresh[:REVIEW_COMMENTS_MAX], fresh[REVIEW_COMMENTS_MAX:]
    # What a review cannot hold goes into the check run, as a patch: never "see the check
    # run" for something the check run does not show.
    patches += _as_patches(held_back, sources)
    await run_.complete(
        conclusion,
        judged.title,
        check_run.summary_of(judged.rendered, len(suggestions) - len(held_back), len(patches), notes),
        check_run.patch_text(patches),
        judged.annotations,
    )
    if shown_now and not await _review(api, check, shown_now, len(held_back), len(patches) - len(held_back)):
        await run_.add_text(check_run.patch_text(_as_patches(shown_now, sources)) or "")


async def _add_called(api: Api, check: PullRequestCheck, contents: dict[str, bytes]) -> None:
    """The local reusable workflows the changed ones call, at the same commit."""
    repo = check.repo
    wanted: set[str] = set()
    for data in contents.values():
        try:
            wanted |= local_calls(decode(data))
        except YamlError:
            continue
    for name in sorted(wanted):
        path = f".github/workflows/{name}"
        if not room_for_a_workflow(sum(map(len, contents.values()))):
            break  # no room for another file: the calls left are judged unread
        if path not in contents:
            called = await api.file(repo.owner, repo.name, path, ref=check.head_sha)
            if called is not None:
                contents[path] = called


def _as_patches(suggestions: list[review.Suggestion], sources: dict[str, str]) -> list[str]:
    """Suggestions as one patch per file."""
    by_path: dict[str, list[Edit]] = {}
    for suggestion in suggestions:
        by_path.setdefault(suggestion.path, []).append(suggestion.edit)
    return [
        unified_diff(path, sources[path], apply(sources[path], edits))
        for path, edits in sorted(by_path.items())
    ]


async def _not_yet_posted(
    api: Api, check: PullRequestCheck, suggestions: list[review.Suggestion]
) -> list[review.Suggestion]:
    """The suggestions not already on the pull request (found by our marker)."""
    if not suggestions:
        return []
    existing = [
        item
        for item in await api.pages(rest.REVIEW_COMMENTS, repo=check.repo.full_name, pull_number=check.number)
        if review.MARKER in (item.get("body") or "") and await api.wrote(item)
    ]
    return [s for s in suggestions if not review.already_posted(s.comment, existing)]


async def _review(
    api: Api, check: PullRequestCheck, shown: list[review.Suggestion], held_back: int, outside: int
) -> bool:
    """Post one review; False when GitHub rejected its inline comments (the caller then
    puts them in the check run)."""
    repo = check.repo
    body = review.body(len(shown), held_back, outside)
    try:
        await api.request(
            rest.CREATE_REVIEW,
            json={
                "commit_id": check.head_sha,
                "event": "COMMENT",
                "body": body,
                "comments": [s.comment for s in shown],
            },
            repo=repo.full_name,
            pull_number=check.number,
        )
    except Rejected as exc:
        if exc.status != 422:
            raise
        # GitHub rejects the whole review when one comment is off the diff. Our split should
        # prevent that; if the diff moved under us, say it in one comment-less review.
        log(
            logger,
            logging.WARNING,
            "review rejected; posting it without inline comments",
            repo=repo.full_name,
            pr=check.number,
            error=str(exc),
        )
        await api.request(
            rest.CREATE_REVIEW,
            json={
                "commit_id": check.head_sha,
                "event": "COMMENT",
                "body": body + "\n\nThe suggestions could not be placed on the diff (it changed "
                "while parity-bot worked); the check run shows them as a patch.",
            },
            repo=repo.full_name,
            pull_number=check.number,
        )
        return False
    return True
