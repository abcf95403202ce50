"""Splitting a `run:` script into the commands it runs.

Enough of the shell's grammar to not mistake data for commands: quoted strings (a
multi-line `python -c "…"` is one command), comments (an apostrophe in `# don't` opens no
string) and here-documents, whose body is the input of the command before it: text for
`cat > file <<EOF` or code for `python - <<'PY'`, commands only when a shell reads them
(`bash <<EOF`, `ssh host <<EOF`).
"""

from __future__ import annotations

import re

# One command: quoted strings, comments and any character but a separator (newline, `;`,
# `&&`, `||`, `|`); a quote that never closes is an ordinary character.
_COMMAND = re.compile(
    r"""(?:'[^']*'|"(?:\\.|[^"\\])*"|(?:(?<=[\s;&|(])|^)\#[^\n]*|[^\n;&|'"]+|(?<!&)&(?!&)"""
    r"""|['"])+""")
_HEREDOC_LINE = re.compile(r"^.*(?<!<)<<-?[ \t]*['\"]?[A-Za-z_].*$", re.MULTILINE)
_MARKER = re.compile(r"(?<!<)<<-?[ \t]*(['\"]?)([A-Za-z_][\w.-]*)\1")
# A here-document fed to one of these runs its body as commands.
_READS_COMMANDS = re.compile(r"(^|[\s/|])(ba|z|da|k)?sh\b|\bssh\b")


def commands(script: str) -> list[str]:
    """The commands of a script, split on newlines, `;`, `&&`, `||` and `|` outside quotes,
    comments and here-document bodies; a line continuation joins its lines."""
    return _COMMAND.findall(_without_bodies(script.replace("\\\n", " ")))


def _without_bodies(script: str) -> str:
    """The script without the here-document bodies that are not read as commands, and
    without the lines that end them."""
    if "<<" not in script:
        return script
    kept: list[str] = []
    pos = 0
    while (line := _HEREDOC_LINE.search(script, pos)) is not None:
        kept.append(script[pos:line.end()])
        pos = line.end()
        reads = _READS_COMMANDS.search(line.group(0)) is not None
        for _, word in _MARKER.findall(line.group(0)):
            end = re.compile(rf"^[ \t]*{re.escape(word)}[ \t]*$", re.MULTILINE).search(script, pos)
            if end is None:  # `x << y` in code or a string: not a here-document
                continue
            if reads:
                kept.append(script[pos:end.start()])
            pos = end.end()
    kept.append(script[pos:])
    return "".join(kept)
