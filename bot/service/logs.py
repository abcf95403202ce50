"""Logging: JSON or text lines, each job's lines carrying its delivery id, secrets redacted.

Redaction happens on the formatted line, so a secret cannot leak through an exception's
text or a library's message either.
"""

from __future__ import annotations

import contextvars
import json
import logging
import sys
import time
from collections.abc import Iterable

from bot.core.secrets import redacted

delivery_id: contextvars.ContextVar[str | None] = contextvars.ContextVar("delivery_id", default=None)


class Redactor:
    """Known secrets (added as they appear, e.g. installation tokens) and credential shapes."""

    def __init__(self) -> None:
        self._known: set[str] = set()

    def add(self, secrets: Iterable[str]) -> None:
        for secret in secrets:
            if secret and len(secret) >= 4:
                self._known.add(secret)
                for line in secret.splitlines():  # a PEM key logged line by line
                    if len(line) >= 16:
                        self._known.add(line)

    def __call__(self, text: str) -> str:
        for secret in sorted(self._known, key=len, reverse=True):
            if secret in text:
                text = text.replace(secret, "[redacted]")
        return redacted(text)


redact = Redactor()


class _Formatter(logging.Formatter):
    def __init__(self, as_json: bool) -> None:
        super().__init__()
        self.as_json = as_json

    def format(self, record: logging.LogRecord) -> str:
        message = record.getMessage()
        if record.exc_info:
            message += "\n" + self.formatException(record.exc_info)
        delivery = getattr(record, "delivery", None) or delivery_id.get()
        fields = getattr(record, "fields", None) or {}
        if self.as_json:
            entry = {
                "time": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
                + f".{int(record.msecs):03d}Z",
                "level": record.levelname.lower(),
                "logger": record.name,
                "message": message,
            }
            if delivery:
                entry["delivery"] = delivery
            entry.update(fields)
            line = json.dumps(entry, default=str)
        else:
            extra = " ".join(f"{key}={value}" for key, value in fields.items())
            where = f" [{delivery}]" if delivery else ""
            stamp = time.strftime("%H:%M:%S", time.localtime(record.created))
            line = f"{stamp} {record.levelname:<7} {record.name}{where}: {message}" + (
                f" {extra}" if extra else ""
            )
        return redact(line)


def setup(level: str, fmt: str, secrets: Iterable[str]) -> None:
    redact.add(secrets)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(_Formatter(fmt == "json"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logger = logging.getLogger(name)
        logger.handlers[:] = []
        logger.propagate = True
    logging.getLogger("httpx").setLevel(max(logging.WARNING, root.level))


def log(logger: logging.Logger, level: int, message: str, **fields: object) -> None:
    """A log line with structured fields (`key=value` in text, keys in JSON)."""
    logger.log(level, message, extra={"fields": fields})
