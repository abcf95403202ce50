"""Setup mode: register the App from `bot/app.yml` through GitHub's manifest flow.

`serve` without credentials serves a page at `/` whose button posts the manifest to GitHub
(hook URL and redirect filled in). GitHub sends the browser back to `/setup/callback` with a
code, which is exchanged (`POST /app-manifests/{code}/conversions`) for the App's id, key and
webhook secret; they are written to `.env` and the page says what to do next.
"""

from __future__ import annotations

import html
import json
import logging
import os
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from bot.core.yamlnodes import YamlError, parse, plain
from bot.service import metrics_access, rest
from bot.service.github import Clients, GitHubError
from bot.service.logs import log
from bot.service.metrics import CONTENT_TYPE, Registry
from bot.service.settings import Settings, SettingsError

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
    host = "localhost" if settings.host in ("0.0.0.0", "::", "") else settings.host
    if ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{settings.port}/"


def write_env(path: str, values: dict[str, str]) -> None:
    lines = [f"{key}={json.dumps(value)}" for key, value in values.items()]
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)  # holds the private key
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write("\n".join(lines) + "\n")


def create_setup_app(settings: Settings) -> Starlette:
    manifest = load_manifest()
    metrics = Registry()
    state = secrets.token_urlsafe(24)
    github = web_url(settings.github_api_url)

    async def home(request: Request) -> Response:
        base = (settings.public_url or str(request.base_url)).rstrip("/")
        filled = {
            **manifest,
            "hook_attributes": {"url": base + settings.webhook_path},
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
        return _page("Set up parity-bot", form)

    async def callback(request: Request) -> Response:
        code = request.query_params.get("code", "")
        if not code or not secrets.compare_digest(request.query_params.get("state", ""), state):
            return _page(
                "Setup failed",
                "<p>The request did not come from this setup page "
                "(state does not match). Start again at <a href='/'>/</a>.</p>",
                400,
            )
        clients = Clients("0", "", settings.github_api_url, settings.github_timeout, Registry())
        try:
            async with clients.anonymous() as api:
                app = await api.request(rest.MANIFEST_CONVERSION, code=code)
        except GitHubError as exc:
            return _page("Setup failed", f"<p>GitHub did not accept the code: {html.escape(str(exc))}</p>", 502)
        write_env(
            settings.env_file,
            {"APP_ID": str(app["id"]), "PRIVATE_KEY": app["pem"], "WEBHOOK_SECRET": app["webhook_secret"]},
        )
        install = html.escape(str(app.get("html_url", github)) + "/installations/new")
        return _page(
            "parity-bot is registered",
            (
                f"<p>The App <b>{html.escape(str(app.get('name', '')))}</b> (id {app['id']}) exists. "
                f"Its id, private key and webhook secret are in <code>{html.escape(settings.env_file)}"
                f"</code> (readable by you only).</p><ol><li>Restart <code>parity-bot serve</code>; it "
                f"reads <code>.env</code>.</li><li><a href='{install}'>Install the App</a> on your "
                f"repositories or organization.</li></ol>"
            ),
        )

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
        log(
            logger,
            logging.INFO,
            f"setup mode (no App credentials): open {setup_page_url(settings)} to register the App",
            url=setup_page_url(settings),
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
