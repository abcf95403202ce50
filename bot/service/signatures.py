"""`X-Hub-Signature-256`: HMAC-SHA256 of the raw body, compared in constant time.

`Verifier` computes it while the body is read, so a body is hashed once, as it arrives."""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Sequence

_HEADER = re.compile(r"sha256=[0-9a-f]{64}")


def well_formed(header: str | None) -> bool:
    """Whether the header can be a signature at all: checked before any body is read."""
    return header is not None and _HEADER.fullmatch(header) is not None


class Verifier:
    """The HMAC of a body under each secret (rotation), fed chunk by chunk."""

    def __init__(self, secrets: Sequence[str]) -> None:
        self._macs = [hmac.new(secret.encode(), digestmod=hashlib.sha256) for secret in secrets]

    def update(self, chunk: bytes) -> None:
        for mac in self._macs:
            mac.update(chunk)

    def matches(self, header: str | None) -> bool:
        if not well_formed(header):
            return False
        assert header is not None
        given = header[len("sha256=") :].encode()
        ok = False
        for mac in self._macs:  # no early exit: every secret is tried, whatever matched
            ok |= hmac.compare_digest(mac.hexdigest().encode(), given)
        return ok


def valid(body: bytes, header: str | None, secrets: Sequence[str]) -> bool:
    """True when the header matches the body under any of the secrets (rotation)."""
    verifier = Verifier(secrets)
    verifier.update(body)
    return verifier.matches(header)
