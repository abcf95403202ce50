"""RSpec's progress and documentation formatters: which examples failed.

After the run RSpec prints `Failures:` with one numbered block per failed example

      1) Io reads empty files
         Failure/Error: expect("abcd".size).to eq(0)
         …
         # ./spec/io_spec.rb:3:in `block (2 levels) in <top (required)>'

then `Finished in 0.01 seconds`, `8 examples, 4 failures, 1 pending`, and `Failed examples:`
with one line per failure: `rspec ./spec/io_spec.rb:2 # Io reads empty files` (the line
where the example is defined, or an id such as `./spec/parse_spec.rb[1:2]` when one line
defines several). The `Pending:` section has numbered blocks too; they are not failures.
A spec file that cannot be loaded is `An error occurred while loading ./spec/e_spec.rb.`.

An example is named by its `Failed examples:` line without the leading `rspec `:
`./spec/io_spec.rb:2 # Io reads empty files` — pasted after `rspec` it runs that example
(the shell takes `# …` as a comment), and the description says which example it is. When
the log was cut before that list, the example is named by its description alone; a file
that failed to load is named by its path.
"""

from __future__ import annotations

from collections.abc import Sequence

from bot.core.dialects import base
from bot.core.lazyre import lazy

_NUMBERED = lazy(r"( {0,4})(\d+)\) (\S.*)$")
_RERUN = lazy(r"rspec (\S+) # (.*)$")
_TOTALS = lazy(r"\d+ examples?, \d+ failures?")
_FINISHED = lazy(r"Finished in \d")
_LOAD_ERROR = lazy(r"An error occurred while loading (\S+?)\.?(?: - |$)")

_SECTIONS = ("Failures:", "Pending:", "Failed examples:")


def failures(lines: Sequence[str]) -> list[base.Failure] | None:
    seen = False
    blocks: dict[str, tuple[str, ...]] = {}  # description -> excerpt, in order seen
    located: dict[str, str] = {}  # description -> `./spec/x_spec.rb:2 # description`
    loads: dict[str, tuple[str, ...]] = {}
    section = ""
    n = len(lines)
    i = 0
    while i < n:
        line = lines[i]
        stripped = line.strip()
        if stripped in _SECTIONS and not line.startswith("  "):
            section = stripped
            seen = seen or section != "Pending:"
            i += 1
            continue
        if _FINISHED.match(line) or _TOTALS.match(line):
            seen = True
            section = ""
            i += 1
            continue
        load = _LOAD_ERROR.match(line)
        if load is not None:
            seen = True
            end = i + 1
            while end < n and end - i < base.EXCERPT_LINES * 5 and not _FINISHED.match(lines[end]):
                if _LOAD_ERROR.match(lines[end]):
                    break
                end += 1
            path = base.named(load.group(1))
            if path and path not in loads:
                loads[path] = base.excerpt(lines, i, _trim(lines, i, end))
            i = end
            continue
        if section == "Failed examples:":
            rerun = _RERUN.match(line)
            if rerun is not None:
                description = rerun.group(2).strip()
                located.setdefault(description, f"{rerun.group(1)} # {description}")
                if description not in blocks and len(blocks) < base.MAX_FAILURES:
                    blocks[description] = (line,)
            elif stripped:
                section = ""
            i += 1
            continue
        numbered = _NUMBERED.match(line) if section in ("Failures:", "Pending:") else None
        if numbered is None:
            i += 1
            continue
        end = i + 1
        while end < n and end - i < base.EXCERPT_LINES * 50:
            following = lines[end]
            if _NUMBERED.match(following) or _FINISHED.match(following):
                break
            if following.strip() in _SECTIONS and not following.startswith("  "):
                break
            end += 1
        if section == "Failures:":
            description = numbered.group(3).strip()
            if description not in blocks and len(blocks) < base.MAX_FAILURES:
                blocks[description] = base.excerpt(lines, i, _trim(lines, i, end))
        i = end
    if not seen:
        return None
    found: dict[str, tuple[str, ...]] = {}
    for path, text in loads.items():
        found.setdefault(path, text)
    for description, text in blocks.items():
        name = base.named(located.get(description, description))
        if name and name not in found and len(found) < base.MAX_FAILURES:
            found[name] = text
    return [base.Failure(test=name, excerpt=text) for name, text in found.items()]


def _trim(lines: Sequence[str], start: int, end: int) -> int:
    """end, less the blank lines that close a block."""
    while end > start + 1 and not lines[end - 1].strip():
        end -= 1
    return end
