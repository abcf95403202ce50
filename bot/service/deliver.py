"""`parity-bot deliver`: sign a sample delivery and post it to a running service, as GitHub
would, for developing the App on one machine.

The samples (`bot/samples/EVENT.ACTION.json`) are the project's own, written in the shapes
GitHub documents for each event: every field the service reads, with made-up values. Only
the standard library is used, so it works from a plain install as well.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import resources
from typing import Any

SAMPLES = resources.files("bot") / "samples"


class DeliverError(Exception):
    pass


def sample_names() -> list[str]:
    return sorted(item.name.removesuffix(".json") for item in SAMPLES.iterdir() if item.name.endswith(".json"))


@dataclass(frozen=True, slots=True)
class Overrides:
    """What a developer points the sample at; None keeps the sample's value."""

    repository: str | None = None  # OWNER/NAME
    installation: int | None = None
    number: int | None = None  # the pull request
    sha: str | None = None  # its head commit
    comment: str | None = None  # the body of an issue_comment


def sample(name: str, overrides: Overrides) -> dict[str, Any]:
    if name not in sample_names():
        raise DeliverError(f"no sample {name!r}; the samples are: {', '.join(sample_names())}")
    payload: dict[str, Any] = json.loads((SAMPLES / f"{name}.json").read_text(encoding="utf-8"))
    _apply(payload, overrides)
    return payload


# What every sample names: the options replace them wherever they appear (URLs included).
_SAMPLE_OWNER, _SAMPLE_NAME = "octo-org", "hello-world"
_SAMPLE_HEAD = "6dcb09b5b57875f334f61aebed695e2e4193db5e"


def _apply(payload: dict[str, Any], given: Overrides) -> None:
    replacements: list[tuple[str, str]] = []
    if given.repository:
        owner, _, name = given.repository.partition("/")
        replacements += [(f"{_SAMPLE_OWNER}/{_SAMPLE_NAME}", given.repository), (_SAMPLE_OWNER, owner)]
        replacements += [(_SAMPLE_NAME, name)]
    if given.sha is not None:
        replacements.append((_SAMPLE_HEAD, given.sha))
    for holder in _dicts(payload):
        for key, value in holder.items():
            if isinstance(value, str):
                for old, new in replacements:
                    value = value.replace(old, new)
                holder[key] = value
        if given.number is not None and "number" in holder:
            holder["number"] = given.number
    if given.installation is not None and isinstance(payload.get("installation"), dict):
        payload["installation"]["id"] = given.installation
    if given.comment is not None and isinstance(payload.get("comment"), dict):
        payload["comment"]["body"] = given.comment


def _dicts(value: Any) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            found.append(item)
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return found


def signature(body: bytes, secret: str) -> str:
    """`X-Hub-Signature-256` as GitHub computes it."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


@dataclass(frozen=True, slots=True)
class Answer:
    status: int
    reason: str
    delivery: str
    body: str


def _as_new_event(payload: dict[str, Any]) -> dict[str, Any]:
    """The sample as one more event: every two events GitHub sends differ (at least in when
    they happened), and the service refuses a body it took in the last hour under another
    delivery id as a replay. So each send carries its own moment."""
    return {**payload, "parity_bot_sent_at": datetime.now(UTC).isoformat()}


def post(url: str, event: str, payload: dict[str, Any], secret: str, timeout: float = 30.0) -> Answer:
    body = json.dumps(_as_new_event(payload)).encode()
    delivery = str(uuid.uuid4())
    request = urllib.request.Request(
        url,
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/json",
            "User-Agent": "GitHub-Hookshot/parity-bot-deliver",
            "X-GitHub-Event": event,
            "X-GitHub-Delivery": delivery,
            "X-GitHub-Hook-ID": "0",
            "X-Hub-Signature-256": signature(body, secret),
        },
    )
    # No proxy: the service is the developer's own, usually on this machine.
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(request, timeout=timeout) as response:
            return Answer(response.status, response.reason, delivery, _text(response.read(4096)))
    except urllib.error.HTTPError as exc:
        return Answer(exc.code, str(exc.reason), delivery, _text(exc.read(4096)))
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise DeliverError(f"cannot reach {url}: {reason}") from None


def _text(body: bytes) -> str:
    return body.decode("utf-8", "replace")
