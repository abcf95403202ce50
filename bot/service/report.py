"""`parity-bot report`: where an organisation stands, from the service's database, or
scanned live through the App's credentials (`--org ORG --live`) without the service."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from bot.render import org_report
from bot.service.store import Store

if TYPE_CHECKING:
    from bot.service.github import Clients
    from bot.service.settings import Settings

# A report from a database needs only the standard library (SQLite) and asyncpg
# (PostgreSQL); --live is the App's work and imports the `service` extra when it runs.


class ReportError(Exception):
    pass


def since_timestamp(text: str) -> float:
    """`2026-11-01` or a full ISO 8601 time (UTC when no zone is given)."""
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise ReportError(f"--since must be a date like 2026-11-01, not {text!r}") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()


DEFAULT_DATABASE = "sqlite:///parity-bot.db"  # the service's default DATABASE_URL


def database_url(given: str | None, environment: Mapping[str, str]) -> str:
    """The database `report` reads: `--database`, else DATABASE_URL, else the service's
    default. A file path or a `sqlite:///PATH` / `postgresql://…` URL; a SQLite file must
    exist (the report never creates one). Anything else is a ReportError naming the setting."""
    if given:
        setting, value = "--database", given
    elif environment.get("DATABASE_URL"):
        setting, value = "DATABASE_URL", environment["DATABASE_URL"]
    else:
        setting, value = "DATABASE_URL (unset; the service's default)", DEFAULT_DATABASE
    if value.startswith(("postgresql://", "postgres://")):
        return value
    if "://" in value:
        if not value.startswith("sqlite:///") or value == "sqlite:///":
            raise ReportError(
                f"{setting}: {value!r} is not a database parity-bot reads: give a file path, "
                "sqlite:///PATH or postgresql://…"
            )
        path = value[len("sqlite:///") :]
    else:
        path = value
    if not Path(path).is_file():
        problem = "is a folder" if Path(path).is_dir() else "does not exist"
        raise ReportError(
            f"{setting}: the database {path} {problem}; point --database or DATABASE_URL at the "
            "service's database (sqlite:///PATH or postgresql://…)"
        )
    return "sqlite:///" + path


async def from_database(url: str, form: str, installation: int | None, since: float | None) -> str:
    store = Store(url, read_only=True)
    try:
        await store.open()
    except ModuleNotFoundError:
        raise  # asyncpg, of the `service` extra: the CLI says what to install
    except Exception as exc:
        raise ReportError(f"cannot open the database: {type(exc).__name__}: {exc}") from None
    try:
        latest = await store.latest(installation)
        previous = (
            await store.latest(installation, until=since)
            if since is not None
            else await store.previous(installation)
        )
    except Exception as exc:  # a database that is not parity-bot's, or is away
        raise ReportError(f"cannot read the scans: {type(exc).__name__}: {exc}") from None
    finally:
        await store.close()
    if not latest:
        raise ReportError(
            "no scans in the database yet" + (f" for installation {installation}" if installation else "")
        )
    return org_report.render(form, latest, previous, since)


Progress = Callable[[int, int, str], None]


async def live(settings: Settings, org: str, form: str, progress: Progress | None) -> str:
    """Scan every repository of `org` now (the App must be installed there)."""
    from bot.service.github import Clients, GitHubError
    from bot.service.metrics import Registry
    from bot.service.scans import plan_round, scan_repository

    if settings.app_id is None or settings.private_key is None:
        raise ReportError(
            "--live needs the App's credentials: APP_ID and PRIVATE_KEY "
            "(or PRIVATE_KEY_PATH) in the environment or .env"
        )
    clients = Clients(
        settings.app_id, settings.private_key, settings.github_api_url, settings.github_timeout, Registry()
    )
    store = Store("sqlite://")  # in memory: a live report keeps nothing
    await store.open()
    try:
        installation = await _installation_of(clients, org)
        async with clients.installation(installation) as api:
            payload = {"installation": installation, "account": org, "round": 1}
            jobs, _ = await plan_round(api, store, payload)
            for done, job in enumerate(jobs, 1):
                if progress is not None:
                    progress(done, len(jobs), str(job["repo"]))
                await scan_repository(api, store, job, last_attempt=True)
        return org_report.render(form, await store.latest(), [], None, org)
    except GitHubError as exc:
        raise ReportError(f"GitHub: {exc}") from None
    finally:
        await store.close()


async def _installation_of(clients: Clients, org: str) -> int:
    from bot.service import rest
    from bot.service.github import Rejected, app_request

    gh = clients.app_client()
    async with gh:
        for endpoint in (rest.ORG_INSTALLATION, rest.USER_INSTALLATION):
            try:
                response = await app_request(gh, endpoint, org=org, username=org)
            except Rejected as exc:
                if exc.status == 404:
                    continue
                raise
            return int(response.json()["id"])
    raise ReportError(f"the App is not installed on {org}")


def terminal_progress() -> Progress:
    started = time.monotonic()

    def show(done: int, total: int, repo: str) -> None:
        end = "\n" if done == total else ""
        sys.stderr.write(
            f"\r\033[Kscanning {done}/{total} {repo[-50:]} ({time.monotonic() - started:.0f} s){end}"
        )
        sys.stderr.flush()

    return show
