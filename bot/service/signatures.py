"""`X-Hub-Signature-256`: HMAC-SHA256 of the raw body, compared in constant time."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Sequence


def valid(body: bytes, header: str | None, secrets: Sequence[str]) -> bool:
    """True when the header matches the body under any of the secrets (rotation)."""
    if not header or not header.startswith("sha256="):
        return False
    given = header[len("sha256=") :].encode()
    ok = False
    for secret in secrets:  # no early exit: every secret is tried, whatever matched
        expected = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest().encode()
        ok |= hmac.compare_digest(expected, given)
    return ok
