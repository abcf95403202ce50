"""Splitting a `run:` script into the commands it runs.

Enough of the shell's grammar to not mistake data for commands: quoted strings (a
multi-line `python -c "…"` is one command), comments (an apostrophe in `# don't` opens no
string) and here-documents, whose body is the input of the command before it: text for
`cat > file <<EOF` or code for `python - <<'PY'`, commands only when a shell reads them
(`bash <<EOF`, `ssh host <<EOF`).
"""

from __future__ import annotations

import bisect
import re

from bot.core.lazyre import lazy

# One command: quoted strings, comments and any character but a separator (newline, `;`,
# `&&`, `||`, `|`). A quote that never closes runs to the end of the script, as the shell
# reads it; possessive repeats keep every scan linear, whatever the input. A double-quoted
# string is read a run of plain characters at a time (`[^"\\]*+`), not one character per
# repetition: the same strings, several times faster on a long `python -c "…"`.
_COMMAND = lazy(
    r"""(?:'[^']*+(?:'|\Z)|"[^"\\]*+(?:\\.?[^"\\]*+)*+(?:"|\Z)|(?:(?<=[\s;&|(])|^)\#[^\n]*"""
    r"""|[^\n;&|'"]++|(?<!&)&(?!&))+""",
    re.DOTALL,
)
_HEREDOC_LINE = lazy(r"^.*(?<!<)<<-?[ \t]*['\"]?[A-Za-z_].*$", re.MULTILINE)
_MARKER = lazy(r"(?<!<)<<-?[ \t]*(['\"]?)([A-Za-z_][\w.-]*)\1")
# A here-document fed to one of these runs its body as commands.
_READS_COMMANDS = lazy(r"(^|[\s/|])(ba|z|da|k)?sh\b|\bssh\b")


# What a command runs is in its first words; rules that search a command with `.*` take time
# that grows with the square of its length, so a hostile one is read only this far.
MAX_COMMAND_CHARS = 4096


def commands(script: str) -> list[str]:
    """The commands of a script, split on newlines, `;`, `&&`, `||` and `|` outside quotes,
    comments and here-document bodies; a line continuation joins its lines. Each is cut to
    MAX_COMMAND_CHARS."""
    return [
        command[:MAX_COMMAND_CHARS]
        for command in _COMMAND.findall(_without_bodies(script.replace("\\\n", " ")))
    ]


def _without_bodies(script: str) -> str:
    """The script without the here-document bodies that are not read as commands, and
    without the lines that end them."""
    if "<<" not in script:
        return script
    ends = _line_ends(script)
    kept: list[str] = []
    pos = 0
    while (line := _HEREDOC_LINE.search(script, pos)) is not None:
        kept.append(script[pos : line.end()])
        pos = line.end()
        reads = _READS_COMMANDS.search(line.group(0)) is not None
        for _, word in _MARKER.findall(line.group(0)):
            lines = ends.get(word, [])
            index = bisect.bisect_right(lines, (pos, pos))
            if index == len(lines):  # `x << y` in code or a string: not a here-document
                continue
            start, end = lines[index]
            if reads:
                kept.append(script[pos:start])
            pos = end
    kept.append(script[pos:])
    return "".join(kept)


def _line_ends(script: str) -> dict[str, list[tuple[int, int]]]:
    """Every line by its stripped text: (start, end) offsets, in order. One pass, so that
    finding where each here-document ends stays linear in the script."""
    found: dict[str, list[tuple[int, int]]] = {}
    start = 0
    for line in script.splitlines(keepends=True):
        text = line.rstrip("\r\n")
        found.setdefault(text.strip(" \t"), []).append((start, start + len(text)))
        start += len(line)
    return found
