"""A fake GitHub API: a real HTTP server with GitHub's response shapes.

It records every request, checks app JWTs and installation tokens like GitHub does, rejects
review comments that lie outside a pull request's diff with GitHub's 422, and can be told to
fail (status codes, secondary rate limits with retry-after, timeouts).

Every successful JSON answer is given the required fields of githubkit's model for its
endpoint and validated against it (tests/github_contract.py); what the model rejects is kept
in `violations`, which the `github` fixture requires to be empty: the fake cannot drift from
GitHub's shapes unnoticed.
"""

from __future__ import annotations

import asyncio
import base64
import email.utils
import hashlib
import itertools
import json
import re
import secrets
import socket
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import jwt
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from bot.service import rest
from tests import github_contract


def _template(endpoint: rest.Endpoint) -> re.Pattern[str]:
    pattern = re.sub(
        r"\\\{(\w+)\\\}",
        lambda m: "(.+)" if m.group(1) in ("path", "ref", "branch") else "([^/]+)",
        re.escape(endpoint.path),
    )
    return re.compile(pattern)


_ENDPOINTS = [(endpoint, _template(endpoint)) for endpoint in rest.ENDPOINTS]


def endpoint_of(method: str, path: str) -> rest.Endpoint | None:
    """The endpoint of bot.service.rest a request is for."""
    return next(
        (endpoint for endpoint, pattern in _ENDPOINTS if endpoint.method == method and pattern.fullmatch(path)),
        None,
    )


@dataclass
class Recorded:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: Any
    status: int = 0


HOLD_SECONDS = 60.0  # a held answer is sent after this even if the test never releases it


@dataclass
class Fault:
    """Answer matching requests with `status` after `delay` seconds, `times` times.

    `status=0` only delays: the request is then answered normally (a slow GitHub).
    `hold`: the request takes effect at once but is answered only when the event is set
    (GitHub did it; its answer is late), so a test can act in between.
    """

    method: str
    path: str  # a regular expression over the path
    status: int = 500
    times: int = 1
    delay: float = 0.0
    headers: dict[str, str] = field(default_factory=dict)
    body: Any = None
    every: int = 1  # only every n-th matching request (1: each)
    seen: int = 0
    hold: threading.Event | None = None


@dataclass
class PullRequest:
    number: int
    head_sha: str
    files: list[dict[str, Any]]
    state: str = "open"
    head_ref: str = ""
    base_ref: str = "main"
    title: str = ""
    body: str = ""
    user: str = "someone"


@dataclass
class Repository:
    owner: str
    name: str
    default_branch: str = "main"
    files: dict[str, dict[str, bytes]] = field(default_factory=dict)  # ref -> path -> bytes
    pulls: dict[int, PullRequest] = field(default_factory=dict)
    runs: list[dict[str, Any]] = field(default_factory=list)  # Actions workflow runs
    jobs: list[dict[str, Any]] = field(default_factory=list)  # their jobs, every attempt
    artifacts: list[dict[str, Any]] = field(default_factory=list)  # with "data": zip bytes
    logs: dict[int, bytes] = field(default_factory=dict)  # job id -> its log (none: 404)
    expired_logs: set[int] = field(default_factory=set)  # job ids whose logs answer 410
    permissions: dict[str, str] = field(default_factory=dict)  # login -> admin|write|read|none
    installation: int | None = None  # None: every installation's token sees it
    archived: bool = False
    disabled: bool = False
    private: bool = False
    issues: dict[int, dict[str, Any]] = field(default_factory=dict)
    # Git objects: a branch's files live in `files[branch]`; its commit is made on demand.
    commits: dict[str, dict[str, Any]] = field(default_factory=dict)
    heads: dict[str, str] = field(default_factory=dict)
    trees: dict[str, dict[str, bytes]] = field(default_factory=dict)
    blobs: dict[str, bytes] = field(default_factory=dict)

    @property
    def full_name(self) -> str:
        return f"{self.owner}/{self.name}"

    def next_number(self) -> int:
        return max([0, *self.issues, *self.pulls]) + 1

    def head(self, branch: str) -> str | None:
        """The branch's commit; when its files were changed in place (a test's push), a new
        commit on top of the last one."""
        files = self.files.get(branch)
        if files is None:
            return None
        tree = tree_sha(files)
        current = self.heads.get(branch)
        if current is not None and self.commits[current]["tree"] == tree:
            return current
        return self.commit(branch, dict(files), f"change {branch}", "someone")

    def commit(
        self, branch: str, files: dict[str, bytes], message: str, author: str, parents: list[str] | None = None
    ) -> str:
        tree = tree_sha(files)
        self.trees[tree] = dict(files)
        parents = parents if parents is not None else ([self.heads[branch]] if branch in self.heads else [])
        sha = hashlib.sha1(f"{tree}{parents}{message}{len(self.commits)}".encode()).hexdigest()
        self.commits[sha] = {"tree": tree, "parents": parents, "message": message, "author": author}
        self.files[sha] = dict(files)
        self.set_ref(branch, sha)
        return sha

    def set_ref(self, branch: str, sha: str) -> None:
        self.heads[branch] = sha
        self.files[branch] = dict(self.trees[self.commits[sha]["tree"]])

    @property
    def empty(self) -> bool:
        return not self.files.get(self.default_branch)

    def as_json(self) -> dict[str, Any]:
        """GitHub's repository object (the fields parity-bot reads, and a few more)."""
        full = f"{self.owner}/{self.name}"
        return {
            "id": int(hashlib.sha1(full.encode()).hexdigest()[:8], 16),
            "name": self.name,
            "full_name": full,
            "owner": {"login": self.owner},
            "private": self.private,
            "default_branch": self.default_branch,
            "archived": self.archived,
            "disabled": self.disabled,
            "size": 0 if self.empty else 42,
            "html_url": f"https://github.com/{full}",
        }


def blob_sha(data: bytes) -> str:
    """Git's object id of a file: what the contents and blobs APIs call its sha."""
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


def tree_sha(files: dict[str, bytes]) -> str:
    return hashlib.sha1(
        b"".join(p.encode() + blob_sha(d).encode() for p, d in sorted(files.items()))
    ).hexdigest()


def listing(files: dict[str, bytes], folder: str) -> list[dict[str, Any]] | None:
    """The contents API's listing of a folder (None when it does not exist): files with
    their blob sha, sub-folders with a sha that changes whenever anything under them does."""
    prefix = folder.rstrip("/") + "/"
    children: dict[str, list[tuple[str, bytes]]] = {}
    for path, data in files.items():
        if path.startswith(prefix):
            children.setdefault(path[len(prefix) :].split("/", 1)[0], []).append((path, data))
    if not children:
        return None
    entries = []
    for name, items in sorted(children.items()):
        if len(items) == 1 and items[0][0] == prefix + name:
            entries.append(
                {
                    "name": name,
                    "path": prefix + name,
                    "type": "file",
                    "sha": blob_sha(items[0][1]),
                    "size": len(items[0][1]),
                }
            )
        else:
            tree = hashlib.sha1(
                b"".join(p.encode() + blob_sha(d).encode() for p, d in sorted(items))
            ).hexdigest()
            entries.append({"name": name, "path": prefix + name, "type": "dir", "sha": tree, "size": 0})
    return entries


def new_side_lines(patch: str) -> list[set[int]]:
    """GitHub's rule for review comments: a line of one hunk's new side."""
    blocks: list[set[int]] = []
    line = 0
    for text in patch.splitlines():
        match = re.match(r"^@@ -\d+(?:,\d+)? \+(\d+)(?:,\d+)? @@", text)
        if match:
            line = int(match.group(1))
            blocks.append(set())
        elif blocks and text[:1] in (" ", "+", ""):
            blocks[-1].add(line)
            line += 1
    return blocks


class _LoopbackServer:
    """A fake's app, served on a free loopback port in a thread, and stopped."""

    date_header = True  # FakeGitHub writes GitHub's own Date header (from its clock)

    def __init__(self) -> None:
        self.port = 0
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def app(self) -> Starlette:
        raise NotImplementedError

    def serve(self) -> None:
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        self.port = sock.getsockname()[1]
        config = uvicorn.Config(
            self.app(), log_config=None, access_log=False, lifespan="off", date_header=self.date_header
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, kwargs={"sockets": [sock]}, daemon=True)
        self._thread.start()
        deadline = time.time() + 10
        while not self._server.started:
            if time.time() > deadline:
                raise RuntimeError(f"{type(self).__name__} did not start")
            time.sleep(0.01)

    def stop(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=10)


class FakeStorage(_LoopbackServer):
    """Blob storage on an origin of its own, as GitHub's job logs are served: a short-lived
    URL that refuses a request carrying an Authorization header (a client that forwards the
    installation token across the redirect would leak it), and answers a Range from an
    offset (`bytes=N-`; Azure Blob Storage, where GitHub keeps logs, documents no suffix
    form) with 206 unless `ranges` is off (a store that sends the whole file)."""

    def __init__(self) -> None:
        super().__init__()
        self.blobs: dict[str, bytes] = {}
        self.requests: list[Recorded] = []
        self.ranges = True

    def put(self, data: bytes) -> str:
        """A new short-lived address for `data`."""
        token = secrets.token_hex(8)
        self.blobs[token] = data
        return f"{self.url}/logs/{token}?sig={secrets.token_hex(4)}"

    def app(self) -> Starlette:
        return Starlette(routes=[Route("/logs/{token}", self._get, methods=["GET"])])

    def start(self) -> FakeStorage:
        self.serve()
        return self

    async def _get(self, request: Request) -> Response:
        record = Recorded(
            "GET",
            request.url.path,
            dict(request.query_params),
            {k.lower(): v for k, v in request.headers.items()},
            None,
        )
        self.requests.append(record)
        response = self._answer(record, request.path_params["token"])
        record.status = response.status_code
        return response

    def _answer(self, record: Recorded, token: str) -> Response:
        if "authorization" in record.headers:
            return Response(b"Server failed to authenticate the request.", status_code=403)
        data = self.blobs.get(token)
        if data is None:
            return Response(b"BlobNotFound", status_code=404)
        wanted = re.fullmatch(r"bytes=(\d+)-", record.headers.get("range", ""))
        if not self.ranges or wanted is None:
            return Response(data, media_type="text/plain")
        first = int(wanted.group(1))
        if first >= len(data):
            return Response(status_code=416, headers={"content-range": f"bytes */{len(data)}"})
        return Response(
            data[first:],
            status_code=206,
            media_type="text/plain",
            headers={"content-range": f"bytes {first}-{len(data) - 1}/{len(data)}"},
        )


class FakeGitHub(_LoopbackServer):
    date_header = False

    def __init__(self, app_id: int, public_key_pem: bytes) -> None:
        super().__init__()
        self.app_id = app_id
        self.public_key = public_key_pem
        self.requests: list[Recorded] = []
        self.faults: list[Fault] = []
        self.repos: dict[str, Repository] = {}
        self.tokens: dict[str, float] = {}
        self.token_installation: dict[str, int] = {}
        self.check_runs: dict[int, dict[str, Any]] = {}
        self.reviews: list[dict[str, Any]] = []
        self.review_comments: list[dict[str, Any]] = []
        self.manifest_codes: dict[str, dict[str, Any]] = {}
        self.issue_comments: list[dict[str, Any]] = []
        self.reactions: list[dict[str, Any]] = []
        self.reruns: list[int] = []
        self.blobs: dict[str, bytes] = {}
        self.storage = FakeStorage()  # job logs, on another origin
        self.clock_offset = 0.0  # GitHub's clock minus ours: its Date headers and expires_at
        self.token_seconds = 3600.0  # an installation token's life
        self.rate_limit = 5000  # x-ratelimit-limit: GitHub gives large organisations more
        self.rate_remaining = 5000
        self.app_slug = "parity-bot"
        self.installations: dict[str, int] = {}  # account login -> installation id
        self.hook_deliveries: list[dict[str, Any]] = []  # the App's deliveries, newest first
        self.redelivered: list[int] = []  # ids asked for again
        self.violations: list[str] = []  # answers githubkit's models reject
        self.validated: set[rest.Endpoint] = set()
        self._ids = itertools.count(1000)
        self._lock = threading.Lock()

    # ------------------------------------------------------------------ running
    def start(self) -> FakeGitHub:
        self.serve()
        self.storage.start()
        return self

    def stop(self) -> None:
        super().stop()
        self.storage.stop()

    # ------------------------------------------------------------------ queries
    def calls(self, method: str | None = None, pattern: str = "") -> list[Recorded]:
        return [
            r for r in self.requests if (method is None or r.method == method) and re.search(pattern, r.path)
        ]

    def now(self) -> float:
        """GitHub's clock."""
        return time.time() + self.clock_offset

    def revoke_tokens(self) -> None:
        """Every installation token stops working (revoked, or the App's key rotated)."""
        self.tokens.clear()

    def app_of(self, app_id: int, slug: str) -> dict[str, Any]:
        """A GitHub App as GitHub shows it on a check run (`app`)."""
        return {
            "id": app_id,
            "slug": slug,
            "node_id": f"A_{app_id}",
            "name": slug,
            "owner": {"login": "octo", "id": 1, "type": "Organization"},
            "description": "",
            "external_url": f"https://example.com/{slug}",
            "html_url": f"https://github.com/apps/{slug}",
            "created_at": "2024-01-01T00:00:00Z",
            "updated_at": "2024-01-01T00:00:00Z",
            "permissions": {"checks": "write"},
            "events": [],
        }

    def add_check_run(
        self, sha: str, name: str, app_id: int = 15368, slug: str = "github-actions", **fields: Any
    ) -> dict[str, Any]:
        """A check run made by another App (by default GitHub Actions: a workflow's job)."""
        run_id = next(self._ids)
        run = {
            "id": run_id,
            "name": name,
            "head_sha": sha,
            "status": "completed",
            "conclusion": "success",
            "external_id": None,
            "output": {"title": "all good", "summary": "nothing to see"},
            "actions": [],
            "annotations": [],
            "app": self.app_of(app_id, slug),
            "html_url": f"https://github.com/x/y/runs/{run_id}",
            **fields,
        }
        self.check_runs[run_id] = run
        return run

    def runs_for(self, sha: str) -> list[dict[str, Any]]:
        return [run for run in self.check_runs.values() if run["head_sha"] == sha]

    # ------------------------------------------------------------------ the API
    def app(self) -> Starlette:
        return Starlette(
            routes=[Route("/{path:path}", self._dated, methods=["GET", "POST", "PATCH", "PUT", "DELETE"])]
        )

    async def _dated(self, request: Request) -> Response:
        response = await self._dispatch(request)
        response.headers["date"] = email.utils.formatdate(self.now(), usegmt=True)
        return response

    def _fault(self, method: str, path: str) -> Fault | None:
        with self._lock:
            for fault in self.faults:
                if fault.times > 0 and fault.method == method and re.search(fault.path, path):
                    fault.seen += 1
                    if fault.seen % fault.every:
                        continue
                    fault.times -= 1
                    return fault
        return None

    async def _dispatch(self, request: Request) -> Response:
        path = "/" + request.path_params["path"]
        raw = await request.body()
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = raw
        record = Recorded(
            request.method,
            path,
            dict(request.query_params),
            {k.lower(): v for k, v in request.headers.items()},
            body,
        )
        self.requests.append(record)
        fault = self._fault(request.method, path)
        if fault is not None and fault.delay:
            await asyncio.sleep(fault.delay)
        if fault is not None and fault.status:
            record.status = fault.status
            return JSONResponse(
                fault.body or {"message": f"injected {fault.status}"},
                status_code=fault.status,
                headers=fault.headers,
            )
        try:
            response = self._route(request.method, path, record)
        except _Error as error:
            response = JSONResponse(error.body, status_code=error.status)
        if fault is not None and fault.hold is not None:
            deadline = time.time() + HOLD_SECONDS
            while not fault.hold.is_set() and time.time() < deadline:
                await asyncio.sleep(0.01)
        response = self._shaped(request.method, path, response)
        etag = response.headers.get("etag")
        if etag is not None and record.headers.get("if-none-match") == etag:
            response = Response(status_code=304, headers={"etag": etag})
        else:
            self.rate_remaining -= 1  # a 304 is free against the rate limit
        response.headers["x-ratelimit-limit"] = str(self.rate_limit)
        response.headers["x-ratelimit-remaining"] = str(max(0, self.rate_remaining))
        response.headers["x-ratelimit-reset"] = str(int(time.time()) + 3600)
        record.status = response.status_code
        return response

    def _shaped(self, method: str, path: str, response: Response) -> Response:
        """The answer in the full shape of githubkit's model for its endpoint, checked."""
        if not isinstance(response, JSONResponse) or not 200 <= response.status_code < 300:
            return response
        endpoint = endpoint_of(method, path)
        if endpoint is None:
            if not path.startswith("/_"):
                self.violations.append(f"{method} {path}: not an endpoint of bot.service.rest")
            return response
        body = github_contract.complete(endpoint, json.loads(bytes(response.body)))
        self.violations += github_contract.violations(endpoint, body)
        self.validated.add(endpoint)
        headers = {k: v for k, v in response.headers.items() if k not in ("content-length", "content-type")}
        return JSONResponse(body, status_code=response.status_code, headers=headers)

    def _authorize(self, record: Recorded, app_jwt: bool = False) -> None:
        header = record.headers.get("authorization", "")
        scheme, _, credential = header.partition(" ")
        if app_jwt:
            try:
                claims = jwt.decode(credential, self.public_key, algorithms=["RS256"])
            except jwt.PyJWTError as exc:
                raise _Error(401, {"message": f"A JSON web token could not be decoded: {exc}"}) from None
            if str(claims.get("iss")) != str(self.app_id):
                raise _Error(401, {"message": "'Issuer' claim ('iss') must be the app id"})
            return
        if scheme.lower() not in ("token", "bearer") or self.tokens.get(credential, 0) < self.now():
            raise _Error(401, {"message": "Bad credentials"})

    def _repo(self, owner: str, name: str) -> Repository:
        repo = self.repos.get(f"{owner}/{name}")
        if repo is None:
            raise _Error(404, {"message": "Not Found"})
        return repo

    def _route(self, method: str, path: str, record: Recorded) -> Response:
        body = record.body if isinstance(record.body, dict) else {}
        query = record.query
        if method == "POST" and (m := re.fullmatch(r"/app/installations/(\d+)/access_tokens", path)):
            self._authorize(record, app_jwt=True)
            token = "ghs_" + secrets.token_hex(18)
            self.tokens[token] = self.now() + self.token_seconds
            self.token_installation[token] = int(m.group(1))
            expires = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(self.now() + self.token_seconds))
            return JSONResponse(
                {"token": token, "expires_at": expires, "permissions": {"checks": "write"}}, status_code=201
            )
        if method == "GET" and (m := re.fullmatch(r"/_blobs/([^/]+)", path)):
            # Storage behind the artifact redirect rejects requests that carry credentials.
            if "authorization" in record.headers:
                raise _Error(400, {"message": "Authorization header must not be sent"})
            data = self.blobs.get(m.group(1))
            if data is None:
                raise _Error(404, {"message": "Not Found"})
            return Response(data, media_type="application/zip")
        if method == "GET" and (m := re.fullmatch(r"/_hops/(\d+)/([^/]+)", path)):
            if "authorization" in record.headers:
                raise _Error(400, {"message": "Authorization header must not be sent"})
            left = int(m.group(1)) - 1
            target = f"/_hops/{left}/{m.group(2)}" if left else f"/_blobs/{m.group(2)}"
            return Response(status_code=302, headers={"location": target})  # relative, as S3 may
        if method == "GET" and path == "/app":
            self._authorize(record, app_jwt=True)
            return JSONResponse({"id": self.app_id, "slug": self.app_slug, "name": "parity-bot"})
        if method == "GET" and path == "/app/hook/deliveries":
            self._authorize(record, app_jwt=True)
            start = int(query.get("cursor") or 0)
            size = min(100, int(query.get("per_page", 30)))
            page = self.hook_deliveries[start : start + size]
            headers = {}
            if start + size < len(self.hook_deliveries):
                headers["link"] = (
                    f'<{self.url}/app/hook/deliveries?per_page={size}&cursor={start + size}>; rel="next"'
                )
            return JSONResponse(page, headers=headers)
        if method == "POST" and (m := re.fullmatch(r"/app/hook/deliveries/(\d+)/attempts", path)):
            self._authorize(record, app_jwt=True)
            if not any(d["id"] == int(m.group(1)) for d in self.hook_deliveries):
                raise _Error(404, {"message": "Not Found"})
            self.redelivered.append(int(m.group(1)))
            return JSONResponse({}, status_code=202)
        if method == "GET" and (m := re.fullmatch(r"/(?:orgs|users)/([^/]+)/installation", path)):
            self._authorize(record, app_jwt=True)
            if m.group(1) not in self.installations:
                raise _Error(404, {"message": "Not Found"})
            return JSONResponse({"id": self.installations[m.group(1)], "account": {"login": m.group(1)}})
        if method == "POST" and (m := re.fullmatch(r"/app-manifests/([^/]+)/conversions", path)):
            app = self.manifest_codes.pop(m.group(1), None)
            if app is None:
                raise _Error(404, {"message": "Not Found"})
            return JSONResponse(app, status_code=201)
        self._authorize(record)
        if method == "GET" and (m := re.fullmatch(r"/repos/([^/]+)/([^/]+)", path)):
            return JSONResponse(self._repo(m.group(1), m.group(2)).as_json())
        if method == "GET" and path == "/installation/repositories":
            installation = self.token_installation.get(
                record.headers.get("authorization", "").partition(" ")[2]
            )
            repos = [
                repo.as_json() for repo in self.repos.values() if repo.installation in (None, installation)
            ]
            return JSONResponse({"total_count": len(repos), "repositories": self._page(repos, query)})
        if method == "GET" and (m := re.fullmatch(r"/repos/([^/]+)/([^/]+)/contents/(.+)", path)):
            repo = self._repo(m.group(1), m.group(2))
            ref = query.get("ref") or repo.default_branch
            files = repo.files.get(ref, {})
            data = files.get(m.group(3))
            if data is None:
                entries = listing(files, m.group(3))
                if entries is None:
                    raise _Error(404, {"message": "Not Found"})
                tag = hashlib.sha1(json.dumps(entries).encode()).hexdigest()
                return JSONResponse(entries, headers={"etag": f'W/"{tag}"'})
            if "raw" in record.headers.get("accept", ""):
                return Response(data, media_type="application/vnd.github.raw")
            return JSONResponse(
                {
                    "type": "file",
                    "path": m.group(3),
                    "encoding": "base64",
                    "sha": blob_sha(data),
                    "size": len(data),
                    "content": base64.b64encode(data).decode(),
                },
                headers={"etag": f'W/"{blob_sha(data)}"'},
            )
        if method == "GET" and (m := re.fullmatch(r"/repos/([^/]+)/([^/]+)/git/blobs/(\w+)", path)):
            repo = self._repo(m.group(1), m.group(2))
            found = next(
                (
                    data
                    for files in repo.files.values()
                    for data in files.values()
                    if blob_sha(data) == m.group(3)
                ),
                None,
            )
            if found is None:
                raise _Error(404, {"message": "Not Found"})
            return JSONResponse(
                {
                    "sha": m.group(3),
                    "size": len(found),
                    "encoding": "base64",
                    "content": base64.b64encode(found).decode(),
                }
            )
        if method == "GET" and (m := re.fullmatch(r"/repos/([^/]+)/([^/]+)/branches/([^/]+)", path)):
            commit = self._repo(m.group(1), m.group(2)).head(m.group(3))
            if commit is None:
                raise _Error(404, {"message": "Branch not found"})
            return JSONResponse({"name": m.group(3), "commit": {"sha": commit}})
        git = self._git(method, path, body)
        if git is not None:
            return git
        if method == "GET" and (m := re.fullmatch(r"/repos/([^/]+)/([^/]+)/pulls/(\d+)/files", path)):
            pull = self._pull(m.group(1), m.group(2), int(m.group(3)))
            return JSONResponse(self._page(pull.files, query))
        if method == "GET" and (m := re.fullmatch(r"/repos/([^/]+)/([^/]+)/pulls/(\d+)/comments", path)):
            full, number = self._repo(m.group(1), m.group(2)).full_name, int(m.group(3))
            items = [c for c in self.review_comments if (c["repository"], c["pull_number"]) == (full, number)]
            return JSONResponse(self._page(items, query))
        if method == "POST" and (m := re.fullmatch(r"/repos/([^/]+)/([^/]+)/pulls/(\d+)/reviews", path)):
            full = self._repo(m.group(1), m.group(2)).full_name
            return self._create_review(full, self._pull(m.group(1), m.group(2), int(m.group(3))), body)
        if method == "POST" and (m := re.fullmatch(r"/repos/([^/]+)/([^/]+)/check-runs", path)):
            self._repo(m.group(1), m.group(2))
            run_id = next(self._ids)
            run = {
                "id": run_id,
                "name": body["name"],
                "head_sha": body["head_sha"],
                "status": body.get("status", "queued"),
                "conclusion": body.get("conclusion"),
                "external_id": body.get("external_id"),
                "output": body.get("output") or {},
                "actions": body.get("actions") or [],
                "annotations": [],
                "app": self.app_of(self.app_id, self.app_slug),
                "html_url": f"https://github.com/{m.group(1)}/{m.group(2)}/runs/{run_id}",
            }
            self._annotate(run, body.get("output"))
            self.check_runs[run_id] = run
            return JSONResponse(_public(run), status_code=201)
        if method == "PATCH" and (m := re.fullmatch(r"/repos/([^/]+)/([^/]+)/check-runs/(\d+)", path)):
            run = self.check_runs.get(int(m.group(3)))
            if run is None:
                raise _Error(404, {"message": "Not Found"})
            for key in ("status", "conclusion", "name", "actions", "external_id"):
                if key in body:
                    run[key] = body[key]
            if body.get("output"):
                run["output"] = {
                    **run["output"],
                    **{k: v for k, v in body["output"].items() if k != "annotations"},
                }
                self._annotate(run, body["output"])
            return JSONResponse(_public(run))
        if method == "GET" and (m := re.fullmatch(r"/repos/([^/]+)/([^/]+)/commits/([^/]+)/check-runs", path)):
            runs = [
                _public(run)
                for run in self.runs_for(m.group(3))
                if run["name"] == query.get("check_name", run["name"])
            ]
            return JSONResponse({"total_count": len(runs), "check_runs": runs})
        actions = self._actions(method, path, record, body)
        if actions is not None:
            return actions
        issues = self._issues(method, path, record, body)
        if issues is not None:
            return issues
        issues = self._repo_issues(method, path, record, body)
        if issues is not None:
            return issues
        raise _Error(404, {"message": "Not Found", "documentation_url": "fake"})

    def _actions(self, method: str, path: str, record: Recorded, body: dict[str, Any]) -> Response | None:
        query = record.query
        m = re.fullmatch(r"/repos/([^/]+)/([^/]+)/actions/(.+)", path)
        if m is None:
            return None
        repo = self._repo(m.group(1), m.group(2))
        rest = m.group(3)
        if method == "GET" and rest == "runs":
            runs = [r for r in repo.runs if r["head_sha"] == query.get("head_sha", r["head_sha"])]
            return JSONResponse({"total_count": len(runs), "workflow_runs": self._page(runs, query)})
        if method == "GET" and (j := re.fullmatch(r"runs/(\d+)/jobs", rest)):
            jobs = [job for job in repo.jobs if job["run_id"] == int(j.group(1))]
            if query.get("filter", "latest") == "latest":
                top = max((job["run_attempt"] for job in jobs), default=1)
                jobs = [job for job in jobs if job["run_attempt"] == top]
            return JSONResponse({"total_count": len(jobs), "jobs": self._page(jobs, query)})
        if method == "GET" and (j := re.fullmatch(r"jobs/(\d+)", rest)):
            found = next((x for x in repo.jobs if x["id"] == int(j.group(1))), None)
            if found is None:
                raise _Error(404, {"message": "Not Found"})
            return JSONResponse(found)
        if method == "GET" and (j := re.fullmatch(r"runs/(\d+)/artifacts", rest)):
            items = [
                {k: v for k, v in a.items() if k not in ("data", "location", "hops")}
                for a in repo.artifacts
                if a["workflow_run"]["id"] == int(j.group(1))
            ]
            return JSONResponse({"total_count": len(items), "artifacts": self._page(items, query)})
        if method == "GET" and (j := re.fullmatch(r"artifacts/(\d+)/zip", rest)):
            artifact = next((a for a in repo.artifacts if a["id"] == int(j.group(1))), None)
            if artifact is None:
                raise _Error(404, {"message": "Not Found"})
            token = secrets.token_hex(8)
            self.blobs[token] = artifact["data"]
            # A test may send the download elsewhere ("location"), or through a chain of
            # storage redirects ("hops") before the blob.
            hops = int(artifact.get("hops", 0))
            target = f"/_hops/{hops}/{token}" if hops else f"/_blobs/{token}"
            return Response(status_code=302, headers={"location": artifact.get("location", self.url + target)})
        if method == "GET" and (j := re.fullmatch(r"jobs/(\d+)/logs", rest)):
            job_id = int(j.group(1))
            if job_id in repo.expired_logs:
                raise _Error(410, {"message": "Gone"})
            if job_id not in repo.logs:
                raise _Error(404, {"message": "Not Found"})
            return Response(status_code=302, headers={"location": self.storage.put(repo.logs[job_id])})
        if method == "POST" and (j := re.fullmatch(r"jobs/(\d+)/rerun", rest)):
            job = next((x for x in repo.jobs if x["id"] == int(j.group(1))), None)
            if job is None:
                raise _Error(404, {"message": "Not Found"})
            run = next(r for r in repo.runs if r["id"] == job["run_id"])
            if run["status"] != "completed":
                raise _Error(403, {"message": "This workflow is already running"})
            self.reruns.append(job["id"])
            return JSONResponse({}, status_code=201)
        return None

    def _issues(self, method: str, path: str, record: Recorded, body: dict[str, Any]) -> Response | None:
        query = record.query
        if method == "GET" and (m := re.fullmatch(r"/repos/([^/]+)/([^/]+)/commits/([^/]+)/pulls", path)):
            repo = self._repo(m.group(1), m.group(2))
            return JSONResponse(
                [self._pull_json(repo, p) for p in repo.pulls.values() if p.head_sha == m.group(3)]
            )
        if method == "GET" and (m := re.fullmatch(r"/repos/([^/]+)/([^/]+)/pulls/(\d+)", path)):
            repo = self._repo(m.group(1), m.group(2))
            return JSONResponse(self._pull_json(repo, self._pull(m.group(1), m.group(2), int(m.group(3)))))
        if method == "GET" and (
            m := re.fullmatch(r"/repos/([^/]+)/([^/]+)/collaborators/([^/]+)/permission", path)
        ):
            repo = self._repo(m.group(1), m.group(2))
            permission = repo.permissions.get(m.group(3), "none")
            return JSONResponse(
                {"permission": permission, "role_name": permission, "user": {"login": m.group(3)}}
            )
        if m := re.fullmatch(r"/repos/([^/]+)/([^/]+)/issues/(\d+)/comments", path):
            full, number = self._repo(m.group(1), m.group(2)).full_name, int(m.group(3))
            if method == "GET":
                on = (full, number)
                items = [c for c in self.issue_comments if (c["repository"], c["issue_number"]) == on]
                return JSONResponse(self._page(items, query))
            comment = {
                "id": next(self._ids),
                "repository": full,
                "issue_number": number,
                "body": body.get("body", ""),
                "user": {"login": "parity-bot[bot]", "type": "Bot"},
            }
            self.issue_comments.append(comment)
            return JSONResponse(comment, status_code=201)
        if method == "PATCH" and (m := re.fullmatch(r"/repos/([^/]+)/([^/]+)/issues/comments/(\d+)", path)):
            full, ident = self._repo(m.group(1), m.group(2)).full_name, int(m.group(3))
            found = (c for c in self.issue_comments if (c["repository"], c["id"]) == (full, ident))
            comment = next(found, None)
            if comment is None:  # another repository's comment is not found through this one
                raise _Error(404, {"message": "Not Found"})
            comment["body"] = body.get("body", "")
            return JSONResponse(comment)
        if method == "POST" and (
            m := re.fullmatch(r"/repos/([^/]+)/([^/]+)/issues/comments/(\d+)/reactions", path)
        ):
            self.reactions.append({"comment_id": int(m.group(3)), "content": body.get("content")})
            return JSONResponse({"id": next(self._ids), "content": body.get("content")}, status_code=201)
        return None

    def _pull_json(self, repo: Repository, pull: PullRequest) -> dict[str, Any]:
        full = f"{repo.owner}/{repo.name}"
        head_sha = repo.heads.get(pull.head_ref, pull.head_sha) if pull.head_ref else pull.head_sha
        return {
            "number": pull.number,
            "state": pull.state,
            "title": pull.title,
            "body": pull.body,
            "user": {"login": pull.user},
            "head": {"sha": head_sha, "ref": pull.head_ref, "label": f"{repo.owner}:{pull.head_ref}"},
            "base": {"ref": pull.base_ref, "repo": {"full_name": full}},
            "html_url": f"https://github.com/{full}/pull/{pull.number}",
        }

    def _git(self, method: str, path: str, body: dict[str, Any]) -> Response | None:
        m = re.fullmatch(r"/repos/([^/]+)/([^/]+)/git/(.+)", path)
        if m is None:
            return None
        repo = self._repo(m.group(1), m.group(2))
        rest = m.group(3)
        if method == "GET" and (r := re.fullmatch(r"ref/heads/(.+)", rest)):
            sha = repo.head(r.group(1))
            if sha is None:
                raise _Error(404, {"message": "Not Found"})
            return JSONResponse({"ref": f"refs/heads/{r.group(1)}", "object": {"sha": sha, "type": "commit"}})
        if method == "GET" and (r := re.fullmatch(r"commits/(\w+)", rest)):
            commit = repo.commits.get(r.group(1))
            if commit is None:
                raise _Error(404, {"message": "Not Found"})
            return JSONResponse(
                {
                    "sha": r.group(1),
                    "tree": {"sha": commit["tree"]},
                    "message": commit["message"],
                    "author": {"name": commit["author"]},
                    "parents": [{"sha": p} for p in commit["parents"]],
                }
            )
        if method == "POST" and rest == "blobs":
            data = (
                base64.b64decode(body["content"])
                if body.get("encoding") == "base64"
                else str(body["content"]).encode()
            )
            repo.blobs[blob_sha(data)] = data
            return JSONResponse({"sha": blob_sha(data)}, status_code=201)
        if method == "POST" and rest == "trees":
            files = dict(repo.trees.get(body.get("base_tree") or "", {}))
            for entry in body.get("tree") or []:
                if entry.get("sha") is None:
                    files.pop(entry["path"], None)
                elif entry["sha"] in repo.blobs:
                    files[entry["path"]] = repo.blobs[entry["sha"]]
                else:
                    raise _Error(422, {"message": "tree.sha is not a valid blob"})
            tree = tree_sha(files)
            repo.trees[tree] = files
            return JSONResponse({"sha": tree}, status_code=201)
        if method == "POST" and rest == "commits":
            tree = body["tree"]
            if tree not in repo.trees or any(p not in repo.commits for p in body["parents"]):
                raise _Error(422, {"message": "Tree or parent not found"})
            sha = hashlib.sha1(
                f"{tree}{body['parents']}{body['message']}{len(repo.commits)}".encode()
            ).hexdigest()
            repo.commits[sha] = {
                "tree": tree,
                "parents": list(body["parents"]),
                "message": body["message"],
                "author": self.app_slug,
            }
            repo.files[sha] = dict(repo.trees[tree])
            return JSONResponse({"sha": sha}, status_code=201)
        if method == "POST" and rest == "refs":
            branch = str(body["ref"]).removeprefix("refs/heads/")
            if branch in repo.heads or branch in repo.files:
                raise _Error(422, {"message": "Reference already exists"})
            if body["sha"] not in repo.commits:
                raise _Error(422, {"message": "Object does not exist"})
            repo.set_ref(branch, body["sha"])
            return JSONResponse({"ref": body["ref"], "object": {"sha": body["sha"]}}, status_code=201)
        if method == "PATCH" and (r := re.fullmatch(r"refs/heads/(.+)", rest)):
            branch = r.group(1)
            current = repo.head(branch)
            if current is None or body["sha"] not in repo.commits:
                raise _Error(422, {"message": "Reference does not exist"})
            if not body.get("force") and current not in repo.commits[body["sha"]]["parents"]:
                raise _Error(422, {"message": "Update is not a fast forward"})
            repo.set_ref(branch, body["sha"])
            return JSONResponse({"ref": f"refs/heads/{branch}", "object": {"sha": body["sha"]}})
        return None

    def _repo_issues(self, method: str, path: str, record: Recorded, body: dict[str, Any]) -> Response | None:
        query = record.query
        if m := re.fullmatch(r"/repos/([^/]+)/([^/]+)/issues", path):
            repo = self._repo(m.group(1), m.group(2))
            if method == "POST":
                number = repo.next_number()
                issue = {
                    "number": number,
                    "title": body.get("title", ""),
                    "body": body.get("body", ""),
                    "state": "open",
                    "user": {"login": f"{self.app_slug}[bot]", "type": "Bot"},
                    "html_url": f"https://github.com/{repo.owner}/{repo.name}/issues/{number}",
                }
                repo.issues[number] = issue
                return JSONResponse(issue, status_code=201)
            state = query.get("state", "open")
            items = [
                i
                for i in repo.issues.values()
                if (state == "all" or i["state"] == state)
                and query.get("creator", i["user"]["login"]) == i["user"]["login"]
            ]
            return JSONResponse(self._page(sorted(items, key=lambda i: -i["number"]), query))
        if m := re.fullmatch(r"/repos/([^/]+)/([^/]+)/issues/(\d+)", path):
            repo = self._repo(m.group(1), m.group(2))
            issue = repo.issues.get(int(m.group(3)))
            if issue is None:
                raise _Error(404, {"message": "Not Found"})
            if method == "PATCH":
                issue.update({k: body[k] for k in ("title", "body", "state") if k in body})
            return JSONResponse(issue)
        if m := re.fullmatch(r"/repos/([^/]+)/([^/]+)/pulls", path):
            repo = self._repo(m.group(1), m.group(2))
            if method == "GET":
                state = query.get("state", "open")
                head = query.get("head", "")
                items = [
                    self._pull_json(repo, p)
                    for p in repo.pulls.values()
                    if (state == "all" or p.state == state)
                    and (not head or f"{repo.owner}:{p.head_ref}" == head)
                ]
                return JSONResponse(self._page(items, query))
            head = str(body.get("head", ""))
            if head not in repo.heads:
                raise _Error(
                    422, {"message": "Validation Failed", "errors": [{"field": "head", "code": "invalid"}]}
                )
            if any(p.head_ref == head and p.state == "open" for p in repo.pulls.values()):
                raise _Error(
                    422,
                    {
                        "message": "Validation Failed",
                        "errors": [{"message": f"A pull request already exists for {repo.owner}:{head}."}],
                    },
                )
            number = repo.next_number()
            repo.pulls[number] = PullRequest(
                number,
                repo.heads[head],
                [],
                "open",
                head,
                str(body.get("base", repo.default_branch)),
                str(body.get("title", "")),
                str(body.get("body", "")),
                f"{self.app_slug}[bot]",
            )
            return JSONResponse(self._pull_json(repo, repo.pulls[number]), status_code=201)
        if method == "PATCH" and (m := re.fullmatch(r"/repos/([^/]+)/([^/]+)/pulls/(\d+)", path)):
            repo = self._repo(m.group(1), m.group(2))
            pull = self._pull(m.group(1), m.group(2), int(m.group(3)))
            pull.title = str(body.get("title", pull.title))
            pull.body = str(body.get("body", pull.body))
            pull.state = str(body.get("state", pull.state))
            return JSONResponse(self._pull_json(repo, pull))
        return None

    def _pull(self, owner: str, name: str, number: int) -> PullRequest:
        pull = self._repo(owner, name).pulls.get(number)
        if pull is None:
            raise _Error(404, {"message": "Not Found"})
        return pull

    @staticmethod
    def _page(items: list[Any], query: dict[str, str]) -> list[Any]:
        per_page = min(100, int(query.get("per_page", 30)))
        page = int(query.get("page", 1))
        return items[(page - 1) * per_page : page * per_page]

    @staticmethod
    def _annotate(run: dict[str, Any], output: dict[str, Any] | None) -> None:
        annotations = (output or {}).get("annotations") or []
        if len(annotations) > 50:
            raise _Error(422, {"message": "Only 50 annotations are allowed per request"})
        run["annotations"].extend(annotations)

    def _create_review(self, full: str, pull: PullRequest, body: dict[str, Any]) -> Response:
        comments = body.get("comments") or []
        patches = {f["filename"]: f.get("patch") or "" for f in pull.files}
        for comment in comments:
            blocks = new_side_lines(patches.get(comment.get("path"), ""))
            first = comment.get("start_line", comment.get("line"))
            lines = set(range(first, comment.get("line", 0) + 1))
            if not lines or not any(lines <= block for block in blocks):
                raise _Error(
                    422,
                    {
                        "message": "Unprocessable Entity",
                        "errors": ["Pull request review thread line must be part of the diff"],
                    },
                )
        review_id = next(self._ids)
        review = {
            "id": review_id,
            "body": body.get("body"),
            "state": "COMMENTED",
            "commit_id": body.get("commit_id"),
            "pull_number": pull.number,
        }
        self.reviews.append(review)
        for comment in comments:
            self.review_comments.append(
                {
                    **comment,
                    "id": next(self._ids),
                    "pull_request_review_id": review_id,
                    "commit_id": body.get("commit_id"),
                    "repository": full,
                    "pull_number": pull.number,
                    "user": {"login": f"{self.app_slug}[bot]", "type": "Bot"},
                }
            )
        return JSONResponse(review)


def _public(run: dict[str, Any]) -> dict[str, Any]:
    public = {k: v for k, v in run.items() if k != "annotations"}
    public["output"] = {**run["output"], "annotations_count": len(run["annotations"])}
    return public


class _Error(Exception):
    def __init__(self, status: int, body: dict[str, Any]) -> None:
        super().__init__(status)
        self.status = status
        self.body = body
