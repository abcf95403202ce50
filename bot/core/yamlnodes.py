"""Workflow YAML as a small tree of nodes that remember where they were written.

Analysis never needs ruamel's round-trip objects (ten times slower to load); it needs
values, whether a scalar was quoted, and 1-based lines. The C composer gives exactly that.
Hostile input is stopped here: size cap, a nesting pre-scan before the C composer (which
recurses without a limit), node budget (alias bombs expand through shared nodes, so the
budget counts expanded nodes), depth cap, duplicate keys, non-UTF-8.
"""

from __future__ import annotations

import _thread
import functools
import math
import os
import re
import sys
from collections.abc import Mapping
from typing import Any, cast

from bot.core.lazyre import lazy
from bot.core.records import field, record

MAX_FILE_BYTES = 1024 * 1024
MAX_NODES = 200_000
MAX_DEPTH = 64
_CHEAP_BOUND = 1000  # open collections the C composer can take with room to spare

_STR = "tag:yaml.org,2002:str"
_INT = "tag:yaml.org,2002:int"
_FLOAT = "tag:yaml.org,2002:float"
_BOOL = "tag:yaml.org,2002:bool"
_NULL = "tag:yaml.org,2002:null"

ScalarValue = str | int | float | bool | None


class YamlError(Exception):
    """A file that is not a YAML document the analyzer can read."""

    def __init__(self, message: str, line: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.line = line


@record()
class Scalar:
    """`line`/`col` are 1-based; `end_line`/`end_col` point just past the scalar as written."""

    value: ScalarValue
    line: int
    col: int
    raw: str = ""
    quoted: bool = False
    end_line: int = 0
    end_col: int = 0


@record()
class Seq:
    items: list[Node]
    line: int
    col: int
    end_line: int = 0
    flow: bool = False
    end_col: int = 0


@record()
class Map:
    entries: dict[str, tuple[Scalar, Node]] = field(default_factory=dict)
    line: int = 0
    col: int = 0
    end_line: int = 0
    flow: bool = False
    end_col: int = 0

    def get(self, key: str) -> Node | None:
        entry = self.entries.get(key)
        return entry[1] if entry else None

    def key_line(self, key: str) -> int | None:
        entry = self.entries.get(key)
        return entry[0].line if entry else None


Node = Scalar | Seq | Map

_PLAIN = "?plain"  # resolved below, by the YAML 1.2 core schema

# YAML 1.2 core schema: what an unquoted scalar means (`on`/`yes` stay strings).
_CORE_NULL = lazy(r"^(?:~|null|Null|NULL|)$")
_CORE_BOOL = lazy(r"^(?:true|True|TRUE|false|False|FALSE)$")
_CORE_INT = lazy(r"^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$")
_CORE_FLOAT = lazy(
    r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?"
    r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$"
)

# ruamel's C composer is used one of two ways (`_Parsers`); both hold this lock while they
# compose, as the fast one swaps the node types of ruamel's C module. A fork waits for it: a
# child forked while another thread composed would start with the lock held and the names
# swapped.
_COMPOSING = _thread.allocate_lock()
os.register_at_fork(
    before=_COMPOSING.acquire, after_in_parent=_COMPOSING.release, after_in_child=_COMPOSING.release
)


class _Parsers:
    """ruamel's C composer, with a resolver that costs nothing, used two ways.

    ruamel's own resolver runs in Python for every scalar (a third of the parse time on the
    corpus); tagging plain scalars `?plain` and resolving them in `_made_scalar` is exact for
    the core schema and several times cheaper.

    - `classic` composes ruamel's nodes, which `_Converter` turns into ours: what every file
      an error stops is read with, so every message comes from one place.
    - `fast` has the composer make our scalars directly. The C composer creates its nodes
      by calling the classes its module names (`ScalarNode(tag, value, start_mark,
      end_mark, style)`, and likewise for collections, whose end it sets afterwards) and
      reads nothing back from them, except the first node of a duplicate anchor to report
      it: swapping those names for `_made_scalar` and `_Open` while it runs skips building
      a ruamel node for each scalar and converting it, a third of the parse time. A fast
      compose that fails or meets anything unusual (an error, the node budget, a duplicate
      key) leaves the file to the classic one, and the fast one is used only once it has
      read a probe document exactly as the classic one does.
    """

    def __init__(self) -> None:
        import importlib

        # cyaml re-exports the compiled parser without declaring it; ask for it by name.
        parser_class: Any = importlib.import_module("ruamel.yaml.cyaml").CParser
        from ruamel.yaml.nodes import MappingNode, ScalarNode, SequenceNode
        from ruamel.yaml.tag import Tag

        # Shared Tag objects: ruamel would build (and URI-decode) one per node.
        plain, string = Tag(suffix=_PLAIN), Tag(suffix=_STR)
        seq, mapping = Tag(suffix="tag:yaml.org,2002:seq"), Tag(suffix="tag:yaml.org,2002:map")

        class Classic(parser_class):  # type: ignore[misc]
            def resolve(self, kind: Any, value: Any, implicit: Any) -> Any:
                if kind is ScalarNode:
                    return plain if implicit[0] else string
                return seq if kind is SequenceNode else mapping

            def descend_resolver(self, *args: Any) -> None:
                pass

            def ascend_resolver(self, *args: Any) -> None:
                pass

        class Fast(Classic):
            def resolve(self, kind: Any, value: Any, implicit: Any) -> Any:
                return (_PLAIN if implicit[0] else _STR) if kind is _made_scalar else None

        self.classic: Any = Classic
        self.fast: Any = None
        self.module: Any = sys.modules.get(parser_class.__module__)
        self.ruamel_nodes = (ScalarNode, SequenceNode, MappingNode)
        self.our_nodes = (_made_scalar, _OpenSeq, _OpenMap)
        if self.module is not None and all(
            getattr(self.module, kind.__name__, None) is kind for kind in self.ruamel_nodes
        ):
            self.fast = Fast
            try:
                agrees = self.fast_tree(_PROBE) == self.classic_tree(_PROBE)
            except MemoryError:
                raise
            except Exception:  # a composer that takes the swap otherwise than it reads
                agrees = False
            if not agrees:
                self.fast = None

    def classic_tree(self, text: str) -> Node | None:
        with _COMPOSING:
            composer = self.classic(text)
            try:
                root = composer.get_single_node()
            except MemoryError:
                raise  # not a property of the file: the caller's memory limit decides
            except Exception as exc:  # ruamel raises many unrelated types; all mean "not YAML"
                raise _invalid(exc, text) from None
            finally:
                composer.dispose()
        return None if root is None else _Converter().convert(root, 0)

    def fast_tree(self, text: str) -> Any:
        """The tree (a Node or None), or _UNUSUAL for what the classic way must read."""
        if self.fast is None:
            return _UNUSUAL
        module, (scalar, sequence, mapping) = self.module, self.our_nodes
        with _COMPOSING:
            module.ScalarNode, module.SequenceNode, module.MappingNode = scalar, sequence, mapping
            try:
                composer = self.fast(text)
                try:
                    root = composer.get_single_node()
                finally:
                    composer.dispose()
            except MemoryError:
                raise
            except Exception:
                return _UNUSUAL
            finally:
                module.ScalarNode, module.SequenceNode, module.MappingNode = self.ruamel_nodes
        if root is None or root.__class__ is Scalar:
            return root
        try:
            return _built(root, [0], 0)
        except MemoryError:
            raise
        except Exception:  # _Unusual, or a composer that did not make what it was given
            return _UNUSUAL


_parsers: _Parsers | None = None


def _parsing() -> _Parsers:
    global _parsers
    if _parsers is None:
        _parsers = _Parsers()
    return _parsers


def prepare() -> None:
    """Import and build the parser now rather than on the first file (processes forked
    afterwards share it)."""
    _parsing()


# The pre-scan follows libyaml's scanner just far enough to know, for every token, how many
# collections are open around it: block collections by libyaml's own indentation rules,
# flow collections by brackets. Scalars, comments and block-scalar bodies are skipped by the
# rules libyaml uses to end them, so a bracket is counted exactly when libyaml would see it
# as one. It never recurses and touches each character a bounded number of times.
_BREAKS = str.maketrans({"\r": "\n", "\x85": "\n", "\u2028": "\n", "\u2029": "\n"})
_SPACES = lazy(r" *")
_BLANKS = lazy(r"[ \t]*")
_FLOW_GAP = lazy(r"(?:[ \t\n]+|#[^\n]*)*")  # whitespace, line breaks and comments
_BLOCK_PLAIN_END = lazy(r":(?=[ \t\n])|[ \t]#|\n")
_FLOW_PLAIN_END = lazy(r":(?=[ \t\n,\[\]{}])|[ \t\n]#|[,\[\]{}]")
_PROPERTY = lazy(r"[^ \t\n]*")  # a tag may hold brackets and commas; it ends at a blank
_ANCHOR = lazy(r"[0-9A-Za-z_-]*")  # libyaml: anything else ends the name or is an error
_SINGLE = lazy(r"(?:[^']|'')*'(?!')")
_DOUBLE = lazy(r'(?:[^"\\]|\\.)*"', re.DOTALL)
_BLOCK_HEADER = lazy(r"[|>](?:([1-9])[+-]?|[+-]([1-9])?)?")
_BLANK_LINES = lazy(r"(?: *\n)*")


@functools.lru_cache(maxsize=64)
def _block_body(indent: int) -> re.Pattern[str]:
    """The lines of a block scalar whose content is indented `indent` spaces."""
    return re.compile(rf"(?: {{{indent}}}[^\n]*\n| *\n)*")


def check_nesting(text: str, limit: int = MAX_DEPTH) -> None:
    """Refuse text that nests more than `limit` collections, before any parser recurses.

    ruamel's C composer recurses once per level of nesting with no limit of its own: a few
    tens of thousands of `[` crash the process (measured: 20,000 levels pass, 50,000 kill
    it). Both checks here are linear and never recurse.
    """
    # Every open collection is a `[`/`{` or a block collection, whose column libyaml keeps
    # on a stack of strictly increasing columns (so at most the line's length of them), and
    # each is at most two levels of nodes. Real workflows stay far below this cheap bound
    # (at most 700 on the corpus), which keeps the composer within 2 * _CHEAP_BOUND
    # levels; the converter then enforces `limit` exactly. splitlines() also breaks at
    # controls libyaml refuses to read, so no line libyaml reads past is longer.
    if text.count("[") + text.count("{") + max(map(len, text.splitlines()), default=0) < _CHEAP_BOUND:
        return
    _scan_nesting(text, limit)


def _scan_nesting(text: str, limit: int) -> None:
    """The exact count: how many collections libyaml has open at each token, refused past
    `limit` with the line where it happened. A bracket in a quoted string, a comment or a
    `run: |` script is not counted, so a large real workflow is not refused."""
    if "\r" in text or "\x85" in text or "\u2028" in text or "\u2029" in text:
        text = text.replace("\r\n", "\n").translate(_BREAKS)  # libyaml's line breaks
    if not text.endswith("\n"):
        text += "\n"
    size = len(text)
    indents: list[int] = []  # columns of the open block collections, as libyaml rolls them
    flow = 0
    plain_open = False  # a plain scalar ran to the end of the last line: the next may continue it
    pos = 0

    def fail(at: int) -> None:
        raise YamlError(f"nesting deeper than {limit} levels", text.count("\n", 0, at) + 1)

    while pos < size:
        # A new line, in block context.
        start = pos
        pos = _SPACES.match(text, pos).end()  # type: ignore[union-attr]
        column = pos - start
        char = text[pos]
        if char == "\n":  # blank: a plain scalar folds over it
            pos += 1
            continue
        indent = indents[-1] if indents else -1
        if char == "#":
            plain_open = False
            pos = text.index("\n", pos) + 1
            continue
        if column == 0 and text.startswith(("---", "..."), pos) and text[pos + 3] in " \t\n":
            indents.clear()
            plain_open = False
            pos += 3
        elif plain_open and column > indent:
            # libyaml reads this line as more of the plain scalar; a comment ends it.
            found = _BLOCK_PLAIN_END.search(text, pos)
            assert found is not None
            plain_open = found.group() == "\n"
            pos = text.index("\n", pos) + 1
            continue
        else:
            plain_open = False
            while indents and indents[-1] > column:
                indents.pop()
        # Tokens of this line; `node` is the column where the current node began.
        node = -1
        while True:
            pos = _BLANKS.match(text, pos).end()  # type: ignore[union-attr]
            char = text[pos]
            column = pos - start
            if char == "\n":
                pos += 1
                break
            if char == "#":
                pos = text.index("\n", pos) + 1
                break
            if char in "-?:" and text[pos + 1] in " \t\n":
                at = node if char == ":" and node >= 0 else column
                if not indents or indents[-1] < at:
                    indents.append(at)
                    if len(indents) + flow > limit:
                        fail(pos)
                node = -1
                pos += 1
                continue
            if node < 0:
                node = column
            if char in "&!*":
                pos = (_PROPERTY if char == "!" else _ANCHOR).match(text, pos + 1).end()  # type: ignore[union-attr]
                continue
            if char in "[{" or char in "'\"":
                if char in "'\"":
                    found = (_SINGLE if char == "'" else _DOUBLE).match(text, pos + 1)
                    if found is None:
                        return  # unterminated: libyaml stops at an error here
                    pos = found.end()
                else:
                    flow = 1
                    if len(indents) + flow > limit:
                        fail(pos)
                    pos = _flow(text, pos + 1, len(indents), limit, fail)
                    if pos < 0:
                        return
                if text.find("\n", start, pos) >= 0:  # a scalar or collection over several lines
                    start = text.rindex("\n", 0, pos) + 1
                    column = pos - start
                    while indents and indents[-1] > column:
                        indents.pop()
                flow = 0
                continue
            if char in "|>" and flow == 0:
                header = _BLOCK_HEADER.match(text, pos)
                assert header is not None
                pos = text.index("\n", pos) + 1
                indent = indents[-1] if indents else -1
                explicit = header.group(1) or header.group(2)
                if explicit:
                    body = indent + int(explicit) if indent >= 0 else int(explicit)
                else:
                    blank_end = _BLANK_LINES.match(text, pos).end()  # type: ignore[union-attr]
                    widest = max((len(line) for line in text[pos:blank_end].split("\n")), default=0)
                    first = _SPACES.match(text, blank_end).end() - blank_end  # type: ignore[union-attr]
                    body = max(widest, first, indent + 1, 1)
                pos = _block_body(body).match(text, pos).end()  # type: ignore[union-attr]
                break
            # A plain scalar: to a `: ` (it was a key), a comment or the end of the line.
            found = _BLOCK_PLAIN_END.search(text, pos)
            assert found is not None
            kind = found.group()
            if kind == "\n":
                plain_open = True
                pos = found.end()
                break
            if kind[-1] == "#":
                pos = text.index("\n", pos) + 1
                break
            if not indents or indents[-1] < node:
                indents.append(node)
                if len(indents) + flow > limit:
                    fail(pos)
            node = -1
            pos = found.end()


def _flow(text: str, pos: int, block: int, limit: int, fail: Any) -> int:
    """Skip a flow collection whose opening bracket is just before `pos`; where it ends, or
    -1 where libyaml would stop with an error before it closes."""
    depth = 1
    size = len(text)
    while depth:
        pos = _FLOW_GAP.match(text, pos).end()  # type: ignore[union-attr]
        if pos >= size:
            return -1
        char = text[pos]
        if char in "[{":
            depth += 1
            if block + depth > limit:
                fail(pos)
            pos += 1
        elif char in "]},?:":
            depth -= char in "]}"
            pos += 1
        elif char in "'\"":
            found = (_SINGLE if char == "'" else _DOUBLE).match(text, pos + 1)
            if found is None:
                return -1
            pos = found.end()
        elif char in "&*":
            pos = _ANCHOR.match(text, pos + 1).end()  # type: ignore[union-attr]
        elif char == "!":
            pos = _PROPERTY.match(text, pos + 1).end()  # type: ignore[union-attr]
        elif char == "-" and text[pos + 1] in " \t\n":
            pos += 1
        else:
            found = _FLOW_PLAIN_END.search(text, pos + 1)
            if found is None:
                return -1
            pos = found.start()
    return pos


def decode(data: bytes) -> str:
    if len(data) > MAX_FILE_BYTES:
        raise YamlError(f"file is larger than the limit of {MAX_FILE_BYTES} bytes")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise YamlError("file is not valid UTF-8", line) from None


def decoded(files: Mapping[str, bytes]) -> dict[str, str]:
    """The files' text, leaving out those that are not UTF-8 or too large: `check` reports
    them, and there is nothing to fix in a file that cannot be read."""
    texts: dict[str, str] = {}
    for path, data in files.items():
        try:
            texts[path] = decode(data)
        except YamlError:
            continue
    return texts


def _invalid(exc: Exception, text: str) -> YamlError:
    """The parser's error as one message naming where parsing stopped and, when the parser
    says, where the construct it was in opened (an unclosed quote, bracket or block).

    The error's line is where parsing stopped, unless that is the end of the file: then it
    is where the unclosed construct opened (a line the file has, not the one after it)."""
    problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
    stopped = getattr(exc, "problem_mark", None)
    context = getattr(exc, "context", None)
    opened = getattr(exc, "context_mark", None)
    at_end = stopped is not None and stopped.index >= len(text.rstrip())
    where = "" if stopped is None else " at the end of the file" if at_end else f" on line {stopped.line + 1}"
    message = f"invalid YAML: {problem}{where}"
    if context and opened is not None and (at_end or stopped is None or opened.line != stopped.line):
        construct = context.removeprefix("while scanning ").removeprefix("while parsing ")
        message += f", in {construct} that opened on line {opened.line + 1}, column {opened.column + 1}"
    mark = opened if (at_end or stopped is None) and opened is not None else stopped
    return YamlError(message, mark.line + 1 if mark is not None else None)


def parse(data: bytes | str) -> Node | None:
    """Parse one YAML document; None for an empty file."""
    text = decode(data) if isinstance(data, bytes) else data
    if len(text) > MAX_FILE_BYTES:
        raise YamlError(f"file is larger than {MAX_FILE_BYTES} bytes")
    check_nesting(text)  # before the composer, which recurses without a limit of its own
    parsers = _parsing()
    tree = parsers.fast_tree(text)
    return parsers.classic_tree(text) if tree is _UNUSUAL else cast("Node | None", tree)


class _Open:
    """A collection as the fast composer makes it: ruamel sets its end once its items are in."""

    __slots__ = ("end_mark", "flow_style", "start_mark", "value")

    def __init__(self, tag: Any, value: Any, start_mark: Any, end_mark: Any, flow_style: Any) -> None:
        self.value = value
        self.start_mark = start_mark
        self.end_mark = end_mark
        self.flow_style = flow_style


class _OpenSeq(_Open):
    __slots__ = ()


class _OpenMap(_Open):
    __slots__ = ()


class _Unusual(Exception):
    """What the fast way leaves to the classic one, which says what is wrong."""


_UNUSUAL: Any = object()

# Scalars of every style and schema type, tags, a flow and a block collection, a key that
# is not a string: what the fast way must read exactly as the classic one.
_PROBE = """\
a: [1, 0x1f, -2.5e3, .inf, ~, true, False, 'q', "d\\t", !!str 3, !custom x]
? 7
: - |
    block
  - >-
    folded
  - {k: null, "": plain text}
"""


def _built(node: _Open, count: list[int], depth: int) -> Node:
    """Our Seq or Map from the fast composer's collection, its scalars already ours; the
    node budget and depth are counted as `_Converter` counts them."""
    count[0] += 1
    if count[0] > MAX_NODES or depth > MAX_DEPTH:
        raise _Unusual
    start, end = node.start_mark, node.end_mark
    if node.__class__ is _OpenSeq:
        items: list[Node] = []
        for child in node.value:
            if child.__class__ is Scalar:
                count[0] += 1
                if count[0] > MAX_NODES or depth >= MAX_DEPTH:
                    raise _Unusual
                items.append(child)
            else:
                items.append(_built(child, count, depth + 1))
        return Seq(items, start.line + 1, start.column + 1, end.line + 1, bool(node.flow_style), end.column + 1)
    entries: dict[str, tuple[Scalar, Node]] = {}
    for key, value in node.value:
        if key.__class__ is not Scalar:
            raise _Unusual
        name = key.raw if key.value is None else _key_text(key)
        if name in entries:
            raise _Unusual
        if value.__class__ is Scalar:
            count[0] += 1
            if count[0] > MAX_NODES or depth >= MAX_DEPTH:
                raise _Unusual
            entries[name] = (key, value)
        else:
            entries[name] = (key, _built(value, count, depth + 1))
    return Map(entries, start.line + 1, start.column + 1, end.line + 1, bool(node.flow_style), end.column + 1)


class _Converter:
    def __init__(self) -> None:
        self.count = 0

    def convert(self, node: Any, depth: int) -> Node:
        self.count += 1
        if self.count > MAX_NODES:
            raise YamlError(
                f"document expands to more than {MAX_NODES} nodes (alias bomb?)",
                node.start_mark.line + 1,
            )
        if depth > MAX_DEPTH:
            raise YamlError(f"nesting deeper than {MAX_DEPTH} levels", node.start_mark.line + 1)
        line = node.start_mark.line + 1
        col = node.start_mark.column + 1
        kind = node.id
        if kind == "scalar":
            return _made_scalar(node.ctag.suffix, node.value, node.start_mark, node.end_mark, node.style)
        end = node.end_mark.line + 1
        end_col = node.end_mark.column + 1
        if kind == "sequence":
            items = [self.convert(child, depth + 1) for child in node.value]
            return Seq(items, line, col, end, bool(node.flow_style), end_col)
        entries: dict[str, tuple[Scalar, Node]] = {}
        for key_node, value_node in node.value:
            if key_node.id != "scalar":
                raise YamlError("mapping keys must be plain values", key_node.start_mark.line + 1)
            key = _made_scalar(
                key_node.ctag.suffix, key_node.value, key_node.start_mark, key_node.end_mark, key_node.style
            )
            name = key.raw if key.value is None else _key_text(key)
            if name in entries:
                raise YamlError(f"duplicate key '{name}' (first on line {entries[name][0].line})", key.line)
            entries[name] = (key, self.convert(value_node, depth + 1))
        return Map(entries, line, col, end, bool(node.flow_style), end_col)


def _key_text(key: Scalar) -> str:
    if isinstance(key.value, str):
        return key.value
    return key.raw


def _made_scalar(tag: str, raw: str, start: Any, end: Any, style: Any) -> Scalar:
    """A scalar as the core schema reads it, from what ruamel's composer knows of it (`tag`:
    `?plain` for an untagged plain scalar); on the fast way, the composer calls this."""
    quoted = bool(style) and style in "'\"|>"
    value: ScalarValue
    if quoted or tag == _STR or (tag == _PLAIN and raw and raw[0] not in _MAY_BE_TYPED):
        value = raw  # most scalars: settled without a call
    else:
        value = _typed(_core_tag(raw) if tag == _PLAIN else tag, raw)
    return Scalar(value, start.line + 1, start.column + 1, raw, quoted, end.line + 1, end.column + 1)


def _typed(tag: str, raw: str) -> ScalarValue:
    """A scalar's value by its resolved tag; the text itself for a string or another tag."""
    if tag == _INT:
        return _int(raw)
    if tag == _FLOAT:
        return _float(raw)
    if tag == _BOOL:
        return raw.lower() == "true"
    if tag == _NULL:
        return None
    return raw


_MAY_BE_TYPED = frozenset("0123456789-+.~nNtTfF")


def _core_tag(raw: str) -> str:
    if not raw:
        return _NULL
    first = raw[0]
    if first not in _MAY_BE_TYPED:  # most scalars: settled without a regex
        return _STR
    if first in "~nN" and _CORE_NULL.match(raw):
        return _NULL
    if first in "tTfF" and _CORE_BOOL.match(raw):
        return _BOOL
    if first in "0123456789-+.":
        if _CORE_INT.match(raw):
            return _INT
        if _CORE_FLOAT.match(raw):
            return _FLOAT
    return _STR


def reads_as_string(text: str) -> bool:
    """Whether `text`, written unquoted, is read back as the same string (not 3.1, true, null)."""
    return _core_tag(text) == _STR


def _int(raw: str) -> int | str:
    text = raw.replace("_", "")
    try:
        if text.lower().startswith(("0x", "-0x", "+0x")):
            return int(text, 16)
        if text.lower().startswith(("0o", "-0o", "+0o")):
            return int(text, 8)
        return int(text, 10)
    except ValueError:
        return raw


def _float(raw: str) -> float | str:
    text = raw.lower()
    if text in (".inf", "+.inf"):
        return math.inf
    if text == "-.inf":
        return -math.inf
    if text == ".nan":
        return math.nan
    try:
        return float(text.replace("_", ""))
    except ValueError:
        return raw


def plain(node: Node | None) -> Any:
    """The node as plain Python data (dict, list, scalars)."""
    if node is None:
        return None
    if isinstance(node, Scalar):
        return node.value
    if isinstance(node, Seq):
        return [plain(item) for item in node.items]
    return {key: plain(value) for key, (_, value) in node.entries.items()}
