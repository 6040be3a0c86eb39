"""The typed registry of check types, filled from the ``golive.checks`` entry-point group."""

from __future__ import annotations

import difflib
from collections.abc import Iterator
from importlib.metadata import entry_points

from pydantic import BaseModel

from golive.checks.base import Check
from golive.errors import GoliveError

ENTRY_POINT_GROUP = "golive.checks"


class RegistryError(GoliveError):
    """A check type could not be registered or found."""


class CheckRegistry:
    """Check types by name. Build one with :meth:`default`; it holds no global state."""

    def __init__(self) -> None:
        self._types: dict[str, type[Check]] = {}

    def register(self, check_type: type[Check]) -> type[Check]:
        """Register a check class under its ``name``; usable as a decorator."""
        for attr in ("name", "description", "Params", "run"):
            if not hasattr(check_type, attr):
                raise RegistryError(f"{check_type.__qualname__} is not a check type: no {attr!r}")
        existing = self._types.get(check_type.name)
        if existing is not None and existing is not check_type:
            raise RegistryError(
                f"check type {check_type.name!r} is registered twice "
                f"({existing.__module__} and {check_type.__module__})"
            )
        self._types[check_type.name] = check_type
        return check_type

    def load_entry_points(self) -> None:
        """Register every check type advertised in the ``golive.checks`` entry-point group."""
        for ep in entry_points(group=ENTRY_POINT_GROUP):
            try:
                obj = ep.load()
            except Exception as exc:  # a broken plugin must not break golive
                raise RegistryError(f"cannot load check plugin {ep.name!r} ({ep.value}): {exc}") from exc
            self.register(obj)

    @classmethod
    def default(cls) -> CheckRegistry:
        """The built-in types plus every installed plugin."""
        from golive.checks import builtin_types

        registry = cls()
        for check_type in builtin_types():
            registry.register(check_type)
        registry.load_entry_points()
        return registry

    def get(self, name: str) -> type[Check]:
        """The check class for a name; RegistryError with a suggestion when unknown."""
        try:
            return self._types[name]
        except KeyError:
            raise RegistryError(self.unknown_message(name)) from None

    def params_model(self, name: str) -> type[BaseModel]:
        """The params model of a check type."""
        model = getattr(self.get(name), "Params")  # noqa: B009 - a protocol property, read on the class
        if not (isinstance(model, type) and issubclass(model, BaseModel)):
            raise RegistryError(f"check type {name!r} has no pydantic Params model")
        return model

    def unknown_message(self, name: str) -> str:
        """'unknown check type' with a did-you-mean."""
        hint = difflib.get_close_matches(name, self._types, n=1)
        extra = f" (did you mean {hint[0]!r}?)" if hint else ""
        return f"unknown check type {name!r}{extra}; see `golive list-checks`"

    def __contains__(self, name: object) -> bool:
        return name in self._types

    def __iter__(self) -> Iterator[str]:
        return iter(sorted(self._types))

    def items(self) -> list[tuple[str, type[Check]]]:
        """Registered (name, class) pairs in name order."""
        return sorted(self._types.items())
