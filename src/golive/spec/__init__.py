"""The readiness spec: models, loading with positioned errors, and the published schema."""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING, Any

from golive.spec._deploy_file import DEPLOY_FILENAME, deploy_config_path, load_deploy_config
from golive.spec._duration import Duration, format_duration, parse_duration
from golive.spec._loader import SpecLoader, find_spec, load_yaml_model
from golive.spec.models import Criterion, Environment, Objectives, Spec, Tiers, Waiver

if TYPE_CHECKING:
    from golive.checks.registry import CheckRegistry


def spec_schema(registry: CheckRegistry) -> dict[str, Any]:
    """The JSON Schema of golive.yaml, generated from the models and every check type.

    ``check`` is written flat (``type`` beside the params), so its schema is a ``oneOf``
    built from each registered type's params model.
    """
    schema = Spec.model_json_schema(mode="validation")
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "golive readiness spec"
    defs = schema.setdefault("$defs", {})
    variants: list[dict[str, Any]] = []
    for name, check_type in registry.items():
        params = copy.deepcopy(registry.params_model(name).model_json_schema(ref_template="#/$defs/{model}"))
        for def_name, definition in params.pop("$defs", {}).items():
            defs.setdefault(def_name, definition)
        props = {"type": {"const": name, "description": check_type.description}}
        props.update(params.get("properties", {}))
        variants.append(
            {
                "title": name,
                "type": "object",
                "properties": props,
                "required": ["type", *params.get("required", [])],
                "additionalProperties": False,
            }
        )
    defs["CheckCall"] = {
        "title": "Check",
        "description": "A check type and its parameters, written flat.",
        "type": "object",
        "required": ["type"],
        "properties": {"type": {"enum": [n for n, _ in registry.items()]}},
        "oneOf": variants,
    }
    return schema


__all__ = [
    "DEPLOY_FILENAME",
    "deploy_config_path",
    "load_deploy_config",
    "Criterion",
    "Duration",
    "Environment",
    "Objectives",
    "Spec",
    "SpecLoader",
    "Tiers",
    "Waiver",
    "find_spec",
    "format_duration",
    "load_yaml_model",
    "parse_duration",
    "spec_schema",
]
