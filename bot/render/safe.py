"""User-derived text made inert before it reaches a comment, a check run or an issue.

Job names, matrix values, test names, file paths, failure messages and command text are
written by whoever opened the pull request. GitHub renders what we post as Markdown and
then links `@user`, `@org/team`, `#123`, `owner/repo#1` and bare URLs in the resulting HTML,
so Markdown escapes alone are not enough: an escaped `\\@team` still notifies the team.

- `text` is for prose: entities for every character Markdown or HTML would act on, and a
  zero-width space where GitHub would make a mention, a reference or an autolink. Entities
  work in Markdown and inside HTML blocks (`<details>`), so one function serves both.
- `code` is for identifiers a reader may copy: a code span whose fence is longer than any
  run of backticks inside, so the text cannot close it; nothing inside a code span is
  linked or mentioned, so the text stays exact.
- `fence` is the same rule for fenced blocks (patches, suggestions).
- `link` is a link to a page GitHub named (a job, a run): only http(s), and a destination
  that no space, parenthesis or angle bracket can end early.
"""

from __future__ import annotations

import re

ZWSP = "\u200b"

# Every character that starts or ends Markdown or HTML syntax inline. `#` and `@` are here
# too, and also get a zero-width space: GitHub's reference filters read the decoded text.
_ENTITIES = {
    "&": "&amp;",
    "<": "&lt;",
    ">": "&gt;",
    '"': "&quot;",
    "\\": "&#92;",
    "`": "&#96;",
    "*": "&#42;",
    "_": "&#95;",
    "~": "&#126;",
    "[": "&#91;",
    "]": "&#93;",
    "|": "&#124;",
    "!": "&#33;",
    "$": "&#36;",  # GitHub renders $…$ as math
    "#": "#" + ZWSP,
    "@": "@" + ZWSP,
}
_TEXT = re.compile("|".join(re.escape(c) for c in _ENTITIES))
# GFM autolinks bare `scheme://…` and `www.…`; an email needs `@`, handled above.
_AUTOLINK = re.compile(r"(?i)(:)(//)|(www)(\.)")
# Control characters (CR, LF, tab, …) and the Unicode line and paragraph separators: a line
# break would end a table row or, twice, the paragraph a code span was opened in.
_BREAKS = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_BACKTICKS = re.compile("`+")
_PIPE = re.compile(r"(\\*)\|")


def _one_line(value: object) -> str:
    return _BREAKS.sub(" ", str(value))


def text(value: object) -> str:
    """`value` as inert inline text: shown as written, nothing linked, mentioned or parsed."""
    escaped = _TEXT.sub(lambda m: _ENTITIES[m.group(0)], _one_line(value))
    return _AUTOLINK.sub(lambda m: ZWSP.join(g for g in m.groups() if g), escaped)


def code(value: object, table: bool = False) -> str:
    """`value` as a code span that its own text cannot close; `table` for a GFM table cell."""
    content = _one_line(value)
    longest = max((len(run) for run in _BACKTICKS.findall(content)), default=0)
    fence = "`" * (longest + 1)
    # A span that starts or ends with a backtick needs a space inside its fence (stripped
    # when rendered); a blank span would not be a span at all.
    if content.startswith("`") or content.endswith("`") or not content.strip():
        content = f" {content} "
    if table:
        # In a table a `|` ends the cell even inside a code span unless backslash-escaped,
        # and `\\` is itself an escape there: give each pipe an odd run of backslashes.
        content = _PIPE.sub(_escaped_pipe, content)
    return f"{fence}{content}{fence}"


def _escaped_pipe(match: re.Match[str]) -> str:
    slashes = match.group(1)
    return slashes + ("\\" if len(slashes) % 2 == 0 else "\\\\") + "|"


def link(label: object, url: object) -> str:
    """`label` linked to `url`; just the label when `url` is not an http(s) address."""
    address = str(url or "")
    if not re.match(r"https?://", address, re.IGNORECASE):
        return text(label)
    escaped = re.sub(r"[\x00-\x20()<>\\\x7f]", lambda m: f"%{ord(m.group(0)):02X}", address)
    return f"[{text(label)}]({escaped})"


def fence(content: str, info: str = "") -> str:
    """A fenced block holding `content` (kept byte for byte); the fence outlasts any inside."""
    longest = max((len(run) for run in _BACKTICKS.findall(content)), default=0)
    marks = "`" * max(3, longest + 1)
    body = content if content.endswith("\n") or not content else content + "\n"
    return f"{marks}{info}\n{body}{marks}"
