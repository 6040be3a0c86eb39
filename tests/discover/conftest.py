"""Each fixture service as a real git repository, discovered once per test module."""

from __future__ import annotations

from typing import Any

import pytest

from golive.discover import ServiceFacts, discover
from tests.fixtures.services import make_repo


def discovered(name: str, tmp_path_factory: pytest.TempPathFactory) -> ServiceFacts:
    """Discovery's facts about the fixture ``name`` (a fresh git repository)."""
    return discover(make_repo(name, tmp_path_factory.mktemp(name)))


def at(fact: Any) -> tuple[Any, str, int | None] | None:
    """A fact as (value, source path, source line), for one-line assertions."""
    return None if fact is None else (fact.value, fact.source.path, fact.source.line)


def where(facts: Any) -> list[tuple[Any, str]]:
    """A tuple of facts as [(value, source path)]."""
    return [(f.value, f.source.path) for f in facts]


@pytest.fixture(scope="module")
def fastapi_uv(tmp_path_factory: pytest.TempPathFactory) -> ServiceFacts:
    return discovered("fastapi_uv", tmp_path_factory)


@pytest.fixture(scope="module")
def django_piptools(tmp_path_factory: pytest.TempPathFactory) -> ServiceFacts:
    return discovered("django_piptools", tmp_path_factory)


@pytest.fixture(scope="module")
def flask_poetry(tmp_path_factory: pytest.TempPathFactory) -> ServiceFacts:
    return discovered("flask_poetry", tmp_path_factory)


@pytest.fixture(scope="module")
def node_express(tmp_path_factory: pytest.TempPathFactory) -> ServiceFacts:
    return discovered("node_express", tmp_path_factory)
