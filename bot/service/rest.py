"""Every GitHub REST endpoint parity-bot calls, in one table.

Paths are GitHub's own templates (as its REST reference and githubkit spell them), so the
contract test can find each endpoint's response model in githubkit and check that the test
fake answers in that shape. No other module writes a REST path.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import quote

# Parts that may hold a slash GitHub expects as is: a file path, `heads/main`, a branch.
_SLASHED = frozenset({"path", "ref", "branch"})
_PART = re.compile(r"\{(\w+)\}")


@dataclass(frozen=True, slots=True)
class Endpoint:
    method: str
    path: str

    @property
    def parts(self) -> tuple[str, ...]:
        return tuple(_PART.findall(self.path))

    def url(self, **parts: object) -> str:
        """The path with its parts filled in; `repo="owner/name"` fills `{owner}/{repo}`."""
        if "owner" in self.parts and "owner" not in parts:
            owner, _, name = str(parts["repo"]).partition("/")
            parts = {**parts, "owner": owner, "repo": name}
        missing = set(self.parts) - set(parts)
        if missing:
            raise TypeError(f"{self}: no value for {', '.join(sorted(missing))}")
        for name in self.parts:
            # The HTTP client resolves `.` and `..` before the request leaves: a part made
            # of them would send the installation's token to another endpoint.
            value = str(parts[name])
            if any(seg in ("", ".", "..") for seg in value.split("/")):
                raise ValueError(f"{self}: {name} {value!r} is not a plain path")
        return _PART.sub(
            lambda m: quote(str(parts[m.group(1)]), safe="/" if m.group(1) in _SLASHED else ""), self.path
        )

    def __str__(self) -> str:
        return f"{self.method} {self.path}"


def _get(path: str) -> Endpoint:
    return Endpoint("GET", path)


def _post(path: str) -> Endpoint:
    return Endpoint("POST", path)


def _patch(path: str) -> Endpoint:
    return Endpoint("PATCH", path)


_REPO = "/repos/{owner}/{repo}"

# The App itself (JSON web token).
APP = _get("/app")
INSTALLATION_TOKEN = _post("/app/installations/{installation_id}/access_tokens")
HOOK_DELIVERIES = _get("/app/hook/deliveries")
REDELIVER = _post("/app/hook/deliveries/{delivery_id}/attempts")
ORG_INSTALLATION = _get("/orgs/{org}/installation")
USER_INSTALLATION = _get("/users/{username}/installation")
MANIFEST_CONVERSION = _post("/app-manifests/{code}/conversions")

# An installation's repositories and their files.
INSTALLATION_REPOSITORIES = _get("/installation/repositories")
REPOSITORY = _get(_REPO)
CONTENTS = _get(_REPO + "/contents/{path}")
BRANCH = _get(_REPO + "/branches/{branch}")
BLOB = _get(_REPO + "/git/blobs/{file_sha}")
CREATE_BLOB = _post(_REPO + "/git/blobs")
REF = _get(_REPO + "/git/ref/{ref}")
CREATE_REF = _post(_REPO + "/git/refs")
UPDATE_REF = _patch(_REPO + "/git/refs/{ref}")
GIT_COMMIT = _get(_REPO + "/git/commits/{commit_sha}")
CREATE_GIT_COMMIT = _post(_REPO + "/git/commits")
CREATE_TREE = _post(_REPO + "/git/trees")

# Pull requests and reviews.
PULLS = _get(_REPO + "/pulls")
CREATE_PULL = _post(_REPO + "/pulls")
PULL = _get(_REPO + "/pulls/{pull_number}")
UPDATE_PULL = _patch(_REPO + "/pulls/{pull_number}")
PULL_FILES = _get(_REPO + "/pulls/{pull_number}/files")
REVIEW_COMMENTS = _get(_REPO + "/pulls/{pull_number}/comments")
CREATE_REVIEW = _post(_REPO + "/pulls/{pull_number}/reviews")
COMMIT_PULLS = _get(_REPO + "/commits/{commit_sha}/pulls")

# Check runs.
CREATE_CHECK_RUN = _post(_REPO + "/check-runs")
UPDATE_CHECK_RUN = _patch(_REPO + "/check-runs/{check_run_id}")
COMMIT_CHECK_RUNS = _get(_REPO + "/commits/{ref}/check-runs")

# Actions: runs, jobs, artifacts.
WORKFLOW_RUNS = _get(_REPO + "/actions/runs")
RUN_JOBS = _get(_REPO + "/actions/runs/{run_id}/jobs")
JOB = _get(_REPO + "/actions/jobs/{job_id}")
RERUN_JOB = _post(_REPO + "/actions/jobs/{job_id}/rerun")
RUN_ARTIFACTS = _get(_REPO + "/actions/runs/{run_id}/artifacts")
ARTIFACT_ARCHIVE = _get(_REPO + "/actions/artifacts/{artifact_id}/{archive_format}")
JOB_LOGS = _get(_REPO + "/actions/jobs/{job_id}/logs")

# Issues, comments, reactions, permissions.
PERMISSION = _get(_REPO + "/collaborators/{username}/permission")
ISSUES = _get(_REPO + "/issues")
CREATE_ISSUE = _post(_REPO + "/issues")
UPDATE_ISSUE = _patch(_REPO + "/issues/{issue_number}")
ISSUE_COMMENTS = _get(_REPO + "/issues/{issue_number}/comments")
CREATE_ISSUE_COMMENT = _post(_REPO + "/issues/{issue_number}/comments")
UPDATE_ISSUE_COMMENT = _patch(_REPO + "/issues/comments/{comment_id}")
CREATE_COMMENT_REACTION = _post(_REPO + "/issues/comments/{comment_id}/reactions")

ENDPOINTS: tuple[Endpoint, ...] = tuple(value for value in globals().values() if isinstance(value, Endpoint))
