"""The base_url rule: a spec of static checks needs none, a check that talks to the service does.

``base_url`` is optional on an environment. A criterion whose check type declares
``needs_base_url`` (see :func:`golive.kit.check.needs_base_url`) in a spec with an environment
that has no ``base_url`` is a spec error naming the criterion and the environment, and so is
an ``up`` command (golive waits for ``base_url`` + ``health_path`` after starting the stack).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from golive.kit.check import needs_base_url
from golive.spec._yaml import shown

if TYPE_CHECKING:
    from golive.checks.registry import CheckRegistry

Loc = tuple[str | int, ...]


def _without_base_url(data: Mapping[str, Any]) -> list[str]:
    envs = data.get("environments")
    if not isinstance(envs, dict):
        return []
    return [name for name, env in envs.items() if isinstance(env, dict) and not env.get("base_url")]


def base_url_problems(
    data: Mapping[str, Any],
    typed: Mapping[int, Any],
    registry: CheckRegistry,
    add: Callable[[Loc, str], None],
) -> None:
    """Report criteria (``typed``: index → validated params) and ``up`` commands that lack a base_url."""
    missing = _without_base_url(data)
    if not missing:
        return
    envs = data["environments"]
    for name in missing:
        if envs[name].get("up"):
            add(
                ("environments", name, "up"),
                f"environment {shown(name)} has `up` but no base_url: golive waits for "
                "base_url + health_path after starting the stack; set base_url",
            )
    where = ", ".join(shown(n) for n in missing)
    raw = data.get("criteria")
    for index, params in typed.items():
        criterion = raw[index] if isinstance(raw, list) else {}
        ctype = criterion["check"]["type"]
        if not needs_base_url(registry.get(ctype), params):
            continue
        add(
            ("criteria", index, "check", "type"),
            f"criterion {shown(criterion.get('id', f'criteria[{index}]'))} ({ctype}) talks to the running "
            f"service, but environment {where} has no base_url: set base_url "
            "(e.g. http://127.0.0.1:8000) or remove the criterion",
        )
