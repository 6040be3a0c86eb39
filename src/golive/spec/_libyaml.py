"""YAML events read by libyaml (PyYAML's C parser) in the shape ruamel's composer reads.

ruamel's pure-Python scanner was most of ``golive validate``'s time (about 60 ms for the
storefront spec, whose text libyaml reads in about 1 ms). Only the scanning and parsing move
to C: ruamel's composer (which counts nodes and limits depth), its YAML 1.2 resolver and
golive's round-trip constructor (positions for every key and item, the graph checks) run
on these events unchanged, so the caps, the positions (but an empty value's, placed at the
end of its key's line) and every message but a syntax error's wording stay as they were.
Where PyYAML was built without libyaml, :data:`AVAILABLE` is false and the spec is read by
ruamel alone.
"""

from __future__ import annotations

import importlib
import re
from typing import Any

from ruamel.yaml import events
from ruamel.yaml.composer import MaxDepthExceededError
from ruamel.yaml.error import StreamMark
from ruamel.yaml.parser import ParserError

try:  # PyYAML is a dependency; its C extension is not always built (e.g. from an sdist).
    _c: Any = importlib.import_module("yaml._yaml")
    _pyyaml_error: Any = importlib.import_module("yaml.error")
    AVAILABLE = True
except ImportError:  # pragma: no cover - depends on how PyYAML was installed
    AVAILABLE = False

_LIBYAML_TOO_DEEP = "exceeded maximum nesting depth"

# Line breaks to YAML 1.1 (libyaml) but ordinary characters to YAML 1.2 (ruamel, editors).
_OLD_BREAKS = re.compile("[\x85\u2028\u2029]")


def reads(text: str) -> bool:
    """Whether libyaml reads ``text`` as ruamel does: it is built in, and no NEL, LS or PS
    would move the lines (and fold a value) where YAML 1.2 sees an ordinary character."""
    return AVAILABLE and not _OLD_BREAKS.search(text)


def _tag(tag: str | None) -> str | None:
    # libyaml hands over tags with %-escapes already decoded; ruamel decodes them again.
    return tag.replace("%", "%25") if tag else tag


def _plain_style(style: str | None) -> str | None:
    # libyaml marks a plain scalar with '', ruamel with None.
    return style or None


def _event(source: Any) -> Any:
    """The ruamel event for one PyYAML event (marks are kept: ruamel reads line and column)."""
    kind = type(source).__name__
    start, end = source.start_mark, source.end_mark
    if kind == "ScalarEvent":
        return events.ScalarEvent(
            source.anchor,
            _tag(source.tag),
            source.implicit,
            source.value,
            start,
            end,
            style=_plain_style(source.style),
        )
    if kind in ("MappingStartEvent", "SequenceStartEvent"):
        cls = events.MappingStartEvent if kind == "MappingStartEvent" else events.SequenceStartEvent
        return cls(source.anchor, _tag(source.tag), source.implicit, start, end, flow_style=source.flow_style)
    if kind == "AliasEvent":
        return events.AliasEvent(source.anchor, start, end)
    if kind == "DocumentStartEvent":
        return events.DocumentStartEvent(
            start, end, explicit=source.explicit, version=source.version, tags=source.tags
        )
    if kind == "DocumentEndEvent":
        return events.DocumentEndEvent(start, end, explicit=source.explicit)
    simple = {
        "MappingEndEvent": events.MappingEndEvent,
        "SequenceEndEvent": events.SequenceEndEvent,
        "StreamStartEvent": events.StreamStartEvent,
        "StreamEndEvent": events.StreamEndEvent,
    }
    return simple[kind](start, end)


def _mark(text: str, position: int) -> StreamMark:
    position = max(0, min(position, len(text)))
    line = text.count("\n", 0, position)
    return StreamMark("<unicode string>", position, line, position - (text.rfind("\n", 0, position) + 1))


class EventParser:
    """ruamel's parser interface (check, peek, get, dispose) over libyaml's event stream.

    ``yaml_version`` is the document's ``%YAML`` directive, read by ruamel's resolver (it
    looks for it on the loader's scanner, which this object also stands in for).
    """

    def __init__(self, text: str) -> None:
        """Parse ``text`` (needs :data:`AVAILABLE`)."""
        self._text = text
        self._source: Any = _c.CParser(text)
        self._current: Any = None
        self._done = False
        self.yaml_version: tuple[int, int] | None = None

    def _peek(self) -> Any:
        if self._current is None and not self._done:
            try:
                source = self._source.get_event()
            except _pyyaml_error.MarkedYAMLError as exc:
                if exc.problem == _LIBYAML_TOO_DEEP:  # its own cap (1,000), met while looking ahead
                    raise MaxDepthExceededError(None, None, exc.problem, exc.problem_mark) from None
                raise ParserError(exc.context, exc.context_mark, exc.problem, exc.problem_mark) from None
            except _pyyaml_error.YAMLError as exc:  # a reader error: a character libyaml refuses
                position = getattr(exc, "position", 0)
                where = _mark(self._text, position if isinstance(position, int) else 0)
                raise ParserError(None, None, str(getattr(exc, "reason", exc)), where) from None
            if source is None:
                self._done = True
                return None
            self._current = _event(source)
            if isinstance(self._current, events.DocumentStartEvent):
                self.yaml_version = self._current.version
        return self._current

    def check_event(self, *choices: Any) -> bool:
        """Whether the next event is one of ``choices`` (any event when none are given)."""
        current = self._peek()
        return current is not None and (not choices or isinstance(current, choices))

    def peek_event(self) -> Any:
        """The next event, left in place."""
        return self._peek()

    def get_event(self) -> Any:
        """The next event, consumed."""
        current = self._peek()
        self._current = None
        return current

    def dispose(self) -> None:
        """Free libyaml's parser."""
        self._source.dispose()


__all__ = ["AVAILABLE", "EventParser", "reads"]
