"""Discovery: what a repository is (languages, start command, health paths, database, tests, CI).

:func:`golive.discover.discover` reads a repository without running anything and returns
:class:`~golive.discover.facts.ServiceFacts`, every value with the file and line it came
from. ``golive init`` writes a starter spec from them, and every ``init`` generator
(monitoring, ci, runbook, dr) uses them instead of assuming a layout.
"""

from __future__ import annotations

from pathlib import Path

from golive.discover.facts import Database, Fact, Language, Migrations, ServiceFacts, Source, Tests

__all__ = ["Database", "Fact", "Language", "Migrations", "ServiceFacts", "Source", "Tests", "discover"]


def discover(root: Path | str) -> ServiceFacts:
    """Discover the service in the repository at ``root``."""
    from golive.discover._discover import discover_repository

    return discover_repository(Path(root))
