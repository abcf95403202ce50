"""What a step runs when it hands the work to one of the repository's own files.

`./ci/test.sh`, `make check-all`, `npm run ci`, `just test` and `uses: ./.github/actions/build`
say little by themselves; the file they name says what runs. A `Reader` gives a file of the
repository by its path from the root (None when it is absent or unreadable): the CLI reads
the checkout, the App the contents API at the pull request's commit. Only shell scripts,
Makefile recipes, package.json scripts, justfile recipes and composite actions are read, each
capped, and what they delegate to is followed a few levels deep.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Callable, Mapping

from bot.core.lazyre import lazy
from bot.core.records import record
from bot.core.shell import commands
from bot.core.yamlnodes import Map, Seq, YamlError, parse, plain

Reader = Callable[[str], str | None]

MAX_DEPTH = 3  # a script calling make calling a script: deeper is not worth reading
MAX_DELEGATE_BYTES = 256 * 1024  # what is read of one file
MAX_COMMANDS = 200  # commands taken from one delegate
MAX_REMOTE_READS = 20  # files the App fetches for one pull request (each is an API call)


class Gathered:
    """A Reader over the files fetched so far (None: fetched and absent) that keeps, in
    order, the paths the analysis asked for and did not get: the App fetches those (at most
    MAX_REMOTE_READS in all) and judges again, so a file is read only when some step's
    verdict depends on it."""

    def __init__(self, known: Mapping[str, str | None] | None = None) -> None:
        self.known = dict(known or {})
        self.missing: list[str] = []

    def __call__(self, path: str) -> str | None:
        if path in self.known:
            return self.known[path]
        if path not in self.missing:
            self.missing.append(path)
        return None


@record(frozen=True)
class Delegated:
    """Commands of a repository file that a command or a step hands its work to."""

    path: str  # the file read, from the repository's root
    commands: tuple[tuple[str, int], ...]  # each command with its line in that file
    uses: tuple[tuple[str, int], ...] = ()  # actions a composite action uses, with lines


_WRAPPERS = frozenset(("bash", "sh", "zsh", "dash", "sudo", "env", "exec", "time", "nice", "source", "."))
_SHELL_SCRIPT = lazy(r"\.(sh|bash)$")
_MAKE = lazy(r"^(?:g?make|\$\(MAKE\)|\$\{MAKE\})(?=\s|$)")
# `npm run X`, `npm test` (a lifecycle script), `yarn X` (any script not a yarn command)
_RUN_SCRIPT = lazy(
    r"^(?:npm|pnpm|bun)\s+(?:run(?:-script)?\s+([\w:.-]+)|(test|start|stop|restart)\b)|^yarn\s+(?:run\s+)?([\w:.-]+)"
)
_JUST = lazy(r"^just((?:\s+--?[\w-]+(?:[= ](?!-)\S+)?)*)\s+([A-Za-z_][\w-]*)")
_ASSIGNMENT = lazy(r"^[A-Za-z_]\w*=\S*$")
_YARN_COMMANDS = frozenset(
    ("install", "add", "remove", "exec", "dlx", "publish", "pack", "version", "init", "npm")
)


def of_command(command: str, read: Reader, cwd: str = "") -> Delegated | None:
    """The repository file a command hands its work to, read, or None."""
    words = command.strip().split()
    while words and (words[0] in _WRAPPERS or _ASSIGNMENT.match(words[0]) or words[0].startswith("-")):
        words = words[1:]
    if not words:
        return None
    text = " ".join(words)
    if _MAKE.match(text):
        return _make(words[1:], read, cwd)
    script = _RUN_SCRIPT.match(text)
    if script is not None:
        name = script.group(1) or script.group(2) or script.group(3)
        return None if script.group(3) in _YARN_COMMANDS else _package_script(name, read, cwd)
    recipe = _JUST.match(text)
    if recipe is not None and "-f" not in recipe.group(1) and "justfile" not in recipe.group(1):
        return _just(recipe.group(2), read, cwd)
    first = words[0].strip("\"'")
    if "/" in first or _SHELL_SCRIPT.search(first):
        return _shell_script(_join(cwd, first), read)
    return None


def of_action(uses: str, read: Reader) -> Delegated | None:
    """A local composite action (`uses: ./.github/actions/build`): its steps' commands."""
    base = _join("", uses)
    if base is None:
        return None
    for name in ("action.yml", "action.yaml"):
        text = read(posixpath.join(base, name))
        if text is None:
            continue
        try:
            root = parse(text[:MAX_DELEGATE_BYTES])
        except YamlError:
            return None
        runs = root.get("runs") if isinstance(root, Map) else None
        steps = runs.get("steps") if isinstance(runs, Map) else None
        if not isinstance(steps, Seq):
            return None
        found: list[tuple[str, int]] = []
        uses_found: list[tuple[str, int]] = []
        for step in steps.items:
            if not isinstance(step, Map):
                continue
            run, inner = plain(step.get("run")), plain(step.get("uses"))
            if isinstance(run, str):
                found.extend((command, step.line) for command in commands(run))
            if isinstance(inner, str):
                uses_found.append((inner, step.line))
        return Delegated(posixpath.join(base, name), tuple(found[:MAX_COMMANDS]), tuple(uses_found))
    return None


def _join(cwd: str, path: str) -> str | None:
    """`path` from the repository's root, or None when it leaves the repository."""
    if path.startswith("/"):
        return None
    joined = posixpath.normpath(posixpath.join(cwd, path.removeprefix("./")))
    return None if joined.startswith("..") or joined.startswith("/") else ("" if joined == "." else joined)


def _read(read: Reader, path: str | None) -> str | None:
    if not path:
        return None
    text = read(path)
    return text[:MAX_DELEGATE_BYTES] if text is not None else None


def _shell_script(path: str | None, read: Reader) -> Delegated | None:
    text = _read(read, path)
    if text is None or path is None:
        return None
    first = text.split("\n", 1)[0]
    if not _SHELL_SCRIPT.search(path) and not (
        first.startswith("#!") and re.search(r"\b(ba|z|da)?sh\b", first)
    ):
        return None  # a Python or Node script: its own language, not commands
    return Delegated(path, _numbered(text))


def _numbered(script: str) -> tuple[tuple[str, int], ...]:
    """The script's commands (read whole: here-documents and continued lines stay one
    command) with the line each starts on."""
    found: list[tuple[str, int]] = []
    position = 0
    for command in commands(script)[:MAX_COMMANDS]:
        where = script.find(command.strip()[:40], position)
        if where >= 0:
            position = where
        found.append((command, script.count("\n", 0, position) + 1))
    return tuple(found)


def _rule(line: str) -> tuple[str, str] | None:
    """(targets, what follows the colon) of a rule line; None for anything else (an
    assignment `A := b`, a recipe, a comment). Linear: no regular expression on the line."""
    if not line or line[0] in " \t#:=":
        return None
    colon = line.find(":")
    if colon < 0 or "=" in line[:colon] or line[colon + 1 : colon + 2] == "=":
        return None
    rest = line[colon + 1 :]
    if rest.startswith(":"):
        rest = rest[1:]  # `a:: b`, a double-colon rule
    return line[:colon], rest.strip()


def _make(arguments: list[str], read: Reader, cwd: str) -> Delegated | None:
    directory: str | None = cwd
    makefile, goals = "", []
    pending = ""
    for word in arguments:
        if pending:
            if pending == "-C":
                directory = _join(directory, word) if directory is not None else None
            else:
                makefile = word
            pending = ""
        elif word in ("-C", "-f", "--file", "--directory"):
            pending = "-C" if word in ("-C", "--directory") else "-f"
        elif word.startswith("-C") and len(word) > 2:
            directory = _join(directory, word[2:]) if directory is not None else None
        elif not word.startswith("-") and "=" not in word:
            goals.append(word)
    if directory is None:
        return None
    names = [makefile] if makefile else ["GNUmakefile", "makefile", "Makefile"]
    for name in names:
        path = _join(directory, name)
        text = _read(read, path)
        if text is not None and path is not None:
            recipes, order = _recipes(text)
            wanted = goals or order[:1]
            if not wanted or any(goal not in recipes for goal in wanted):
                return None  # defined elsewhere (an include, a pattern rule): not read
            found: list[tuple[str, int]] = []
            seen: set[str] = set()
            _collect(wanted, recipes, found, seen, 0)
            return Delegated(path, tuple(found[:MAX_COMMANDS]))
    return None


def _recipes(text: str) -> tuple[dict[str, tuple[list[str], list[tuple[str, int]]]], list[str]]:
    """Each target's prerequisites and recipe lines; the targets in written order."""
    recipes: dict[str, tuple[list[str], list[tuple[str, int]]]] = {}
    order: list[str] = []
    current: list[str] = []
    lines = text.replace("\\\n", " ").split("\n")
    for number, line in enumerate(lines, 1):
        if line.startswith("\t") and current:
            body = line.strip().lstrip("@-+").strip()
            for target in current:
                recipes[target][1].extend((command, number) for command in commands(body))
            continue
        rule = _rule(line)
        if rule is None or rule[0].startswith((".", "%")):
            current = [] if line.strip() and not line.startswith((" ", "\t", "#")) else current
            continue
        current = [target for target in rule[0].split() if "$" not in target]
        prerequisites, _, inline = rule[1].partition(";")
        for target in current:
            recipes.setdefault(target, ([], []))[0].extend(prerequisites.split())
            if inline.strip():
                recipes[target][1].extend((command, number) for command in commands(inline))
            if target not in order:
                order.append(target)
    return recipes, order


def _collect(
    goals: list[str],
    recipes: dict[str, tuple[list[str], list[tuple[str, int]]]],
    found: list[tuple[str, int]],
    seen: set[str],
    depth: int,
) -> None:
    for goal in goals:
        if goal in seen or goal not in recipes or depth > MAX_DEPTH or len(found) >= MAX_COMMANDS:
            continue
        seen.add(goal)
        prerequisites, lines = recipes[goal]
        _collect(prerequisites, recipes, found, seen, depth + 1)
        found.extend(lines)


def _package_script(name: str, read: Reader, cwd: str) -> Delegated | None:
    path = _join(cwd, "package.json")
    text = _read(read, path)
    if text is None or path is None:
        return None
    import json  # only a run that reads a package.json pays for it

    try:
        scripts = json.loads(text).get("scripts") or {}
    except (ValueError, AttributeError, RecursionError):  # not JSON, not an object, too deep
        return None
    script = scripts.get(name) if isinstance(scripts, dict) else None
    if not isinstance(script, str):
        return None
    line = next((number for number, row in enumerate(text.splitlines(), 1) if f'"{name}"' in row), 1)
    return Delegated(path, tuple((command, line) for command in commands(script)))


_JUST_HEADER = lazy(r"^@?([A-Za-z_][\w-]*)([^:]*):(?!=)(.*)$")


def _just(name: str, read: Reader, cwd: str) -> Delegated | None:
    for file in ("justfile", "Justfile", ".justfile"):
        path = _join(cwd, file)
        text = _read(read, path)
        if text is None or path is None:
            continue
        recipes: dict[str, tuple[list[str], list[tuple[str, int]]]] = {}
        current: list[tuple[str, int]] | None = None
        for number, line in enumerate(text.splitlines(), 1):
            if line and not line[0].isspace():
                header = _JUST_HEADER.match(line[:500])
                current = None
                if header is not None:
                    dependencies = [
                        word for word in header.group(3).split() if re.fullmatch(r"[A-Za-z_][\w-]*", word)
                    ]
                    recipes[header.group(1)] = (dependencies, [])
                    current = recipes[header.group(1)][1]
                continue
            if current is not None and line.strip():
                current.extend((command, number) for command in commands(line.strip().lstrip("@-")))
        if name not in recipes:
            return None  # in an imported module, or not a recipe: not read
        found: list[tuple[str, int]] = []
        _collect([name], recipes, found, set(), 0)
        return Delegated(path, tuple(found[:MAX_COMMANDS]))
    return None
