"""The typed registry of check types, filled from the families' declarations.

Check types are listed by name from every installed :class:`~golive.kit.Family` and
imported only when one is asked for. A family may also declare a type's params model and
``warnings`` hook in light modules: validating a spec then imports neither the check
implementation nor the libraries it runs on (httpx, aiohttp, psycopg, Locust...).
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterator, Mapping

from pydantic import BaseModel

from golive.errors import GoliveError
from golive.kit.check import Check
from golive.kit.family import Families, FamilyError, load_target


class RegistryError(GoliveError):
    """A check type could not be registered or found."""


class CheckRegistry:
    """Check types by name. Build one with :meth:`default`; it holds no global state."""

    def __init__(
        self,
        targets: Mapping[str, str] | None = None,
        *,
        params: Mapping[str, str] | None = None,
        warnings: Mapping[str, str] | None = None,
    ) -> None:
        """``targets``: check type name → ``"module:Class"``, imported on first use.

        ``params`` / ``warnings``: check type name → the ``"module:attribute"`` of its params
        model / ``warnings`` hook, read instead of importing the check class (see
        :class:`~golive.kit.family.Family`).
        """
        self._targets = dict(targets or {})
        self._params = {n: t for n, t in (params or {}).items() if n in self._targets}
        self._warnings = {n: t for n, t in (warnings or {}).items() if n in self._params}
        self._types: dict[str, type[Check]] = {}

    @classmethod
    def default(cls) -> CheckRegistry:
        """Every check type of every installed family (golive's own included)."""
        try:
            families = Families.installed()
            return cls(families.checks(), params=families.params(), warnings=families.warnings())
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
        """The params model of a check type (its declared model: the check class is not imported)."""
        declared = self._params.get(name)
        if declared is not None and name not in self._types:
            model = self._load(name, declared)
        else:
            model = getattr(self.get(name), "Params")  # noqa: B009 - a protocol property, read on the class
        if not (isinstance(model, type) and issubclass(model, BaseModel)):
            raise RegistryError(f"check type {name!r} has no pydantic Params model")
        return model

    def warnings_hook(self, name: str) -> Callable[..., list[str]] | None:
        """The check type's ``warnings`` hook, or None; declared params mean a declared hook or none."""
        if name in self._params and name not in self._types:
            declared = self._warnings.get(name)
            hook = self._load(name, declared) if declared is not None else None
        else:
            hook = getattr(self.get(name), "warnings", None)
        return hook if callable(hook) else None

    def _load(self, name: str, target: str) -> object:
        if name not in self._targets:
            raise RegistryError(self.unknown_message(name))
        try:
            return load_target(target)
        except FamilyError as exc:
            raise RegistryError(f"check type {name!r}: {exc}") from None

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
