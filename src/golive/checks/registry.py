"""The typed registry of check types, filled from the families' declarations.

Check types are listed by name from every installed :class:`~golive.kit.Family` and
imported only when one is asked for, so validating a spec imports just the types it uses.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterator, Mapping

from pydantic import BaseModel

from golive.errors import GoliveError
from golive.kit.check import Check
from golive.kit.family import Families, FamilyError, load_target


class RegistryError(GoliveError):
    """A check type could not be registered or found."""


class CheckRegistry:
    """Check types by name. Build one with :meth:`default`; it holds no global state."""

    def __init__(self, targets: Mapping[str, str] | None = None) -> None:
        """``targets``: check type name → ``"module:Class"``, imported on first use."""
        self._targets = dict(targets or {})
        self._types: dict[str, type[Check]] = {}

    @classmethod
    def default(cls) -> CheckRegistry:
        """Every check type of every installed family (golive's own included)."""
        try:
            return cls(Families.installed().checks())
        except FamilyError as exc:
            raise RegistryError(str(exc)) from None

    def register(self, check_type: type[Check]) -> type[Check]:
        """Register a check class under its ``name``; usable as a decorator."""
        for attr in ("name", "description", "Params", "run"):
            if not hasattr(check_type, attr):
                raise RegistryError(f"{check_type.__qualname__} is not a check type: no {attr!r}")
        target = f"{check_type.__module__}:{check_type.__qualname__}"
        existing = self._types.get(check_type.name)
        declared = self._targets.get(check_type.name, target)
        if (existing is not None and existing is not check_type) or declared != target:
            first = existing.__module__ if existing is not None else declared
            raise RegistryError(
                f"check type {check_type.name!r} is registered twice ({first} and {check_type.__module__})"
            )
        self._types[check_type.name] = check_type
        self._targets[check_type.name] = target
        return check_type

    def get(self, name: str) -> type[Check]:
        """The check class for a name; RegistryError with a suggestion when unknown."""
        loaded = self._types.get(name)
        if loaded is not None:
            return loaded
        target = self._targets.get(name)
        if target is None:
            raise RegistryError(self.unknown_message(name))
        try:
            obj = load_target(target)
        except FamilyError as exc:
            raise RegistryError(f"check type {name!r}: {exc}") from None
        if not isinstance(obj, type) or getattr(obj, "name", None) != name:
            raise RegistryError(f"check type {name!r} ({target}) is not a check class named {name!r}")
        return self.register(obj)

    def params_model(self, name: str) -> type[BaseModel]:
        """The params model of a check type."""
        model = getattr(self.get(name), "Params")  # noqa: B009 - a protocol property, read on the class
        if not (isinstance(model, type) and issubclass(model, BaseModel)):
            raise RegistryError(f"check type {name!r} has no pydantic Params model")
        return model

    def unknown_message(self, name: str) -> str:
        """'unknown check type' with a did-you-mean."""
        hint = difflib.get_close_matches(name, self._targets, n=1)
        extra = f" (did you mean {hint[0]!r}?)" if hint else ""
        return f"unknown check type {name!r}{extra}; see `golive list-checks`"

    def __contains__(self, name: object) -> bool:
        return name in self._targets

    def __iter__(self) -> Iterator[str]:
        return iter(sorted(self._targets))

    def items(self) -> list[tuple[str, type[Check]]]:
        """Registered (name, class) pairs in name order (imports every type)."""
        return [(name, self.get(name)) for name in sorted(self._targets)]
