"""Service settings from the environment (Probot's names where they exist; the README's
settings table documents each).

A missing or malformed setting stops start-up with one line naming it. With no app
credentials at all, the service starts in setup mode (the manifest flow registers the App).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path


class SettingsError(Exception):
    """One setting is missing or malformed; the message names it."""


@dataclass(frozen=True, slots=True)
class Settings:
    app_id: str | None = None
    private_key: str | None = None
    webhook_secrets: tuple[str, ...] = ()
    github_api_url: str = "https://api.github.com"
    database_url: str = "sqlite:///parity-bot.db"
    host: str = "0.0.0.0"
    port: int = 3000
    webhook_path: str = "/api/github/webhooks"
    log_level: str = "INFO"
    log_format: str = "text"
    workers: int = 4
    lease_seconds: float = 30.0
    max_attempts: int = 6
    job_timeout: float = 900.0  # seconds a job may run before it is cancelled (a failed attempt)
    github_timeout: float = 10.0
    public_url: str | None = None
    env_file: str = ".env"
    scan_interval: float = 86400.0  # seconds between scheduled scan rounds
    scan_rate_share: float = 0.5  # of an installation's remaining rate limit scans may use
    runner_wait_minutes: float = 30.0  # a queued arm64 leg is named after this long
    retention_days: float = 7.0  # finished jobs (and their delivery ids) are kept this long
    redeliver_interval: float = 600.0  # seconds between looks for missed deliveries
    writes_per_minute: int = 80  # content-creating requests per installation, all replicas
    analysis_processes: int = 2  # worker processes that analyse untrusted workflows
    analysis_memory_mb: int = 512  # address space of each
    analysis_timeout: float = 60.0  # seconds one analysis may take
    metrics_token: str | None = None  # set: /metrics needs it as a bearer token

    @property
    def setup_mode(self) -> bool:
        return self.app_id is None

    def secrets(self) -> list[str]:
        """Everything that must never reach a log line."""
        return [s for s in (*self.webhook_secrets, self.private_key or "", self.metrics_token or "") if s]


def _int(env: Mapping[str, str], name: str, default: int, low: int, high: int) -> int:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise SettingsError(f"{name} must be a whole number, not {raw!r}") from None
    if not low <= value <= high:
        raise SettingsError(f"{name} must be between {low} and {high}, not {value}")
    return value


def _float(env: Mapping[str, str], name: str, default: float, at_most: float | None = None) -> float:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    bounds = "more than 0" + (f" and at most {at_most:g}" if at_most is not None else "")
    try:
        value = float(raw)
    except ValueError:
        raise SettingsError(f"{name} must be a number ({bounds}), not {raw!r}") from None
    if value <= 0 or (at_most is not None and value > at_most):
        raise SettingsError(f"{name} must be {bounds}, not {raw!r}")
    return value


# The write budget is counted in windows of WRITE_WINDOW seconds. Any minute overlaps at
# most 60 / WRITE_WINDOW + 1 of them, so a window's cap keeps every minute under the limit.
WRITE_WINDOW = 10


def write_cap(per_minute: int) -> int:
    return max(1, per_minute * WRITE_WINDOW // (60 + WRITE_WINDOW))


# GitHub redelivers for three days: a delivery id must be known at least that long.
MIN_RETENTION_DAYS = 3.0


def _retention(env: Mapping[str, str]) -> float:
    days = _float(env, "RETENTION_DAYS", 7.0)
    if days < MIN_RETENTION_DAYS:
        raise SettingsError(
            f"RETENTION_DAYS must be at least {MIN_RETENTION_DAYS:g} (GitHub "
            f"redelivers for three days), not {days:g}"
        )
    return days


# A bearer token guessed or brute-forced over HTTP must take longer than anyone has.
MIN_METRICS_TOKEN = 16


def _metrics_token(env: Mapping[str, str]) -> str | None:
    token = env.get("METRICS_TOKEN") or None
    if token is None:
        return None
    # Checked without echoing the value: it is a secret.
    if len(token) < MIN_METRICS_TOKEN:
        raise SettingsError(f"METRICS_TOKEN must be at least {MIN_METRICS_TOKEN} characters")
    if not all("!" <= c <= "~" for c in token):
        raise SettingsError("METRICS_TOKEN must be printable ASCII without spaces (it is sent in a header)")
    return token


def _choice(env: Mapping[str, str], name: str, default: str, choices: tuple[str, ...]) -> str:
    value = env.get(name) or default
    if value.lower() not in choices:
        raise SettingsError(f"{name} must be one of {', '.join(choices)}, not {value!r}")
    return value.lower()


def _private_key(env: Mapping[str, str]) -> str | None:
    key = env.get("PRIVATE_KEY")
    path = env.get("PRIVATE_KEY_PATH")
    if key and path:
        raise SettingsError("set PRIVATE_KEY or PRIVATE_KEY_PATH, not both")
    if path:
        try:
            key = Path(path).read_text(encoding="utf-8")
        except OSError as exc:
            raise SettingsError(f"PRIVATE_KEY_PATH {path!r} cannot be read: {exc.strerror}") from None
    if not key:
        return None
    key = key.replace("\\n", "\n")  # one-line PEM in .env files, as Probot accepts
    from cryptography.hazmat.primitives.serialization import load_pem_private_key

    try:
        load_pem_private_key(key.encode(), password=None)
    except (ValueError, TypeError):
        name = "PRIVATE_KEY_PATH" if path else "PRIVATE_KEY"
        raise SettingsError(f"{name} is not a PEM private key") from None
    return key


def read_env_file(path: str) -> dict[str, str]:
    """KEY=VALUE lines of a `.env` file (as setup mode writes it); missing file: nothing."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError:
        return {}
    values: dict[str, str] = {}
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, _, value = line.partition("=")
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        values[key.strip()] = value
    return values


def from_environment(webhooks: bool = True) -> Settings:
    """The environment, completed by `.env` (ENV_FILE; the environment wins)."""
    env_file = os.environ.get("ENV_FILE") or ".env"
    return load({**read_env_file(env_file), **os.environ}, webhooks)


def load(env: Mapping[str, str] | None = None, webhooks: bool = True) -> Settings:
    """The settings; `webhooks=False` for work that only calls GitHub (`report --live`),
    which needs no WEBHOOK_SECRET."""
    env = os.environ if env is None else env
    app_id = env.get("APP_ID") or None
    private_key = _private_key(env)
    secrets = tuple(s for s in (env.get("WEBHOOK_SECRET") or "").split(",") if s)
    given: dict[str, object] = {"APP_ID": app_id, "PRIVATE_KEY": private_key}
    if webhooks:
        given["WEBHOOK_SECRET"] = secrets
    if any(given.values()):
        for name, value in given.items():
            if not value:
                raise SettingsError(
                    f"{name} is missing (APP_ID, PRIVATE_KEY and WEBHOOK_SECRET "
                    "go together; leave all three unset for setup mode)"
                )
    if app_id is not None and not app_id.isdigit():
        raise SettingsError(f"APP_ID must be the App's number, not {app_id!r}")
    api = (env.get("GITHUB_API_URL") or "https://api.github.com").rstrip("/")
    if not api.startswith(("http://", "https://")):
        raise SettingsError(f"GITHUB_API_URL must be an http(s) URL, not {api!r}")
    database = env.get("DATABASE_URL") or "sqlite:///parity-bot.db"
    if not database.startswith(("sqlite://", "postgres://", "postgresql://")):
        raise SettingsError("DATABASE_URL must be sqlite:///PATH or postgresql://…")
    path = env.get("WEBHOOK_PATH") or "/api/github/webhooks"
    if not path.startswith("/"):
        raise SettingsError(f"WEBHOOK_PATH must start with '/', not {path!r}")
    return Settings(
        app_id=app_id,
        private_key=private_key,
        webhook_secrets=secrets,
        github_api_url=api,
        database_url=database,
        host=env.get("HOST") or "0.0.0.0",
        port=_int(env, "PORT", 3000, 0, 65535),
        webhook_path=path,
        log_level=_choice(env, "LOG_LEVEL", "info", ("debug", "info", "warning", "error")).upper(),
        log_format=_choice(env, "LOG_FORMAT", "text", ("json", "text")),
        workers=_int(env, "WORKERS", 4, 1, 64),
        lease_seconds=_float(env, "QUEUE_LEASE_SECONDS", 30.0),
        max_attempts=_int(env, "QUEUE_MAX_ATTEMPTS", 6, 1, 100),
        job_timeout=_float(env, "JOB_TIMEOUT", 900.0),
        github_timeout=_float(env, "GITHUB_TIMEOUT", 10.0),
        public_url=env.get("PUBLIC_URL") or None,
        env_file=env.get("ENV_FILE") or ".env",
        scan_interval=_float(env, "SCAN_INTERVAL", 86400.0),
        scan_rate_share=_float(env, "SCAN_RATE_SHARE", 0.5, at_most=1),
        runner_wait_minutes=_float(env, "RUNNER_WAIT_MINUTES", 30.0),
        retention_days=_retention(env),
        redeliver_interval=_float(env, "REDELIVER_INTERVAL", 600.0),
        writes_per_minute=_int(env, "GITHUB_WRITES_PER_MINUTE", 80, 7, 10_000),
        analysis_processes=_int(env, "ANALYSIS_PROCESSES", 2, 1, 64),
        analysis_memory_mb=_int(env, "ANALYSIS_MEMORY_MB", 512, 64, 1 << 20),
        analysis_timeout=_float(env, "ANALYSIS_TIMEOUT", 60.0),
        metrics_token=_metrics_token(env),
    )
