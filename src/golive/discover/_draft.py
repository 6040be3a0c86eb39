"""The facts being gathered: the first source to state a value wins, lists keep every value once."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from golive.discover.facts import Fact


@dataclass(kw_only=True)
class Draft:
    """Mutable facts under discovery; :mod:`golive.discover._discover` freezes them."""

    single: dict[str, Fact[Any]] = field(default_factory=dict)
    multi: dict[str, list[Fact[Any]]] = field(default_factory=dict)
    markers: list[str] = field(default_factory=list)

    def put(self, name: str, fact: Fact[Any] | None) -> None:
        """Record ``fact`` for ``name`` unless an earlier (stronger) source already did."""
        if fact is not None and name not in self.single:
            self.single[name] = fact

    def get(self, name: str) -> Fact[Any] | None:
        """The fact recorded for ``name``, if any."""
        return self.single.get(name)

    def value(self, name: str) -> Any:
        """The value recorded for ``name``, or ``None``."""
        fact = self.single.get(name)
        return None if fact is None else fact.value

    def add(self, name: str, fact: Fact[Any]) -> None:
        """Append ``fact`` to the list ``name`` unless its value is already there."""
        facts = self.multi.setdefault(name, [])
        if all(f.value != fact.value for f in facts):
            facts.append(fact)

    def values(self, name: str) -> list[Any]:
        """The values of the list ``name``."""
        return [f.value for f in self.multi.get(name, [])]
