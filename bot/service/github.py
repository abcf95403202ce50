"""GitHub access for jobs: app auth, cached installation tokens, calls counted and classified.

Retrying is the worker's decision, not the client's: githubkit's own retry is off (it
retries POSTs, which duplicates comments, and sleeps inline on rate limits). A failed call
becomes one of three errors the worker understands: `Transient` (5xx, timeout, network:
back off), `RateLimited` (re-queue for `retry_at`), `Rejected` (a 4xx the same request would
get again).
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import json as json_module
import logging
import time
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import IO, Any

import httpx
from githubkit import AppAuthStrategy, GitHub, Response, TokenAuthStrategy
from githubkit.exception import (
    RateLimitExceeded,
    RequestError,
    RequestFailed,
    RequestTimeout,
)

from bot.core.limits import DOWNLOAD_REDIRECTS_MAX, WORKFLOW_BYTES_PER_CHECK
from bot.core.yamlnodes import MAX_FILE_BYTES
from bot.service import rest
from bot.service.logs import redact
from bot.service.metrics import Registry
from bot.service.rest import Endpoint

log = logging.getLogger("parity.github")

TOKEN_MARGIN = 300.0  # renew an installation token five minutes before it expires
FILE_READ_BYTES = MAX_FILE_BYTES + 1  # what `Api.file` reads of a file by default


def room_for_a_workflow(read: int) -> bool:
    """Whether one more workflow file fits in one judgement's budget, `read` bytes in."""
    return read <= WORKFLOW_BYTES_PER_CHECK - FILE_READ_BYTES


class GitHubError(Exception):
    pass


class Transient(GitHubError):
    """5xx, timeout or network trouble: the same call may well work later."""


class RateLimited(GitHubError):
    def __init__(self, message: str, retry_at: float) -> None:
        super().__init__(message)
        self.retry_at = retry_at


class Rejected(GitHubError):
    def __init__(self, message: str, status: int, body: Any = None) -> None:
        super().__init__(message)
        self.status = status
        self.body = body


def _rate_limit_wait(response: httpx.Response) -> float | None:
    """Seconds to wait when the response is a (primary or secondary) rate limit."""
    headers = response.headers
    if response.status_code not in (403, 429):
        return None
    if "retry-after" in headers:
        try:
            return max(0.0, float(headers["retry-after"]))
        except ValueError:
            return 60.0
    if headers.get("x-ratelimit-remaining") == "0" and "x-ratelimit-reset" in headers:
        try:
            return max(0.0, float(headers["x-ratelimit-reset"]) - time.time())
        except ValueError:
            return 60.0
    text = response.text.lower()
    if response.status_code == 429 or "secondary rate limit" in text or "rate limit" in text:
        return 60.0  # GitHub's advice when it gives no header
    return None


def classify(exc: Exception, what: str) -> GitHubError:
    if isinstance(exc, RateLimitExceeded):
        seconds = exc.retry_after.total_seconds() if exc.retry_after else 60.0
        return RateLimited(f"{what}: rate limited", time.time() + seconds)
    if isinstance(exc, RequestFailed):
        response = exc.response.raw_response
        wait = _rate_limit_wait(response)
        if wait is not None:
            return RateLimited(f"{what}: rate limited ({response.status_code})", time.time() + wait)
        status = response.status_code
        if status >= 500:
            return Transient(f"{what}: GitHub answered {status}")
        try:
            body = response.json()
        except ValueError:
            body = response.text[:500]
        message = body.get("message") if isinstance(body, dict) else str(body)
        return Rejected(f"{what}: {status} {message}", status, body)
    if isinstance(exc, RequestTimeout):
        return Transient(f"{what}: timed out")
    if isinstance(exc, RequestError):
        return Transient(f"{what}: {type(exc.__cause__ or exc).__name__}")
    return Transient(f"{what}: {exc}")


async def app_request(
    gh: GitHub[Any], endpoint: Endpoint, params: dict[str, Any] | None = None, **parts: object
) -> Response[Any]:
    """A call with the App's own credentials (its JSON web token); errors classified, and
    named by the path called (`/app/installations/42/access_tokens`), not its template."""
    path = endpoint.url(**parts)
    try:
        return await gh.arequest(endpoint.method, path, params=params)
    except Exception as exc:
        raise classify(exc, f"{endpoint.method} {path}") from None


@dataclass(slots=True)
class RateLimit:
    """An installation's primary rate limit, as its last response said."""

    remaining: int
    limit: int
    reset: float


# Counts one content-creating request; None when it fits, else when to try again.
WriteBudget = Callable[[], Awaitable[float | None]]


class Api:
    """One job's client. Paths are relative to GITHUB_API_URL; bodies are plain JSON.

    With `share` (a fraction), the client is a background one: it stops before it would
    use more than that share of the installation's remaining limit, raising RateLimited
    until the reset, so that pull-request checks keep the rest.
    """

    def __init__(
        self,
        gh: GitHub[Any],
        metrics: Registry,
        rate: RateLimit | None = None,
        share: float | None = None,
        writes: WriteBudget | None = None,
        app_id: str | None = None,
        reconnect: Callable[[], Awaitable[GitHub[Any]]] | None = None,
        login: Callable[[], Awaitable[str]] | None = None,
    ) -> None:
        self.gh = gh
        # A 401 means the token was revoked or expired early: one new token, one retry.
        self.reconnect = reconnect
        self.metrics = metrics
        self.calls = 0
        self.rate = rate
        self.share = share
        self.writes = writes
        self.app_id = app_id
        self.login = login

    async def wrote(self, item: dict[str, Any]) -> bool:
        """Whether this App wrote `item` (a comment): anyone can copy our hidden markers
        into a comment of their own, but only GitHub sets its author."""
        user = item.get("user") or {}
        if self.login is None or not isinstance(user, dict) or user.get("type") != "Bot":
            return False
        return user.get("login") == await self.login()

    def ours(self, item: dict[str, Any]) -> bool:
        """Whether this App made `item` (a check run): anyone can name a check run ours,
        a fork's workflow included, but only GitHub sets its `app`."""
        app = item.get("app")
        return self.app_id is not None and isinstance(app, dict) and str(app.get("id")) == self.app_id

    def _check_budget(self, what: str) -> None:
        rate = self.rate
        if self.share is None or rate is None or rate.reset < time.time():
            return
        if rate.remaining <= rate.limit * (1 - self.share):
            raise RateLimited(
                f"{what}: background share of the rate limit used up ({rate.remaining} of {rate.limit} left)",
                rate.reset,
            )

    async def _send(
        self,
        method: str,
        path: str,
        params: dict[str, Any] | None,
        json: Any,
        headers: dict[str, str] | None,
        stream: bool = False,
    ) -> Response[Any]:
        what = f"{method} {path.split('?')[0]}"
        if not (headers and "If-None-Match" in headers):  # a 304 costs nothing
            self._check_budget(what)
        if method != "GET" and self.writes is not None:
            retry_at = await self.writes()
            if retry_at is not None:
                raise RateLimited(
                    f"{what}: this installation's writes for this minute are "
                    "used up (GitHub's secondary limit)",
                    retry_at,
                )
        self.calls += 1
        try:
            return await self.gh.arequest(
                method, path, params=params, json=json, headers=headers, stream=stream
            )
        except Exception as exc:
            error = classify(exc, what)
        if not (isinstance(error, Rejected) and error.status == 401 and self.reconnect is not None):
            raise error
        # GitHub refused the token before doing anything, so even a write is safe to repeat.
        renew, self.reconnect = self.reconnect, None
        log.warning("installation token refused (401); retrying once with a new one")
        self.gh = await renew()
        self.calls += 1
        try:
            return await self.gh.arequest(
                method, path, params=params, json=json, headers=headers, stream=stream
            )
        except Exception as exc:
            raise classify(exc, what) from None

    async def request(
        self,
        endpoint: Endpoint,
        *,
        params: dict[str, Any] | None = None,
        json: Any = None,
        headers: dict[str, str] | None = None,
        **parts: object,
    ) -> Any:
        """The decoded JSON (or bytes for raw media types); raises a GitHubError."""
        return _decoded(await self._send(endpoint.method, endpoint.url(**parts), params, json, headers))

    async def own_issue(self, repo: str, login: str, marker: str) -> dict[str, Any] | None:
        """The issue (open or closed, not a pull request) that `login` opened with `marker`
        in its body: how the App finds its dashboards and reports again, never making two."""
        issues = await self.pages(rest.ISSUES, {"state": "all", "creator": login}, repo=repo)
        return next(
            (
                issue
                for issue in issues
                if marker in str(issue.get("body") or "")
                and "pull_request" not in issue
                and (issue.get("user") or {}).get("login") == login  # not only as the filter says
            ),
            None,
        )

    async def conditional(
        self, endpoint: Endpoint, etag: str | None, params: dict[str, Any] | None = None, **parts: object
    ) -> tuple[int, Any, str | None]:
        """A GET that GitHub answers 304 (free against the rate limit) when `etag` still
        matches: (status, decoded JSON or None, the response's ETag). 404 is an answer."""
        headers = {"If-None-Match": etag} if etag else None
        try:
            response = await self._send("GET", endpoint.url(**parts), params, None, headers)
        except Rejected as exc:
            if exc.status == 404:
                return 404, None, None
            raise
        raw = response.raw_response
        data = raw.json() if raw.status_code == 200 and raw.content else None
        return raw.status_code, data, raw.headers.get("etag")

    async def file(
        self, owner: str, repo: str, path: str, ref: str | None = None, max_bytes: int = FILE_READ_BYTES
    ) -> bytes | None:
        """A file's bytes (raw media type: works past 1 MB), or None when it does not exist.

        At most `max_bytes` are read, as they arrive: a longer file comes back cut there.
        The default is one byte past the largest workflow the analysis reads, so the
        analysis still sees that it is too large, while a 60 MB file costs 1 MB here."""
        params = {"ref": ref} if ref else None
        try:
            response = await self._send(
                "GET",
                rest.CONTENTS.url(owner=owner, repo=repo, path=path),
                params,
                None,
                {"Accept": "application/vnd.github.raw+json"},
                stream=True,
            )
        except Rejected as exc:
            if exc.status == 404:
                return None
            raise
        raw = response.raw_response
        try:
            data, cut = await _read_capped(raw, max_bytes, f"GET contents of {path}")
        finally:
            await raw.aclose()
        if "json" not in raw.headers.get("content-type", ""):
            return data
        if cut:
            return None  # a folder listing too long to matter: not a file
        decoded = json_module.loads(data) if data else None
        if isinstance(decoded, dict) and decoded.get("type") == "file" and "content" in decoded:
            import base64

            return base64.b64decode(decoded["content"])[:max_bytes]
        return None  # a folder or a submodule

    async def download(self, endpoint: Endpoint, limit: int, into: IO[bytes], **parts: object) -> int:
        """An artifact zip, written to `into` as it arrives; the bytes written. A declared
        size over `limit` is refused before the body is read, and a body that grows past it
        is cut off."""
        async with self._stored(endpoint, parts, {}) as (response, what):
            return await _write_capped(response, limit, into, what)

    async def download_tail(self, endpoint: Endpoint, limit: int, **parts: object) -> tuple[bytes, bool]:
        """The last `limit` bytes of a stored file (a job's log: a test summary is at its
        end), and whether there was more before them.

        Storage is asked for the file; when its answer declares more than `limit` bytes, the
        answer is dropped unread and the end is asked for from an offset (`Range: bytes=N-`,
        which stores that serve ranges take; a suffix range is not universal). A store that
        sends the whole file anyway, or declares no size, is read through keeping the end."""
        async with self._stored(endpoint, parts, {}) as (response, what):
            declared = response.headers.get("content-length", "")
            if not (declared.isdigit() and int(declared) > limit):
                return await _read_tail(response, limit, what)
            size = int(declared)
        async with self._stored(endpoint, parts, {"Range": f"bytes={size - limit}-"}) as (response, what):
            return await _read_tail(response, limit, what, size)

    @asynccontextmanager
    async def _stored(
        self, endpoint: Endpoint, parts: dict[str, object], headers: dict[str, str]
    ) -> AsyncIterator[tuple[httpx.Response, str]]:
        """The streamed response holding a stored file's body.

        The API answers with a redirect to storage. Storage is asked without our
        credentials, over https only (http to a loopback address: a test server), through
        at most DOWNLOAD_REDIRECTS_MAX redirects; `headers` go to storage only."""
        path = endpoint.url(**parts)
        what = f"GET {path}"
        response = await self._send("GET", path, None, None, None, stream=True)
        raw = response.raw_response
        try:
            location = raw.headers.get("location")
            if raw.status_code not in REDIRECTS or not location:
                yield raw, what
                return
        finally:
            await raw.aclose()
        current = str(raw.url)
        timeout = self.gh.config.timeout
        # A client of its own: no Authorization header, no cookies, no redirects of its own;
        # no compression either, so a chunk counted against a limit cannot inflate on arrival.
        async with httpx.AsyncClient(
            timeout=timeout, follow_redirects=False, headers={"Accept-Encoding": "identity"}
        ) as plain:
            for _ in range(DOWNLOAD_REDIRECTS_MAX):
                current = redirect_target(current, location, what)
                try:
                    async with plain.stream("GET", current, headers=headers) as blob:
                        location = blob.headers.get("location")
                        if blob.status_code in REDIRECTS and location:
                            continue
                        if blob.status_code >= 500:
                            raise Transient(f"{what}: storage answered {blob.status_code}")
                        if blob.status_code >= 400 and blob.status_code != 416:  # _read_tail says why
                            raise Rejected(f"{what}: storage answered {blob.status_code}", blob.status_code)
                        yield blob, what
                        return
                except httpx.HTTPError as exc:
                    raise Transient(f"{what}: storage unreachable ({type(exc).__name__})") from None
        raise Rejected(f"{what}: more than {DOWNLOAD_REDIRECTS_MAX} redirects", 400)

    async def pages(
        self, endpoint: Endpoint, params: dict[str, Any] | None = None, limit: int = 3000, **parts: object
    ) -> list[Any]:
        """Every item of a paginated list (100 per page, at most `limit`)."""
        path = endpoint.url(**parts)
        items: list[Any] = []
        page = 1
        while len(items) < limit:
            batch = _decoded(
                await self._send("GET", path, {**(params or {}), "per_page": 100, "page": page}, None, None)
            )
            if isinstance(batch, dict):  # {"total_count": n, "check_runs": [...]} style
                batch = next((v for v in batch.values() if isinstance(v, list)), [])
            if not isinstance(batch, list):
                break
            items.extend(batch)
            if len(batch) < 100:
                break
            page += 1
        return items[:limit]


REDIRECTS = (301, 302, 303, 307, 308)


def redirect_target(current: str, location: str, what: str) -> str:
    """Where a redirect leads, when parity-bot may follow it: https, or http to a loopback
    address (a test server, as GITHUB_API_URL may be); Rejected otherwise."""
    target = httpx.URL(current).join(location)
    host = target.host
    if target.scheme == "https" and host:
        return str(target)
    if target.scheme == "http" and is_loopback(host):
        return str(target)
    shown = f"{target.scheme}://{host}" if host else target.scheme or "a relative location"
    raise Rejected(f"{what}: redirected to {shown[:100]}; only https is followed", 400)


def is_loopback(host: str | None) -> bool:
    """`localhost` or a loopback address (IPv4, IPv6, or IPv4 mapped into IPv6): the one
    test for setup's local visitors and for the http redirects a test server may send."""
    if not host:
        return False
    if host.lower() == "localhost":
        return True
    try:
        address = ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped.is_loopback
    return address.is_loopback


async def _read_capped(raw: httpx.Response, limit: int, what: str) -> tuple[bytes, bool]:
    """At most `limit` bytes of a streamed body, and whether there was more."""
    chunks: list[bytes] = []
    size = 0
    try:
        async for chunk in raw.aiter_bytes():
            chunks.append(chunk)
            size += len(chunk)
            if size > limit:
                break
    except httpx.HTTPError as exc:
        raise Transient(f"{what}: {type(exc).__name__}") from None
    return b"".join(chunks)[:limit], size > limit


async def _read_tail(raw: httpx.Response, limit: int, what: str, size: int = 0) -> tuple[bytes, bool]:
    """The last `limit` bytes of a body, and whether the file held more (`size`: what an
    earlier answer declared). A 206 is the range asked for (its Content-Range gives the
    whole size); a 200 is the whole file, read through with only the last `limit` bytes
    kept."""
    if raw.status_code == 416:
        raise Rejected(f"{what}: storage refused the range", 416)
    if raw.status_code == 206:
        total = raw.headers.get("content-range", "").rpartition("/")[2]
        size = max(size, int(total) if total.isdigit() else 0)
    kept: deque[bytes] = deque()
    held = seen = 0
    try:
        async for chunk in raw.aiter_bytes():
            kept.append(chunk)
            held += len(chunk)
            seen += len(chunk)
            while held - len(kept[0]) >= limit:
                held -= len(kept.popleft())
    except httpx.HTTPError as exc:
        raise Transient(f"{what}: {type(exc).__name__}") from None
    data = b"".join(kept)[-limit:]
    return data, max(seen, size) > len(data)


async def _write_capped(raw: httpx.Response, limit: int, into: IO[bytes], what: str) -> int:
    declared = raw.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise Rejected(f"{what}: {declared} bytes, over the {limit}-byte limit", 413)
    size = 0
    try:
        async for chunk in raw.aiter_bytes():
            size += len(chunk)
            if size > limit:
                raise Rejected(f"{what}: larger than {limit} bytes", 413)
            into.write(chunk)
    except httpx.HTTPError as exc:
        raise Transient(f"{what}: {type(exc).__name__}") from None
    into.flush()
    return size


def _served_at(response: httpx.Response) -> float | None:
    """GitHub's clock when it answered (its Date header)."""
    try:
        return parsedate_to_datetime(response.headers["date"]).timestamp()
    except (KeyError, TypeError, ValueError):
        return None


def _decoded(response: Response[Any]) -> Any:
    raw = response.raw_response
    if raw.status_code == 204 or not raw.content:
        return None
    if "json" in raw.headers.get("content-type", ""):
        return raw.json()
    return raw.content


class Clients:
    """Creates per-job clients; installation tokens are cached (one fetch at a time each)."""

    def __init__(self, app_id: str, private_key: str, api_url: str, timeout: float, metrics: Registry) -> None:
        self.app_id = app_id
        self.private_key = private_key
        self.api_url = api_url.rstrip("/") + "/"
        self.timeout = timeout
        self.metrics = metrics
        self._tokens: dict[int, tuple[str, float]] = {}
        self._locks: dict[int, asyncio.Lock] = {}
        self.rates: dict[int, RateLimit] = {}
        self._login: str | None = None
        # installation -> its shared write budget (set by the service; None: unlimited)
        self.write_budget: Callable[[int], WriteBudget] | None = None

    def _github(self, auth: Any, installation: int | None = None) -> GitHub[Any]:
        async def count(response: httpx.Response) -> None:
            self.metrics.github_calls.labels(status=str(response.status_code)).inc()
            headers = response.headers
            remaining = headers.get("x-ratelimit-remaining")
            if remaining is not None and remaining.isdigit():
                self.metrics.rate_limit.set(float(remaining))
                limit, reset = headers.get("x-ratelimit-limit", ""), headers.get("x-ratelimit-reset", "")
                rate = self.rates.get(installation) if installation is not None else None
                if rate is not None and limit.isdigit() and reset.isdigit():
                    rate.remaining, rate.limit, rate.reset = int(remaining), int(limit), float(reset)

        # No redirects followed: an artifact download answers 302 to storage that must not
        # see our Authorization header (`Api.download` fetches it without).
        return GitHub(
            auth,
            base_url=self.api_url,
            timeout=self.timeout,
            auto_retry=False,
            http_cache=False,
            user_agent="parity-bot",
            follow_redirects=False,
            async_event_hooks={"response": [count]},
        )

    def app_client(self) -> GitHub[Any]:
        return self._github(AppAuthStrategy(self.app_id, self.private_key))

    async def app_login(self) -> str:
        """The App's bot login (`slug[bot]`): the author of its issues and comments."""
        if self._login is None:
            async with self.app_client() as gh:
                response = await app_request(gh, rest.APP)
            self._login = f"{response.json()['slug']}[bot]"
        return self._login

    async def token(self, installation: int) -> str:
        lock = self._locks.setdefault(installation, asyncio.Lock())
        async with lock:
            cached = self._tokens.get(installation)
            if cached and cached[1] - TOKEN_MARGIN > time.time():
                return cached[0]
            asked = time.time()
            async with self.app_client() as gh:
                response = await app_request(gh, rest.INSTALLATION_TOKEN, installation_id=installation)
            data = response.json()
            token = str(data["token"])
            expires = datetime.strptime(data["expires_at"], "%Y-%m-%dT%H:%M:%SZ")
            # `expires_at` is on GitHub's clock: what counts is how long the token has left
            # by the Date GitHub sent with it, so a local clock that is off does not make us
            # use a token GitHub already considers expired.
            served = _served_at(response.raw_response) or asked
            lifetime = expires.replace(tzinfo=UTC).timestamp() - served
            redact.add([token])
            self._tokens[installation] = (token, asked + lifetime)
            return token

    def forget(self, installation: int, token: str) -> None:
        """Drop a cached token GitHub refused (unless another job already replaced it)."""
        cached = self._tokens.get(installation)
        if cached is not None and cached[0] == token:
            del self._tokens[installation]

    @asynccontextmanager
    async def installation(self, installation: int, share: float | None = None) -> AsyncIterator[Api]:
        """A client for one installation; `share` makes it a background client (see Api)."""
        token = await self.token(installation)
        rate = self.rates.setdefault(installation, RateLimit(0, 0, 0.0))  # the hook fills it
        writes = self.write_budget(installation) if self.write_budget is not None else None
        async with contextlib.AsyncExitStack() as clients:

            async def reconnect() -> GitHub[Any]:
                self.forget(installation, token)
                fresh = self._github(TokenAuthStrategy(await self.token(installation)), installation)
                await clients.enter_async_context(fresh)
                return fresh

            gh = self._github(TokenAuthStrategy(token), installation)
            await clients.enter_async_context(gh)
            yield Api(gh, self.metrics, rate, share, writes, self.app_id, reconnect, self.app_login)

    @asynccontextmanager
    async def anonymous(self) -> AsyncIterator[Api]:
        gh = self._github(None)
        async with gh:
            yield Api(gh, self.metrics)
