"""Shapes of credentials, found in text nobody told us was secret.

One rule for every place parity-bot writes someone else's text where people read it: its own
log lines (bot.service.logs) and the log excerpts of the results comment (bot.core.joblog).
GitHub masks the secrets a workflow registers; these catch what it cannot know about.
"""

from __future__ import annotations

import re

from bot.core.lazyre import lazy

REDACTED = "[redacted]"

_SHAPES = lazy(
    # GitHub tokens (classic, fine-grained, app, refresh), JWTs, PEM private keys
    r"gh[pousr]_[A-Za-z0-9_]{20,}|github_pat_[A-Za-z0-9_]{20,}"
    r"|eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}"
    r"|-----BEGIN [A-Z ]*PRIVATE KEY-----.*?(?:-----END [A-Z ]*PRIVATE KEY-----|$)"
    # AWS access key ids, Slack tokens, npm and PyPI tokens, Google API keys
    r"|\b(?:AKIA|ASIA)[0-9A-Z]{16}\b|\bxox[abposr]-[A-Za-z0-9-]{10,}|\bnpm_[A-Za-z0-9]{36}\b"
    r"|\bpypi-[A-Za-z0-9_-]{50,}|\bAIza[0-9A-Za-z_-]{35}\b",
    re.DOTALL,  # a PEM block logged as one string spans lines
)
# The password of a URL's user information: scheme://user:password@host
_URL_PASSWORD = lazy(r"(?i)\b([a-z][a-z0-9+.-]{0,20}://[^\s/@:]{0,100}:)[^\s/@]{1,200}@")


def redacted(text: str) -> str:
    """`text` with every credential shape replaced by [redacted]."""
    if not text:
        return text
    return _URL_PASSWORD.sub(lambda m: m.group(1) + REDACTED + "@", _SHAPES.sub(REDACTED, text))


def redacted_lines(lines: list[str]) -> list[str]:
    """Lines with credentials redacted, a private key printed over many lines included: every
    line from its BEGIN line to its END line (or the last line) is taken out whole, since a
    window of quoted lines may hold its body without the BEGIN line that names it."""
    out: list[str] = []
    inside = False
    for line in lines:
        if not inside and "PRIVATE KEY-----" in line and "-----BEGIN" in line:
            inside = True
        if inside:
            out.append(REDACTED)
            inside = not ("-----END" in line and "PRIVATE KEY-----" in line)
            continue
        out.append(redacted(line))
    return out
