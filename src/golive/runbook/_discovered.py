"""Dependencies of the service as discovery and its compose files name them.

The generator and the ``runbook`` check must agree: every dependency the check will ask a
section for (compose ``depends_on`` of the compose files beside the spec, the environment's
database) gets one here, plus those discovery found (the database in compose or ``.env``,
message brokers). Names that mean the same dependency (``db``, ``postgres``, ``database``)
are one dependency, as the check counts them.
"""

from __future__ import annotations

from pathlib import Path

from golive.discover.facts import ServiceFacts
from golive.runbook._crossref import COMPOSE_FILES, canonical
from golive.runbook._sources import compose_dependencies

__all__ = ["discovered_dependencies"]


def discovered_dependencies(root: Path, facts: ServiceFacts | None) -> list[tuple[str, str]]:
    """(name, where it was found) of every dependency, one per canonical name."""
    found: dict[str, tuple[str, str]] = {}

    def add(name: str, source: str) -> None:
        found.setdefault(canonical(name), (name, source))

    if facts is not None and facts.database is not None:
        db = facts.database.value
        add(db.compose_service or db.kind, f"{facts.database.source} ({db.kind})")
    for broker in facts.brokers if facts is not None else ():
        add(broker.value, str(broker.source))
    compose = [root / n for n in COMPOSE_FILES if (root / n).is_file()]
    for name in compose_dependencies(compose):
        add(name, "compose depends_on")
    return list(found.values())
