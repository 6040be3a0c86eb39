"""A pytest plugin golive loads into the test runs it starts (``-p golive_pytest_props``).

JUnit XML has no markers, so this plugin writes each test's markers and an exact,
absolute node id into the test case's ``<properties>``; golive reads them to select
critical tests by marker and to re-run only the failed tests. It imports nothing but
pytest, so it works in any environment that has pytest, not only golive's.
"""

from __future__ import annotations

from typing import Any


def pytest_collection_modifyitems(items: list[Any]) -> None:
    """Record markers and a re-runnable node id on every collected test."""
    for item in items:
        names = sorted({mark.name for mark in item.iter_markers()})
        _, _, rest = item.nodeid.partition("::")
        arg = str(item.path) + (f"::{rest}" if rest else "")
        item.user_properties.append(("golive.markers", ",".join(names)))
        item.user_properties.append(("golive.arg", arg))
