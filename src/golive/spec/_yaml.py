"""Reading and parsing YAML that golive did not write: bounded, located, never an internal error.

A spec comes from a person or a generator, so every way YAML can go wrong must end as a
:class:`~golive.errors.SpecError` at a ``line:col`` in the file, quickly and in little memory:
a FIFO or a device as the spec path, a file too large, bytes that are not UTF-8, control
characters, a tag applied to a value it cannot hold (``!!int abc``), an integer too large to
print, nesting too deep for a recursive walk, a recursive alias, and an alias bomb (a few
hundred bytes that expand to billions of values).
"""

from __future__ import annotations

import os
import re
import stat
import types
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.composer import Composer, ComposerError, MaxDepthExceededError
from ruamel.yaml.constructor import ConstructorError, RoundTripConstructor
from ruamel.yaml.error import MarkedYAMLError, ReusedAnchorWarning, YAMLError
from ruamel.yaml.nodes import MappingNode, Node, SequenceNode
from ruamel.yaml.resolver import VersionedResolver
from ruamel.yaml.scanner import RoundTripScanner, ScannerError

from golive.errors import SpecError, SpecProblem
from golive.spec import _libyaml

MAX_SPEC_BYTES = 256 * 1024
"""A spec file larger than this is refused before it is parsed.

Twelve times the storefront example; ruamel reads comment-heavy YAML at about 150 kB a second
here, so the cap also bounds the time a pathological file can take.
"""

MAX_DEPTH = 100
"""Deepest nesting of mappings and lists, aliases expanded (a real spec needs about ten)."""

MAX_VALUES = 20_000
"""Most values (keys, scalars, lists, mappings) a document may hold, aliases expanded.

The storefront example holds about 1,300; ruamel composes some 20,000 a second, so the cap
also bounds the time a pathological file can take.
"""

MAX_INT_BITS = 332
"""Integers over about 100 digits are refused: no setting needs one, and printing them can fail."""

ECHO_LIMIT = 80
"""Longest piece of the input a message repeats."""

# What YAML itself refuses (the YAML 1.2 printable set); found here to report line and column.
_NON_PRINTABLE = re.compile("[^\x09\x0a\x0d\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def shown(value: object, limit: int = ECHO_LIMIT) -> str:
    """``repr(value)`` cut to ``limit`` characters, so a message never echoes a huge input."""
    text = value if isinstance(value, str) else type(value).__name__
    if len(text) > limit:
        return repr(text[:limit]) + f"… ({len(text)} characters)"
    return repr(text)


def bounded(message: str, limit: int = 4 * ECHO_LIMIT) -> str:
    """A message cut to ``limit`` characters (it may quote input we did not write)."""
    return message if len(message) <= limit else message[:limit] + "…"


def _whole_file(display: str, message: str) -> SpecError:
    # Line 0: the problem is the file itself, not a place in it (printed without a position).
    return SpecError([SpecProblem(file=display, line=0, col=0, message=message)])


def read_text(path: Path, display: str | None = None) -> str:
    """The text of a spec-like file; SpecError saying what to do when it cannot be read.

    Only a regular file is opened, and without blocking, so a FIFO or ``/dev/zero`` given as
    the spec path is refused instead of hanging; the size is capped at :data:`MAX_SPEC_BYTES`.
    """
    name = display or str(path)
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOCTTY", 0))
    except FileNotFoundError:
        raise _whole_file(name, "file not found; check the path") from None
    except PermissionError:
        raise _whole_file(name, "cannot read: permission denied; check the file's permissions") from None
    except OSError as exc:
        raise _whole_file(name, f"cannot read: {exc.strerror or exc}") from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            kind = "a directory" if stat.S_ISDIR(info.st_mode) else "not a regular file"
            raise _whole_file(name, f"cannot read: {kind}; pass a YAML file")
        if info.st_size > MAX_SPEC_BYTES:
            raise _whole_file(name, _too_large(info.st_size))
        data = os.read(fd, MAX_SPEC_BYTES + 1)
    except OSError as exc:
        raise _whole_file(name, f"cannot read: {exc.strerror or exc}") from None
    finally:
        os.close(fd)
    if len(data) > MAX_SPEC_BYTES:
        raise _whole_file(name, _too_large(len(data)))
    return decode(data, name)


def _too_large(size: int) -> str:
    return f"the file is {size:,} bytes; a spec may be at most {MAX_SPEC_BYTES:,} bytes (256 KiB)"


def decode(data: bytes, display: str) -> str:
    """UTF-8 text (a BOM is dropped); a located SpecError at the first byte that is not UTF-8."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        start = exc.start + (3 if data.startswith(b"\xef\xbb\xbf") else 0)
        before = data[:start]
        line = before.count(b"\n") + 1
        col = len(before[before.rfind(b"\n") + 1 :].decode("utf-8", "replace")) + 1
        raise SpecError(
            [
                SpecProblem(
                    file=display,
                    line=line,
                    col=col,
                    message=f"byte 0x{data[start]:02x} is not UTF-8; save the file as UTF-8",
                )
            ]
        ) from None


def _position(text: str, index: int) -> tuple[int, int]:
    line = text.count("\n", 0, index) + 1
    return line, index - (text.rfind("\n", 0, index) + 1) + 1


def _located(display: str, line: int, col: int, message: str) -> SpecError:
    return SpecError([SpecProblem(file=display, line=line, col=col, message=bounded(message))])


def parse(text: str, display: str) -> Any:
    """YAML text as round-trip data with positions; a located SpecError for anything wrong."""
    if len(text) > MAX_SPEC_BYTES:
        raise _whole_file(display, _too_large(len(text.encode("utf-8", "replace"))))
    bad = _NON_PRINTABLE.search(text)
    if bad:
        line, col = _position(text, bad.start())
        raise _located(
            display,
            line,
            col,
            f"control character U+{ord(bad.group()):04X} is not allowed in YAML; remove it",
        )
    try:
        with warnings.catch_warnings():
            # A reused anchor is valid YAML (the later definition wins); not worth a stderr line.
            warnings.simplefilter("ignore", ReusedAnchorWarning)
            return _load(text) if _libyaml.reads(text) else _load_pure(text)
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        raise _located(display, line, col, _yaml_message(exc)) from None
    except YAMLError as exc:
        position = getattr(exc, "position", None)
        line, col = _position(text, position) if isinstance(position, int) else (1, 1)
        raise _located(display, line, col, f"YAML error: {str(exc).splitlines()[0]}") from None
    except RecursionError:
        # The guards above should make this unreachable; a message beats a traceback.
        raise _located(display, 1, 1, f"the YAML is nested too deeply (limit {MAX_DEPTH})") from None


def _load_pure(text: str) -> Any:
    """The document read by ruamel alone (where libyaml would not read it alike)."""
    yaml = YAML(typ="rt")
    yaml.Scanner = _Scanner
    yaml.Composer = _Composer
    yaml.Constructor = _Constructor
    yaml.max_depth = MAX_DEPTH
    return yaml.load(text)


class _Loader:
    """What ruamel's composer, resolver and constructor read from their loader.

    The events come from libyaml; the rest is ruamel's round-trip loading, with golive's
    composer and constructor.
    """

    max_depth = MAX_DEPTH
    comment_handling = None

    def __init__(self, parser: _libyaml.EventParser) -> None:
        self._parser = parser
        self._scanner = parser  # the resolver reads the %YAML version from the scanner
        resolver = VersionedResolver(loader=self)
        self._resolver = resolver  # ruamel's base resolver stores the loader there, not itself
        self._composer = _Composer(loader=self)
        self._constructor = _Constructor(loader=self)


def _load(text: str) -> Any:
    """The document: libyaml's events, composed and constructed by ruamel (round-trip)."""
    parser = _libyaml.EventParser(text)
    try:
        return _Loader(parser)._constructor.get_single_data()
    finally:
        parser.dispose()


class _Refused(ConstructorError):
    """A value golive refuses to build (its message is complete, not a YAML syntax error)."""


def _node_error(node: Node, message: str) -> ConstructorError:
    return _Refused(None, None, message, node.start_mark)


_LONG_QUOTE = re.compile(r'"([^"\n]{' + str(ECHO_LIMIT) + r'})[^"\n]+"')


def _yaml_message(exc: MarkedYAMLError) -> str:
    """ruamel's words for a problem, without a long echo of the input or advice meant for code."""
    if isinstance(exc, _Refused) or exc.problem in (_TOO_DEEP, _TOO_MANY):
        return str(exc.problem)
    if isinstance(exc, MaxDepthExceededError):
        return _TOO_DEEP
    problem = _LONG_QUOTE.sub(lambda m: f'"{m.group(1)}…"', str(exc.problem or exc))
    return f"YAML syntax error: {problem}"


def _children(node: Node) -> list[Node]:
    if isinstance(node, MappingNode):
        return [n for pair in node.value for n in pair]
    if isinstance(node, SequenceNode):
        return list(node.value)
    return []


def check_graph(root: Node) -> None:
    """Refuse recursive aliases, and documents too deep or too large once aliases are expanded.

    One walk over the distinct nodes (an alias is the same node reached twice), so an alias
    bomb is measured in time proportional to its text, not to its expansion.
    """
    sizes: dict[int, tuple[int, int]] = {}  # id(node) -> (values, depth) once expanded
    on_path: set[int] = set()
    stack: list[tuple[Node, bool]] = [(root, False)]
    while stack:
        node, finished = stack.pop()
        key = id(node)
        if finished:
            on_path.discard(key)
            parts = [sizes[id(child)] for child in _children(node)]
            values = 1 + sum(p[0] for p in parts)
            depth = 1 + max((p[1] for p in parts), default=0)
            if values > MAX_VALUES:
                raise _node_error(node, f"aliases here expand to {_TOO_MANY}")
            if depth > MAX_DEPTH:
                raise _node_error(
                    node, f"this nests deeper than {MAX_DEPTH} levels once aliases are expanded"
                )
            sizes[key] = (values, depth)
            continue
        if key in sizes:
            continue
        on_path.add(key)
        stack.append((node, True))
        for child in _children(node):
            if id(child) in on_path:
                raise _node_error(child, "recursive alias: this anchor contains an alias to itself")
            if id(child) not in sizes:
                stack.append((child, False))


def _guarded(construct: Callable[..., Any]) -> Callable[..., Any]:
    """A constructor whose every failure is a ConstructorError at the node it was building."""

    def fail(node: Node, exc: Exception) -> ConstructorError:
        tag = str(node.tag).rsplit(":", 1)[-1]
        # ruamel asserts that an !!omap, !!pairs or !!set has no key twice.
        detail = str(exc) or ("duplicate key" if isinstance(exc, AssertionError) else type(exc).__name__)
        return _node_error(node, f"cannot read this value as {shown(tag)}: {bounded(detail, ECHO_LIMIT)}")

    def run(gen: Iterator[Any], node: Node) -> Iterator[Any]:
        try:
            yield from gen
        except MarkedYAMLError:
            raise
        except Exception as exc:
            raise fail(node, exc) from None

    def wrapper(self: Any, *args: Any) -> Any:
        node = args[-1]
        try:
            data = construct(self, *args)
        except MarkedYAMLError:
            raise
        except Exception as exc:
            raise fail(node, exc) from None
        if isinstance(data, types.GeneratorType):
            return run(data, node)
        if isinstance(data, int) and not isinstance(data, bool) and data.bit_length() > MAX_INT_BITS:
            raise _node_error(node, "integer with more than 100 digits; no setting takes one")
        return data

    return wrapper


_TOO_MANY = (
    f"more than {MAX_VALUES:,} values; a spec this large is refused (split it, or write fewer aliases)"
)
_TOO_DEEP = f"YAML nested deeper than {MAX_DEPTH} levels; flatten the structure"


class _Scanner(RoundTripScanner):
    """Refuses deep ``[[[[`` early: the scanner's look-ahead is quadratic in flow depth."""

    def fetch_flow_collection_start(self, TokenClass: Any, to_push: Any) -> None:
        if len(self.flow_context) >= MAX_DEPTH:
            raise ScannerError(None, None, _TOO_DEEP, self.reader.get_mark())
        super().fetch_flow_collection_start(TokenClass, to_push)


class _Composer(Composer):
    """Counts the nodes it composes, so a huge document stops early instead of after seconds."""

    composed = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        node = super().compose_node(parent, index)
        self.composed += 1
        if self.composed > MAX_VALUES:
            raise ComposerError(None, None, _TOO_MANY, node.start_mark)
        return node


class _Constructor(RoundTripConstructor):
    """Round-trip constructor that checks the node graph first and locates every failure.

    Dates stay text, so that pydantic validates them with a located message.
    """

    def construct_document(self, node: Any) -> Any:
        check_graph(node)
        return super().construct_document(node)


_Constructor.yaml_constructors = {
    tag: _guarded(fn) for tag, fn in RoundTripConstructor.yaml_constructors.items()
}
_Constructor.yaml_multi_constructors = {
    tag: _guarded(fn) for tag, fn in RoundTripConstructor.yaml_multi_constructors.items()
}
_Constructor.yaml_constructors["tag:yaml.org,2002:timestamp"] = _guarded(
    RoundTripConstructor.construct_yaml_str
)
