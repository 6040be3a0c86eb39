"""The published JSON Schema: generated from the models, usable by editors."""

from __future__ import annotations

from pathlib import Path

import jsonschema
import pytest
from ruamel.yaml import YAML

from golive.checks.registry import CheckRegistry
from golive.spec import spec_schema

FIXTURES = Path(__file__).parent.parent / "fixtures" / "specs"


@pytest.fixture(scope="module")
def schema() -> dict:
    return spec_schema(CheckRegistry.default())


def _load(name: str) -> object:
    return YAML(typ="safe").load((FIXTURES / name).read_text())


def test_schema_is_a_valid_json_schema(schema: dict) -> None:
    jsonschema.Draft202012Validator.check_schema(schema)
    assert set(schema["$defs"]["CheckCall"]["properties"]["type"]["enum"]) >= {
        "file",
        "command",
        "http",
        "tcp",
    }


def test_valid_spec_matches_schema(schema: dict) -> None:
    data = _load("valid.yaml")
    # Dates are strings in the YAML 1.2 reading editors use.
    data["waivers"][0]["expires"] = str(data["waivers"][0]["expires"])
    jsonschema.Draft202012Validator(schema).validate(data)


def test_schema_rejects_what_the_loader_rejects(schema: dict) -> None:
    data = _load("valid.yaml")
    data["waivers"] = []
    data["criteria"][0]["check"] = {"type": "file", "pth": "README.md"}
    errors = list(jsonschema.Draft202012Validator(schema).iter_errors(data))
    assert errors
