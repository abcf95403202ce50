"""What GitHub would make live in a body we post: rendered as CommonMark with tables and
inline HTML (markdown-it), then GitHub's own post-filters applied the way they work, on
the text of the HTML outside `code`, `pre` and `a` (mentions, issue references, bare
URLs that GFM autolinks)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser

from markdown_it import MarkdownIt

_MD = MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"])

# GitHub's MentionFilter and IssueReferenceFilter, and GFM's extended autolinks.
MENTION = re.compile(r"(?:^|[^\w`/])@[A-Za-z0-9][A-Za-z0-9-]*(?:/[A-Za-z0-9][\w-]*)?")
REFERENCE = re.compile(r"(?:^|[^\w])(?:[\w.-]+/[\w.-]+)?#\d+\b")
AUTOLINK = re.compile(r"(?i)\b(?:https?|ftp)://\w|(?:^|[^\w])www\.\w")
_QUIET = {"code", "pre", "a"}


@dataclass
class Live:
    tags: list[str] = field(default_factory=list)  # every element, in order
    links: list[str] = field(default_factory=list)  # href and src values
    mentions: list[str] = field(default_factory=list)
    references: list[str] = field(default_factory=list)
    autolinks: list[str] = field(default_factory=list)
    text: str = ""  # all the text a reader sees


class _Reader(HTMLParser):
    def __init__(self, live: Live) -> None:
        super().__init__(convert_charrefs=True)
        self.live = live
        self.quiet = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.live.tags.append(tag)
        self.live.links += [value or "" for name, value in attrs if name in ("href", "src")]
        if tag in _QUIET:
            self.quiet += 1

    def handle_endtag(self, tag: str) -> None:
        self.live.tags.append("/" + tag)
        if tag in _QUIET:
            self.quiet -= 1

    def handle_data(self, data: str) -> None:
        self.live.text += data
        if self.quiet:
            return
        self.live.mentions += MENTION.findall(data)
        self.live.references += REFERENCE.findall(data)
        self.live.autolinks += AUTOLINK.findall(data)


def live(markdown: str) -> Live:
    found = Live()
    _Reader(found).feed(_MD.render(markdown))
    return found


def table_rows(markdown: str) -> list[int]:
    """The number of cells of every body row of every table."""
    html = _MD.render(markdown)
    return [row.count("<td") for row in re.findall(r"<tr>(.*?)</tr>", html, re.S) if "<td" in row]


def assert_inert(body: str, user: str = "") -> None:
    """Nothing live but our links to GitHub and the mention of the person answered."""
    found = live(body)
    assert [m for m in found.mentions if m.strip() != f"@{user}"] == [], found.mentions
    assert found.references == [], found.references
    assert found.autolinks == [], found.autolinks
    assert "img" not in found.tags
    assert [link for link in found.links if not link.startswith("https://github.com/")] == []
