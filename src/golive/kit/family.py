"""The one door through which capabilities come into golive: a :class:`Family` declaration.

A family (built-in or a third-party plugin) declares, once, what it contributes:

* ``checks``: check type name → ``"module:Class"``;
* ``params``: check type name → ``"module:Model"``, the type's params model in a light module,
  so validating a spec imports neither the check nor the libraries it runs on;
* ``warnings``: check type name → ``"module:function"``, the type's ``warnings`` hook (see
  :meth:`golive.spec.SpecLoader.warnings`), for a type whose ``params`` are declared;
* ``commands``: CLI sub-apps mounted as ``golive NAME`` → a :class:`Command`;
* ``init``: generators mounted as ``golive init NAME`` → a :class:`Command`;
* ``reporters``: report format → ``"module:Class"``.

Every target is a ``"module:attribute"`` string imported only when used, so ``golive
--help`` and ``golive validate`` stay fast however many families are installed. A family is
advertised in the ``golive.families`` entry-point group; golive's own families are too.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib.metadata import entry_points

from golive.errors import GoliveError

ENTRY_POINT_GROUP = "golive.families"


class FamilyError(GoliveError):
    """A family declaration is broken, or two families claim the same name."""


@dataclass(frozen=True, kw_only=True)
class Command:
    """A lazily imported CLI piece: a Typer app (sub-commands) or a command function."""

    target: str
    help: str


@dataclass(frozen=True, kw_only=True)
class Family:
    """What one family contributes (see the module docstring)."""

    name: str
    help: str = ""
    checks: Mapping[str, str] = field(default_factory=dict)
    params: Mapping[str, str] = field(default_factory=dict)
    warnings: Mapping[str, str] = field(default_factory=dict)
    commands: Mapping[str, Command] = field(default_factory=dict)
    init: Mapping[str, Command] = field(default_factory=dict)
    reporters: Mapping[str, str] = field(default_factory=dict)


def load_target(target: str) -> object:
    """Import ``"module:attribute"``; FamilyError naming the target when it cannot."""
    module, _, attribute = target.partition(":")
    try:
        obj: object = importlib.import_module(module)
        for part in attribute.split(".") if attribute else ():
            obj = getattr(obj, part)
    except (ImportError, AttributeError) as exc:
        raise FamilyError(f"cannot load {target!r}: {exc}") from exc
    return obj


@dataclass(frozen=True, kw_only=True)
class Families:
    """Every installed family, loaded from the entry points; merged views of their parts."""

    families: tuple[Family, ...]

    @classmethod
    def installed(cls) -> Families:
        """The families advertised in the ``golive.families`` entry-point group."""
        found: list[Family] = []
        for ep in sorted(entry_points(group=ENTRY_POINT_GROUP), key=lambda e: e.name):
            try:
                family = ep.load()
            except Exception as exc:  # a broken plugin is named, not a traceback
                raise FamilyError(f"cannot load golive family {ep.name!r} ({ep.value}): {exc}") from exc
            if not isinstance(family, Family):
                raise FamilyError(f"golive family {ep.name!r} ({ep.value}) is not a golive.kit.Family")
            found.append(family)
        return cls(families=tuple(found))

    def _merged(self, part: str) -> dict[str, tuple[str, object]]:
        merged: dict[str, tuple[str, object]] = {}
        for family in self.families:
            for name, target in getattr(family, part).items():
                if name in merged and merged[name][1] != target:
                    raise FamilyError(
                        f"{part[:-1] if part.endswith('s') else part} {name!r} is declared by both "
                        f"family {merged[name][0]!r} and family {family.name!r}"
                    )
                merged[name] = (family.name, target)
        return merged

    def checks(self) -> dict[str, str]:
        """Check type name → target, across families."""
        return {name: str(target) for name, (_, target) in self._merged("checks").items()}

    def params(self) -> dict[str, str]:
        """Check type name → its declared params model target, across families."""
        return {name: str(target) for name, (_, target) in self._merged("params").items()}

    def warnings(self) -> dict[str, str]:
        """Check type name → its declared ``warnings`` hook target, across families."""
        return {name: str(target) for name, (_, target) in self._merged("warnings").items()}

    def commands(self) -> dict[str, Command]:
        """``golive NAME`` sub-apps across families."""
        return {
            name: target
            for name, (_, target) in self._merged("commands").items()
            if isinstance(target, Command)
        }

    def init_commands(self) -> dict[str, Command]:
        """``golive init NAME`` generators across families."""
        return {
            name: target for name, (_, target) in self._merged("init").items() if isinstance(target, Command)
        }

    def reporters(self) -> dict[str, str]:
        """Report format → target, across families."""
        return {name: str(target) for name, (_, target) in self._merged("reporters").items()}
