"""GitHub Actions expressions: the subset that decides runners, matrices and flags.

Semantics follow GitHub's evaluator: `==` coerces differing types to numbers and compares
strings ignoring case; `&&` and `||` return one of their operands; numbers print without
a trailing `.0`. Contexts that cannot be known before a run (`vars`, `secrets`, `github`,
`needs`, `steps`, `env`, `runner` without a resolved runner, ...) evaluate to `Unknown`,
which propagates through every operator, so a caller can say *why* a value is unknown
instead of guessing.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Mapping
from typing import Any

from bot.core.lazyre import lazy
from bot.core.records import record


class ExpressionError(Exception):
    """Syntax or evaluation error (GitHub would fail the workflow too)."""


@record(frozen=True)
class Unknown:
    """A value that cannot be known statically; `reason` names its source."""

    reason: str

    def __repr__(self) -> str:
        return f"Unknown({self.reason!r})"


Value = Any  # None | bool | int | float | str | list | dict | Unknown

# ---------------------------------------------------------------- tokenizer

_TOKEN = lazy(
    r"""
    (?P<ws>\s+)
  | (?P<num>0x[0-9a-fA-F]+|-?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)
  | (?P<str>'(?:[^']|'')*')
  | (?P<op>==|!=|<=|>=|&&|\|\||[!<>()\[\],.*])
  | (?P<ident>[A-Za-z_][A-Za-z0-9_-]*)
    """,
    re.VERBOSE,
)


def _tokenize(text: str) -> list[tuple[str, str]]:
    tokens: list[tuple[str, str]] = []
    pos = 0
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if match is None:
            raise ExpressionError(f"unexpected character {text[pos]!r} at {pos + 1}")
        kind = match.lastgroup or ""
        if kind != "ws":
            tokens.append((kind, match.group()))
        pos = match.end()
    return tokens


# ---------------------------------------------------------------- parser (to tuples)

Ast = tuple[Any, ...]


# Far beyond any real expression; a hostile one must end in an ExpressionError, not a
# RecursionError in the parser or the evaluator.
MAX_TOKENS = 400
MAX_NESTING = 32


class _Parser:
    def __init__(self, text: str) -> None:
        self.tokens = _tokenize(text)
        if len(self.tokens) > MAX_TOKENS:
            raise ExpressionError(f"expression has more than {MAX_TOKENS} tokens")
        self.pos = 0
        self.depth = 0

    def nested(self) -> None:
        self.depth += 1
        if self.depth > MAX_NESTING:
            raise ExpressionError(f"expression nested deeper than {MAX_NESTING} levels")

    def peek(self) -> tuple[str, str] | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def take(self, value: str | None = None) -> tuple[str, str]:
        token = self.peek()
        if token is None or (value is not None and token[1] != value):
            raise ExpressionError(f"expected {value or 'a value'}, got {token[1] if token else 'end'}")
        self.pos += 1
        return token

    def accept(self, value: str) -> bool:
        token = self.peek()
        if token is not None and token[0] == "op" and token[1] == value:
            self.pos += 1
            return True
        return False

    def parse(self) -> Ast:
        if not self.tokens:
            raise ExpressionError("empty expression")
        tree = self.binary(0)
        if self.peek() is not None:
            raise ExpressionError(f"unexpected {self.peek()[1]!r}")  # type: ignore[index]
        return tree

    _LEVELS: tuple[tuple[str, ...], ...] = (("||",), ("&&",), ("==", "!="), ("<", "<=", ">", ">="))

    def binary(self, level: int) -> Ast:
        if level == len(self._LEVELS):
            return self.unary()
        left = self.binary(level + 1)
        while True:
            token = self.peek()
            if token is None or token[0] != "op" or token[1] not in self._LEVELS[level]:
                return left
            self.pos += 1
            left = ("op", token[1], left, self.binary(level + 1))

    def unary(self) -> Ast:
        if self.accept("!"):
            self.nested()
            tree: Ast = ("not", self.unary())
            self.depth -= 1
            return tree
        return self.postfix(self.primary())

    def primary(self) -> Ast:
        kind, text = self.take()
        if kind == "num":
            return ("lit", int(text, 16) if text.lower().startswith("0x") else _number(text))
        if kind == "str":
            return ("lit", text[1:-1].replace("''", "'"))
        if kind == "op" and text == "(":
            self.nested()
            inner = self.binary(0)
            self.take(")")
            self.depth -= 1
            return inner
        if kind == "ident":
            lower = text.lower()
            if lower in ("true", "false"):
                return ("lit", lower == "true")
            if lower == "null":
                return ("lit", None)
            if self.accept("("):
                self.nested()
                args: list[Ast] = []
                if not self.accept(")"):
                    args.append(self.binary(0))
                    while self.accept(","):
                        args.append(self.binary(0))
                    self.take(")")
                self.depth -= 1
                return ("call", lower, args)
            return ("ctx", lower)
        raise ExpressionError(f"unexpected {text!r}")

    def postfix(self, node: Ast) -> Ast:
        while True:
            if self.accept("."):
                token = self.take()
                if token[1] == "*":
                    node = ("star", node)
                elif token[0] in ("ident", "num"):
                    node = ("prop", node, token[1])
                else:
                    raise ExpressionError(f"bad property {token[1]!r}")
            elif self.accept("["):
                self.nested()
                node = ("star", node) if self.accept("*") else ("index", node, self.binary(0))
                self.take("]")
                self.depth -= 1
            else:
                return node


def _number(text: str) -> int | float:
    value = float(text)
    return int(value) if value.is_integer() and "." not in text and "e" not in text.lower() else value


_cache: dict[str, Ast] = {}


def parse(text: str) -> Ast:
    tree = _cache.get(text)
    if tree is None:
        tree = _Parser(text).parse()
        if len(_cache) < 4096:
            _cache[text] = tree
    return tree


# ---------------------------------------------------------------- coercions


def is_number(value: Value) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def to_number(value: Value) -> float:
    if value is None:
        return 0.0
    if isinstance(value, bool):
        return 1.0 if value else 0.0
    if is_number(value):
        return float(value)
    if isinstance(value, str):
        text = value.strip()
        if text == "":
            return 0.0
        try:
            if text.lower().startswith("0x"):
                return float(int(text, 16))
            return float(text)
        except ValueError:
            return math.nan
    return math.nan


def to_string(value: Value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if is_number(value):
        number = float(value)
        if math.isnan(number):
            return "NaN"
        if math.isinf(number):
            return "Infinity" if number > 0 else "-Infinity"
        return str(int(number)) if number.is_integer() else repr(number)
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        return "Array"
    return "Object"


def truthy(value: Value) -> bool:
    if value is None:
        return False
    if isinstance(value, bool):
        return value
    if is_number(value):
        return not (value == 0 or math.isnan(value))
    if isinstance(value, str):
        return value != ""
    return True


def _kind(value: Value) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "bool"
    if is_number(value):
        return "number"
    if isinstance(value, str):
        return "string"
    return "object"


def loose_equal(left: Value, right: Value) -> Value:
    """GitHub's `==`: the same rule matrix include/exclude use to match values."""
    if isinstance(left, Unknown):
        return left
    if isinstance(right, Unknown):
        return right
    kl, kr = _kind(left), _kind(right)
    if kl == kr:
        if kl == "string":
            return bool(left.casefold() == right.casefold())
        if kl == "object":
            return left is right
        return bool(left == right)
    if kl == "object" or kr == "object":
        return False
    return to_number(left) == to_number(right)


def _compare(op: str, left: Value, right: Value) -> Value:
    if isinstance(left, Unknown):
        return left
    if isinstance(right, Unknown):
        return right
    kl, kr = _kind(left), _kind(right)
    if kl == "object" or kr == "object":
        return False
    a: Any
    b: Any
    if kl == kr == "string":
        a, b = left.casefold(), right.casefold()
    else:
        a, b = to_number(left), to_number(right)
        if math.isnan(a) or math.isnan(b):
            return False
    return {"<": a < b, "<=": a <= b, ">": a > b, ">=": a >= b}[op]


# ---------------------------------------------------------------- functions


def _format(fmt: Value, *args: Value) -> str:
    text = to_string(fmt)
    out: list[str] = []
    i = 0
    while i < len(text):
        char = text[i]
        if char == "{":
            if text.startswith("{{", i):
                out.append("{")
                i += 2
                continue
            end = text.find("}", i)
            index = text[i + 1 : end] if end > i else ""
            if not index.isdigit():
                raise ExpressionError(f"format: invalid placeholder in {text!r}")
            if int(index) >= len(args):
                raise ExpressionError(f"format: no argument for {{{index}}}")
            out.append(to_string(args[int(index)]))
            i = end + 1
        elif char == "}":
            if not text.startswith("}}", i):
                raise ExpressionError(f"format: unmatched '}}' in {text!r}")
            out.append("}")
            i += 2
        else:
            out.append(char)
            i += 1
    return "".join(out)


def _contains(search: Value, item: Value) -> Value:
    if isinstance(search, list):
        found = False
        for element in search:
            result = loose_equal(element, item)
            if isinstance(result, Unknown):
                return result
            found = found or bool(result)
        return found
    return to_string(item).casefold() in to_string(search).casefold()


def _join(items: Value, separator: Value = ",") -> Value:
    if isinstance(items, list):
        for item in items:
            if isinstance(item, Unknown):
                return item
        return to_string(separator).join(to_string(item) for item in items)
    return to_string(items)


def _from_json(text: Value) -> Value:
    try:
        return json.loads(to_string(text))
    except ValueError as exc:
        raise ExpressionError(f"fromJSON: invalid JSON: {exc}") from None


def _to_json(value: Value) -> Value:
    if _has_unknown(value):
        return _first_unknown(value)
    return json.dumps(value, indent=2)


def _status(name: str) -> Callable[..., Value]:
    return lambda *args: Unknown(f"{name}() is only known at run time")


_FUNCTIONS: dict[str, tuple[int, int, Callable[..., Value]]] = {
    "contains": (2, 2, _contains),
    "startswith": (2, 2, lambda s, p: to_string(s).casefold().startswith(to_string(p).casefold())),
    "endswith": (2, 2, lambda s, p: to_string(s).casefold().endswith(to_string(p).casefold())),
    "format": (1, 255, _format),
    "join": (1, 2, _join),
    "tojson": (1, 1, _to_json),
    "fromjson": (1, 1, _from_json),
    "hashfiles": (1, 255, lambda *a: Unknown("hashFiles() is only known at run time")),
    "success": (0, 0, _status("success")),
    "always": (0, 0, _status("always")),
    "failure": (0, 0, _status("failure")),
    "cancelled": (0, 0, _status("cancelled")),
    "case": (3, 255, lambda *a: _case(*a)),
}


def _case(*args: Value) -> Value:
    *pairs, default = args
    if len(pairs) % 2:
        raise ExpressionError("case() needs condition/value pairs and a default")
    for index in range(0, len(pairs), 2):
        if isinstance(pairs[index], Unknown):
            return pairs[index]
        if truthy(pairs[index]):
            return pairs[index + 1]
    return default


def _has_unknown(value: Value) -> bool:
    return _first_unknown(value) is not None


def _first_unknown(value: Value) -> Unknown | None:
    if isinstance(value, Unknown):
        return value
    if isinstance(value, list):
        for item in value:
            found = _first_unknown(item)
            if found:
                return found
    if isinstance(value, dict):
        for item in value.values():
            found = _first_unknown(item)
            if found:
                return found
    return None


# ---------------------------------------------------------------- evaluation

# Contexts a static analysis can never know, with why.
_RUNTIME_CONTEXTS = {
    "github": "the triggering event",
    "env": "environment variables",
    "vars": "repository or organisation variables",
    "secrets": "secrets",
    "needs": "outputs of earlier jobs",
    "steps": "outputs of earlier steps",
    "job": "the running job",
    "jobs": "the outputs of called jobs",
    "runner": "the runner that picks the job up",
    "inputs": "workflow inputs",
    "strategy": "the running strategy",
}


def _property(base: Value, name: str) -> Value:
    if isinstance(base, dict):
        lowered = name.casefold()
        for key, value in base.items():
            if key.casefold() == lowered:
                return value
        return None
    if isinstance(base, list) and name.isdigit():
        index = int(name)
        return base[index] if index < len(base) else None
    return None


def _unknown_path(base: Unknown, base_tree: Ast, tree: Ast) -> Unknown:
    """`vars.RUNNER` reads better than `vars` in a reason: extend a context's own path."""
    return Unknown(_path(tree)) if base.reason == _path(base_tree) else base


def _path(node: Ast) -> str:
    if node[0] == "ctx":
        return str(node[1])
    if node[0] == "prop":
        return f"{_path(node[1])}.{node[2]}"
    if node[0] == "index":
        inner = node[2]
        key = repr(inner[1]) if inner[0] == "lit" else "…"
        return f"{_path(node[1])}[{key}]"
    if node[0] == "star":
        return f"{_path(node[1])}.*"
    return "…"


def evaluate(tree: Ast, contexts: Mapping[str, Value]) -> Value:
    kind = tree[0]
    if kind == "lit":
        return tree[1]
    if kind == "ctx":
        name = tree[1]
        if name in contexts:
            return contexts[name]
        if name in _RUNTIME_CONTEXTS:
            return Unknown(name)
        raise ExpressionError(f"unrecognized named-value: '{name}'")
    if kind == "prop":
        base = evaluate(tree[1], contexts)
        if isinstance(base, Unknown):
            return _unknown_path(base, tree[1], tree)
        return _property(base, tree[2])
    if kind == "index":
        base = evaluate(tree[1], contexts)
        key = evaluate(tree[2], contexts)
        if isinstance(base, Unknown):
            return _unknown_path(base, tree[1], tree)
        if isinstance(key, Unknown):
            return key
        if isinstance(base, list):
            if not isinstance(key, str | bool) and key is not None:
                number = to_number(key)
                if not math.isnan(number) and 0 <= int(number) < len(base):
                    return base[int(number)]
            return None
        return _property(base, to_string(key))
    if kind == "star":
        base = evaluate(tree[1], contexts)
        if isinstance(base, Unknown):
            return base
        if isinstance(base, dict):
            return list(base.values())
        if isinstance(base, list):
            return list(base)
        return []
    if kind == "not":
        value = evaluate(tree[1], contexts)
        return value if isinstance(value, Unknown) else not truthy(value)
    if kind == "op":
        op = tree[1]
        left = evaluate(tree[2], contexts)
        if op in ("&&", "||"):
            if isinstance(left, Unknown):
                return left
            if truthy(left) == (op == "||"):
                return left
            return evaluate(tree[3], contexts)
        right = evaluate(tree[3], contexts)
        if op == "==":
            return loose_equal(left, right)
        if op == "!=":
            equal = loose_equal(left, right)
            return equal if isinstance(equal, Unknown) else not equal
        return _compare(op, left, right)
    if kind == "call":
        name, arg_trees = tree[1], tree[2]
        if name not in _FUNCTIONS:
            raise ExpressionError(f"unrecognized function: '{name}'")
        low, high, function = _FUNCTIONS[name]
        if not low <= len(arg_trees) <= high:
            raise ExpressionError(f"{name}() takes {low}..{high} arguments, got {len(arg_trees)}")
        args = [evaluate(arg, contexts) for arg in arg_trees]
        if name != "case":  # case() may short-circuit past an unknown branch value
            for arg in args:
                if isinstance(arg, Unknown):
                    return arg
        return function(*args)
    raise ExpressionError(f"bad expression node {kind}")


# ---------------------------------------------------------------- templates

_OPEN = "${{"


def has_expression(text: object) -> bool:
    return isinstance(text, str) and _OPEN in text


def split_template(text: str) -> list[tuple[bool, str]]:
    """Split `a-${{ x }}-b` into literal and expression parts (True = expression)."""
    parts: list[tuple[bool, str]] = []
    pos = 0
    while True:
        start = text.find(_OPEN, pos)
        if start < 0:
            if pos < len(text):
                parts.append((False, text[pos:]))
            return parts
        end = _find_close(text, start + 3)
        if end < 0:
            raise ExpressionError("unterminated '${{'")
        if start > pos:
            parts.append((False, text[pos:start]))
        parts.append((True, text[start + 3 : end].strip()))
        pos = end + 2


def _find_close(text: str, pos: int) -> int:
    """Index of the `}}` closing an expression; `}}` inside a '…' string does not count."""
    while True:
        close = text.find("}}", pos)
        if close < 0:
            return -1
        quote = text.find("'", pos, close)
        if quote < 0:
            return close
        # A doubled '' inside a string closes and reopens it, which this skips the same way.
        end_quote = text.find("'", quote + 1)
        if end_quote < 0:
            return -1
        pos = end_quote + 1


def evaluate_template(value: Value, contexts: Mapping[str, Value]) -> Value:
    """Evaluate a workflow value: a lone `${{ }}` keeps its type, mixed text is a string.

    Lists and mappings are evaluated element by element (as GitHub does for `runs-on`).
    """
    if isinstance(value, list):
        return [evaluate_template(item, contexts) for item in value]
    if isinstance(value, dict):
        return {key: evaluate_template(item, contexts) for key, item in value.items()}
    if not has_expression(value):
        return value
    parts = split_template(value)
    if len(parts) == 1 and parts[0][0]:
        return evaluate(parse(parts[0][1]), contexts)
    out: list[str] = []
    for is_expr, text in parts:
        if not is_expr:
            out.append(text)
            continue
        result = evaluate(parse(text), contexts)
        if isinstance(result, Unknown):
            return result
        out.append(to_string(result))
    return "".join(out)


def render_text(value: Value, contexts: Mapping[str, Value]) -> str:
    """A value as text with its expressions evaluated; parts that stay unknown become '?'.

    For reading scripts and inputs, where a partly known text still says a lot
    (`--platform linux/${{ matrix.arch }}`), unlike `evaluate_template`.
    """
    if not isinstance(value, str):
        return to_string(value) if value is not None else ""
    if _OPEN not in value:
        return value
    try:
        parts = split_template(value)
    except ExpressionError:
        return value
    out: list[str] = []
    for is_expr, text in parts:
        if not is_expr:
            out.append(text)
            continue
        try:
            result = evaluate(parse(text), contexts)
        except ExpressionError:
            result = Unknown("syntax")
        out.append("?" if isinstance(result, Unknown) else to_string(result))
    return "".join(out)


_SHELL_VAR = lazy(r"\$(?:\{(\w+)\}|(\w+))")


def render_script(text: str, contexts: Mapping[str, Value], envs: tuple[Mapping[str, Value], ...]) -> str:
    """A `run:` script with `${{ }}` evaluated and `$NAME`/`${NAME}` read from the step's,
    job's and workflow's `env:` (first wins), so `$BUILD_CMD test --target=$target` reads
    `cross test --target=aarch64-…` on the leg whose env says so."""
    rendered = render_text(text, contexts)
    if "$" not in rendered or not any(envs):
        return rendered

    def variable(match: re.Match[str]) -> str:
        name = match.group(1) or match.group(2)
        for env in envs:
            if name in env:
                return render_text(env[name], contexts)
        return match.group(0)

    return _SHELL_VAR.sub(variable, rendered)


MAX_BRANCHES = 16


@record(frozen=True)
class _Falsy:
    """An unknown value on the branch where it was false (`vars.X || 'a'` took 'a')."""

    unknown: Unknown


def possible_values(value: Value, contexts: Mapping[str, Value]) -> list[Value]:
    """Every value a lone `${{ }}` can take when some contexts are unknown.

    `github.repository == 'o/r' && 'big-runner' || 'ubuntu-24.04'` gives both labels;
    `vars.RUNNER || 'ubuntu-latest'` gives Unknown('vars.RUNNER') and 'ubuntu-latest'.
    Each `&&`/`||` whose left side is unknown is followed both ways. More than
    MAX_BRANCHES values, or anything but a lone expression, gives the plain evaluation.
    """
    if not isinstance(value, str) or not has_expression(value):
        return [evaluate_template(value, contexts)]
    parts = split_template(value)
    if len(parts) != 1 or not parts[0][0]:
        return [evaluate_template(value, contexts)]
    found = _branches(parse(parts[0][1]), contexts)
    if len(found) > MAX_BRANCHES:
        return [evaluate_template(value, contexts)]
    return [item.unknown if isinstance(item, _Falsy) else item for item in found]


def _branches(tree: Ast, contexts: Mapping[str, Value]) -> list[Value]:
    if tree[0] != "op" or tree[1] not in ("&&", "||"):
        return [evaluate(tree, contexts)]
    op = tree[1]
    out: list[Value] = []
    for left in _branches(tree[2], contexts):
        if len(out) > MAX_BRANCHES:
            break
        if isinstance(left, Unknown):
            # true: `||` keeps it, `&&` moves on; false: the other way round. Branches are
            # listed in the order written, so the last is the final fallback.
            if op == "||":
                out.append(left)
                out.extend(_branches(tree[3], contexts))
            else:
                out.extend(_branches(tree[3], contexts))
                out.append(_Falsy(left))
        elif isinstance(left, _Falsy):
            if op == "&&":
                out.append(left)
            else:
                out.extend(_branches(tree[3], contexts))
        elif truthy(left) == (op == "||"):
            out.append(left)
        else:
            out.extend(_branches(tree[3], contexts))
    unique: list[Value] = []
    for item in out:
        if item not in unique:
            unique.append(item)
    return unique


def evaluate_condition(text: Value, contexts: Mapping[str, Value]) -> Value:
    """An `if:` value: bare expressions are allowed without `${{ }}`."""
    if isinstance(text, bool):
        return text
    if text is None:
        return True
    source = to_string(text).strip()
    if source.startswith(_OPEN) and source.endswith("}}") and source.count(_OPEN) == 1:
        source = source[3:-2]
    if _OPEN in source:
        value = evaluate_template(source, contexts)
        return value if isinstance(value, Unknown) else truthy(value)
    value = evaluate(parse(source), contexts)
    return value if isinstance(value, Unknown) else truthy(value)


def _trees(value: Value) -> list[Ast]:
    """The parsed expressions inside a value and everything it holds (bad ones left out)."""
    if isinstance(value, list | dict):
        items = value.values() if isinstance(value, dict) else value
        return [tree for item in items for tree in _trees(item)]
    if not has_expression(value):
        return []
    try:
        return [parse(text) for is_expr, text in split_template(value) if is_expr]
    except ExpressionError:
        return []


def referenced_keys(value: Value, context: str = "matrix") -> set[str]:
    """Top-level keys of a context that a value's expressions read (`matrix.os` -> {'os'})."""
    paths: set[tuple[str, ...]] = set()
    for tree in _trees(value):
        _collect_paths(tree, ("ctx", context), paths, values_only=False)
    return {path[0] for path in paths}


def referenced_paths(value: Value, context: str = "matrix") -> set[tuple[str, ...]]:
    """Paths into a context whose values flow into a value's result.

    `${{ matrix.settings.host }}` -> {('settings', 'host')}; `matrix.buildplat[0]` ->
    {('buildplat', '0')}. Paths only compared (`matrix.target == 'x' && 'a' || 'b'`) or
    only tested (`contains(matrix.os, 'arm')`) choose between values without being one.
    """
    paths: set[tuple[str, ...]] = set()
    for tree in _trees(value):
        _collect_paths(tree, ("ctx", context), paths)
    return paths


def _chain(tree: Ast, root: Ast) -> tuple[str, ...] | None:
    if tree == root:
        return ()
    if tree[0] == "prop":
        base = _chain(tree[1], root)
        return None if base is None else (*base, str(tree[2]))
    if tree[0] == "index" and tree[2][0] == "lit":
        base = _chain(tree[1], root)
        return None if base is None else (*base, to_string(tree[2][1]))
    return None


def _collect_paths(tree: Ast, root: Ast, paths: set[tuple[str, ...]], values_only: bool = True) -> None:
    """Paths into `root` that `tree` reads; with `values_only`, only those whose value can
    be the result (not a comparison's operands, a predicate's arguments, an `&&` condition)."""
    path = _chain(tree, root)
    if path:
        paths.add(path)
        return
    if values_only:
        if tree[0] == "op" and tree[1] not in ("&&", "||"):
            return
        if tree[0] == "not" or (tree[0] == "call" and tree[1] in _PREDICATES):
            return
        if tree[0] == "op":  # `a && b` is b when it is anything: a is its condition
            _collect_paths(tree[3], root, paths)
            if tree[1] == "||":
                _collect_paths(tree[2], root, paths)
            return
    for child in tree[1:]:
        if isinstance(child, tuple) and child and isinstance(child[0], str):
            _collect_paths(child, root, paths, values_only)
        elif isinstance(child, list):
            for item in child:
                if isinstance(item, tuple):
                    _collect_paths(item, root, paths, values_only)


_PREDICATES = {
    "contains",
    "startswith",
    "endswith",
    "startsWith",
    "endsWith",
    "success",
    "failure",
    "always",
    "cancelled",
}
