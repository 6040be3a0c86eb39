"""Durations written as ``90s``, ``15m``, ``4h``, ``1h30m``, ``500ms`` or a number of seconds."""

from __future__ import annotations

import math
import re
from typing import Annotated

from pydantic import BeforeValidator, WithJsonSchema

_PART = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m|h|d)")
_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}
DURATION_PATTERN = r"^(\d+(\.\d+)?(ms|s|m|h|d))+$"
MAX_DURATION = 366 * 86400.0
"""The longest duration accepted (a year): anything longer is a typo, or a wait that never ends."""
_MAX_TEXT = 40
_HINT = "use a number with a unit, e.g. 500ms, 90s, 15m, 4h, 1h30m"


def _checked(seconds: float, value: object) -> float:
    if math.isnan(seconds) or seconds < 0:
        raise ValueError("a duration cannot be negative or NaN")
    if seconds > MAX_DURATION:
        shown = "an infinite duration" if math.isinf(seconds) else f"{_short(value)} is longer than a year"
        raise ValueError(f"{shown}: a duration must be finite and at most 366d")
    return seconds


def _short(value: object) -> str:
    text = repr(value)
    return text if len(text) <= _MAX_TEXT else text[:_MAX_TEXT] + "…"


def parse_duration(value: object) -> float:
    """Parse a duration into seconds; raise ValueError with a hint on bad input."""
    if isinstance(value, bool):
        raise ValueError("expected a duration such as 90s, 15m or 4h")
    if isinstance(value, int | float):
        if isinstance(value, int) and value > MAX_DURATION:
            return _checked(math.inf if value.bit_length() > 1000 else float(value), value)
        return _checked(float(value), value)
    if not isinstance(value, str):
        raise ValueError("expected a duration such as 90s, 15m or 4h")
    text = value.strip().replace(" ", "")
    if len(text) > _MAX_TEXT:
        # Also keeps the scan below linear: a long run of digits would make it quadratic.
        raise ValueError(f"invalid duration {_short(value)}: {_HINT}")
    pos, total = 0, 0.0
    for match in _PART.finditer(text):
        if match.start() != pos:
            break
        total += float(match.group(1)) * _UNITS[match.group(2)]
        pos = match.end()
    if pos != len(text) or not text:
        raise ValueError(f"invalid duration {_short(value)}: {_HINT}")
    return _checked(total, value)


def format_duration(seconds: float) -> str:
    """Format seconds the way a person writes a duration (``1h30m``, ``90s``, ``250ms``)."""
    if seconds < 1:
        return f"{seconds * 1000:.0f}ms"
    if seconds < 120:
        return f"{seconds:.3g}s"
    minutes, secs = divmod(int(round(seconds)), 60)
    hours, minutes = divmod(minutes, 60)
    parts = [f"{hours}h" if hours else "", f"{minutes}m" if minutes else "", f"{secs}s" if secs else ""]
    return "".join(parts)


Duration = Annotated[
    float,
    BeforeValidator(parse_duration),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "string", "pattern": DURATION_PATTERN},
                {"type": "number", "minimum": 0, "maximum": MAX_DURATION},
            ],
            "description": "A duration: 500ms, 90s, 15m, 4h, 1h30m, or seconds as a number.",
        }
    ),
]
"""A duration in seconds, parsed from ``90s``-style text."""
