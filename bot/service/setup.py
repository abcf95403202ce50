"""Setup mode: register the App from `bot/app.yml` through GitHub's manifest flow.

`serve` without credentials (or `parity-bot setup`) serves a page at `/` whose button posts
the manifest to GitHub (hook URL and redirect filled in). GitHub sends the browser back to
`/setup/callback` with a code, which is exchanged (`POST /app-manifests/{code}/conversions`)
for the App's id, key and webhook secret; they are merged into `.env` and the page says what
to do next.

Whoever completes the flow decides whose App the service runs as, so the flow is guarded:
the page answers only this machine (a loopback peer under a loopback name, no proxy between)
or a browser holding the setup token printed in the log; each page load makes a one-time
`state` bound to a cookie of that browser; once credentials exist every further attempt is
refused; and `.env` is replaced atomically, mode 0600, keeping the operator's other lines.
"""

from __future__ import annotations

import asyncio
import contextlib
import html
import json
import logging
import os
import secrets
import tempfile
import time
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

from starlette.applications import Starlette
from starlette.background import BackgroundTask
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Route

from bot.core.limits import MANIFEST_CODE_MAX_SECONDS
from bot.core.yamlnodes import YamlError, parse, plain
from bot.service import metrics_access, rest
from bot.service.github import Clients, GitHubError, is_loopback
from bot.service.logs import log
from bot.service.metrics import CONTENT_TYPE, Registry
from bot.service.settings import Settings, SettingsError, read_env_file

logger = logging.getLogger("parity.setup")


def manifest_text() -> bytes:
    """The App manifest: the file APP_MANIFEST names, else the one inside the package (so
    every kind of install, wheel, sdist, editable or the image, has it)."""
    override = os.environ.get("APP_MANIFEST")
    if override:
        try:
            return Path(override).read_bytes()
        except OSError as exc:
            raise SettingsError(f"APP_MANIFEST={override}: {exc.strerror}") from None
    return resources.files("bot").joinpath("app.yml").read_bytes()


def load_manifest() -> dict[str, Any]:
    try:
        data = plain(parse(manifest_text()))
    except YamlError as exc:
        raise SettingsError(f"the App manifest: {exc.message}") from None
    if not isinstance(data, dict):
        raise SettingsError("the App manifest must be a mapping")
    return data


def web_url(api_url: str) -> str:
    """github.com for api.github.com, `https://host` for GHES's `https://host/api/v3`."""
    parts = urlsplit(api_url)
    if parts.netloc == "api.github.com":
        return "https://github.com"
    if parts.path.rstrip("/").endswith("/api/v3"):
        return f"{parts.scheme}://{parts.netloc}"
    return api_url.rstrip("/")


def _page(title: str, body: str, status: int = 200) -> HTMLResponse:
    return HTMLResponse(
        f"<!doctype html><html><head><meta charset='utf-8'><title>{title}</title>"
        f"</head><body style='font-family:sans-serif;max-width:40em;margin:3em auto'>"
        f"<h1>{title}</h1>{body}</body></html>",
        status_code=status,
    )


def setup_page_url(settings: Settings) -> str:
    """Where a person opens the setup page: PUBLIC_URL, else this host and port (a
    wildcard listen address is reached as localhost)."""
    if settings.public_url:
        return settings.public_url.rstrip("/") + "/"
    return local_page_url(settings)


def local_page_url(settings: Settings) -> str:
    host = "localhost" if settings.host in ("0.0.0.0", "::", "") else settings.host
    if ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{settings.port}/"


CREDENTIALS = ("APP_ID", "PRIVATE_KEY", "PRIVATE_KEY_PATH", "WEBHOOK_SECRET")
# GitHub's code is dead by then, so a state older than that has no use.
STATE_MAX_AGE = float(MANIFEST_CODE_MAX_SECONDS)
# Page loads not yet finished; past this many the oldest is forgotten, so loading the page
# in a loop cannot grow memory.
STATES_MAX = 32
STATE_COOKIE = "parity_setup_state"
TOKEN_COOKIE = "parity_setup_token"
# Set by a reverse proxy: the peer address is then the proxy's, not the browser's.
FORWARDING_HEADERS = ("forwarded", "x-forwarded-for", "x-forwarded-host", "x-real-ip")


def env_text(old: str, values: dict[str, str]) -> str:
    """`old` (a `.env` file's text) with `values` set: their earlier lines dropped, every
    other line (the operator's DATABASE_URL, comments) kept as it was."""
    kept = [line for line in old.splitlines() if line.partition("=")[0].strip() not in values]
    return "\n".join([*kept, *(f"{key}={json.dumps(value)}" for key, value in values.items())]) + "\n"


def write_env(path: str, values: dict[str, str]) -> None:
    """Merge `values` into the file at `path`, atomically: a new file (mode 0600, since it
    holds the private key, whatever the old file's mode) renamed over the old one, so a
    reader sees the old settings or the new ones, never half a file."""
    target = Path(path)
    try:
        old = target.read_text(encoding="utf-8")
    except FileNotFoundError:
        old = ""
    folder = target.parent
    fd, temporary = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=folder)
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(env_text(old, values))
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
    with contextlib.suppress(OSError):  # the rename itself survives a crash once the folder is synced
        folder_fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(folder_fd)
        finally:
            os.close(folder_fd)


def has_credentials(env_file: str) -> bool:
    return any(read_env_file(env_file).get(name) for name in CREDENTIALS)


def _same(given: str, expected: str) -> bool:
    # compare_digest refuses non-ASCII str: bytes keep a hostile parameter a plain mismatch.
    return bool(given) and secrets.compare_digest(given.encode(), expected.encode())


def create_setup_app(settings: Settings, on_registered: Callable[[], None] | None = None) -> Starlette:
    """The setup pages; `on_registered` runs once the credentials are written and the page
    saying so has been sent (`parity-bot setup` stops there)."""
    manifest = load_manifest()
    metrics = Registry()
    # Proves the browser's operator read this process's log: required from anywhere but
    # this machine. Hex, so no credential shape the log redactor knows can match it.
    token = secrets.token_hex(16)
    states: OrderedDict[str, float] = OrderedDict()
    registering = asyncio.Lock()
    github = web_url(settings.github_api_url)

    def local(request: Request) -> bool:
        """From this machine, under a loopback name (not a DNS-rebound one), no proxy between."""
        peer = request.client.host if request.client else None
        if any(name in request.headers for name in FORWARDING_HEADERS):
            return False
        return is_loopback(peer) and is_loopback(request.url.hostname)

    def admitted(request: Request) -> bool:
        if local(request):
            return True
        given = request.query_params.get("token") or request.cookies.get(TOKEN_COOKIE, "")
        return _same(given, token)

    def refused() -> Response:
        return _page(
            "Setup is not open here",
            "<p>The setup page answers only on the machine parity-bot runs on, or through the "
            "setup link (with its <code>token</code>) that parity-bot printed in its log.</p>",
            403,
        )

    def registered() -> Response:
        return _page(
            "Already registered",
            f"<p>App credentials are already in <code>{html.escape(settings.env_file)}</code>; "
            "setup will not replace them. Restart <code>parity-bot serve</code> to use them.</p>",
            409,
        )

    def take_state(given: str, cookie: str) -> bool:
        now = time.monotonic()
        for old in [s for s, made in states.items() if now - made > STATE_MAX_AGE]:
            del states[old]
        if not (_same(given, cookie) and given in states):
            return False
        del states[given]  # one-time: a replayed callback finds it gone
        return True

    def secure(request: Request) -> bool:
        return request.url.scheme == "https"

    async def home(request: Request) -> Response:
        if not admitted(request):
            return refused()
        if "token" in request.query_params:
            # Keep the token out of the address bar, history and the Referer sent to GitHub.
            org = request.query_params.get("org")
            response: Response = RedirectResponse("/" + (f"?{urlencode({'org': org})}" if org else ""), 303)
            response.set_cookie(TOKEN_COOKIE, token, httponly=True, samesite="lax", secure=secure(request))
            return response
        if has_credentials(settings.env_file):
            return registered()
        state = secrets.token_hex(16)
        states[state] = time.monotonic()
        while len(states) > STATES_MAX:
            states.popitem(last=False)
        base = str(request.base_url).rstrip("/")
        filled = {
            **manifest,
            "hook_attributes": {"url": (settings.public_url or base).rstrip("/") + settings.webhook_path},
            # Back to the address this browser used: its state cookie lives there.
            "redirect_url": f"{base}/setup/callback",
        }
        owner = request.query_params.get("org")
        target = f"{github}/organizations/{owner}/settings/apps/new" if owner else f"{github}/settings/apps/new"
        form = (
            f"<p>parity-bot has no GitHub App credentials yet. Register the App on "
            f"{html.escape(github)}; GitHub will send you back here.</p>"
            f"<form action='{html.escape(target)}?state={state}' method='post'>"
            f"<input type='hidden' name='manifest' value='{html.escape(json.dumps(filled))}'>"
            f"<button type='submit'>Register the GitHub App</button></form>"
            f"<p>For an organization, open <code>/?org=NAME</code>.</p>"
        )
        page = _page("Set up parity-bot", form)
        # Lax: sent when GitHub's redirect brings this browser back, not on other sites' requests.
        page.set_cookie(
            STATE_COOKIE,
            state,
            max_age=int(STATE_MAX_AGE),
            path="/setup/callback",
            httponly=True,
            samesite="lax",
            secure=secure(request),
        )
        return page

    async def callback(request: Request) -> Response:
        if not admitted(request):
            return refused()
        if has_credentials(settings.env_file):
            return registered()
        code = request.query_params.get("code", "")
        state = request.query_params.get("state", "")
        if not code or not take_state(state, request.cookies.get(STATE_COOKIE, "")):
            return _page(
                "Setup failed",
                "<p>The request did not come from this setup page in this browser "
                "(state does not match, or was used already). Start again at "
                "<a href='/'>/</a>.</p>",
                400,
            )
        async with registering:  # two callbacks at once: the second sees the first's file
            if has_credentials(settings.env_file):
                return registered()
            clients = Clients("0", "", settings.github_api_url, settings.github_timeout, Registry())
            try:
                async with clients.anonymous() as api:
                    app = await api.request(rest.MANIFEST_CONVERSION, code=code)
            except GitHubError as exc:
                return _page(
                    "Setup failed", f"<p>GitHub did not accept the code: {html.escape(str(exc))}</p>", 502
                )
            try:
                write_env(
                    settings.env_file,
                    {
                        "APP_ID": str(app["id"]),
                        "PRIVATE_KEY": app["pem"],
                        "WEBHOOK_SECRET": app["webhook_secret"],
                    },
                )
            except OSError as exc:
                log(logger, logging.ERROR, f"cannot write {settings.env_file}: {exc.strerror}")
                return _page(
                    "Setup failed",
                    f"<p>The App was made on GitHub, but <code>{html.escape(settings.env_file)}</code> "
                    f"cannot be written ({html.escape(str(exc.strerror))}). Delete the App on GitHub, "
                    "fix the file's folder and start again.</p>",
                    500,
                )
        log(logger, logging.INFO, "App registered", app_id=str(app["id"]), env_file=settings.env_file)
        install = html.escape(str(app.get("html_url", github)) + "/installations/new")
        then = (
            "Setup has finished; services started after it read these credentials."
            if on_registered is not None
            else "Restart <code>parity-bot serve</code>; it reads them at start."
        )
        response = _page(
            "parity-bot is registered",
            (
                f"<p>The App <b>{html.escape(str(app.get('name', '')))}</b> (id {app['id']}) exists. "
                f"Its id, private key and webhook secret are in <code>{html.escape(settings.env_file)}"
                f"</code> (readable by you only).</p><ol><li>{then}</li><li><a href='{install}'>Install "
                f"the App</a> on your repositories or organization.</li></ol>"
            ),
        )
        response.delete_cookie(TOKEN_COOKIE)
        if on_registered is not None:
            response.background = BackgroundTask(on_registered)
        return response

    async def healthz(request: Request) -> Response:
        return PlainTextResponse("ok (setup mode)\n")

    async def readyz(request: Request) -> Response:
        # Alive, but not an App yet: a load balancer must not send webhooks here. The same
        # JSON shape as a registered service's answer.
        return JSONResponse({"message": "setup mode: not registered yet"}, status_code=503)

    async def metrics_endpoint(request: Request) -> Response:
        # The process's own metrics: what is scraped in every mode keeps answering.
        return Response(metrics.render(), media_type=CONTENT_TYPE)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        # The token is printed on purpose: reading this log is what proves the operator. It
        # opens nothing once the App is registered.
        url = f"{setup_page_url(settings)}?token={token}"
        local_url = f"{local_page_url(settings)}?token={token}"
        where = f"open {url}" + (f" (on this machine: {local_url})" if local_url != url else "")
        log(
            logger,
            logging.INFO,
            f"setup mode (no App credentials): {where} to register the App",
            url=url,
            env_file=settings.env_file,
        )
        yield

    return Starlette(
        routes=[
            Route("/", home),
            Route("/setup/callback", callback),
            Route("/healthz", healthz),
            Route("/readyz", readyz),
            Route("/metrics", metrics_access.guarded(metrics_endpoint, settings.metrics_token)),
        ],
        lifespan=lifespan,
    )
