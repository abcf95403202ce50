"""Words every match of a regular expression contains: what lets a table of rules search a
command only with the rules that may match it (`purpose`'s rule index).

They are read from the pattern's text alone, whatever the regular-expression engine, so
`regexgen` stores them for every declared pattern in `regexwords.py` (reading the three
hundred rule sources at every start cost 2-3 ms); a pattern the table lacks is read here.
"""

from __future__ import annotations

import re

from bot.core.lazyre import lazy

TRIGGER_CHARS = r"[a-z0-9_=:/.+-]"


# What required_words takes out of a pattern's source, in this order.
_ESCAPE = lazy(r"\\.")  # escapes: \b \s \S
_CLASS = lazy(r"\[[^\]]*\][?*+]?(\{[^}]*\})?")
_INNER_GROUP = lazy(r"\((?:\?[:!=<]*)?[^()]*\)[?*+]?(\{[^}]*\})?")
_OPTIONAL_CHAR = lazy(r".[?*]|.\{0?,?[^}]*\}")  # an optional or repeated character
_ANY_OR_ANCHOR = lazy(r"[.+^$]")  # any character, one or more, anchors
_WORD = lazy(TRIGGER_CHARS + "{2,}")
# What this reading cannot follow, so a pattern holding it requires no word: a class whose
# first character is `]` (`[]x]`), verbose mode (spaces are not literal), escapes that
# spell a character by its number or name (`\x2d`), back-references.
_UNREAD = lazy(r"\[\^?\]|\(\?[aiLmsux-]*x|\\[xuUN0-9]")


def required_words(source: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Words every match of a pattern contains (`\\bcargo (\\+\\S+ )?build\\b` -> 'cargo',
    'build'), and the words of which every match contains one (`\\b(npm|yarn) test` ->
    'npm', 'yarn'). The first are the literal runs left once escapes, classes, groups,
    optional or repeated characters and `.` are taken out; the second the alternatives of the
    first group at the top that must match and holds only words. Neither for a pattern with
    an alternation at the top."""
    if _UNREAD.search(source):
        return (), ()
    text = source.replace(r"\.", "\0").replace(r"\+", "\1")  # literal `.` and `+`
    text = _ESCAPE.sub(" ", text)
    text = _CLASS.sub(" ", text)
    one_of = _one_of(text)
    while True:
        inner = _INNER_GROUP.sub(" ", text)
        if inner == text:
            break
        text = inner
    if "|" in text:
        return (), ()
    text = _OPTIONAL_CHAR.sub(" ", text)
    text = _ANY_OR_ANCHOR.sub(" ", text)
    text = text.replace("\0", ".").replace("\1", "+").lower()
    return tuple(_WORD.findall(text)), one_of


def _one_of(text: str) -> tuple[str, ...]:
    """The words of the first group at the top of a pattern (escapes and classes taken out)
    that must match and whose every alternative is a word: `(?:tox|nox)`, not `(a|b)?`."""
    depth, start = 0, 0
    for index, char in enumerate(text):
        if char == "(":
            depth += 1
            start = index if depth == 1 else start
        elif char == ")" and depth:
            depth -= 1
            if depth:
                continue
            body, after = text[start + 1 : index], text[index + 1 : index + 2]
            if after in ("?", "*", "{"):
                continue  # optional
            body = _GROUP_NAME.sub("", body, count=1)
            raw = body.split("|")  # a bare `.` or `+` here is no literal: no word
            words = [word.replace("\0", ".").replace("\1", "+").lower() for word in raw]
            if not any("." in word or "+" in word for word in raw) and all(map(_ONE_WORD.fullmatch, words)):
                return tuple(words)
    return ()


_GROUP_NAME = lazy(r"^\?(:|P<\w+>)")  # what opens a group that captures or not, not a lookaround
_ONE_WORD = lazy(TRIGGER_CHARS + "{2,}", re.IGNORECASE)


def words(source: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """`required_words(source)`, from the table generated ahead of time when it holds it."""
    found = _table().get(source)
    return found if found is not None else required_words(source)


_prefilters: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] | None = None


def _table() -> dict[str, tuple[tuple[str, ...], tuple[str, ...]]]:
    global _prefilters
    if _prefilters is None:
        try:
            from bot.core.regexwords import PREFILTERS
        except ImportError:  # not generated: every pattern is read here
            PREFILTERS = {}
        _prefilters = PREFILTERS
    return _prefilters
