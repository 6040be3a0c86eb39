"""base_url is needed only by checks that talk to the running service."""

from __future__ import annotations

import pytest

from golive.checks.registry import CheckRegistry
from golive.errors import SpecError
from golive.kit.check import needs_base_url
from golive.spec import SpecLoader

HEAD = "service: {name: svc}\nenvironments:\n  local: {}\ncriteria:\n"


def _crit(cid: str, check: str) -> str:
    return f"  - id: {cid}\n    title: t\n    area: docs\n    tier: must\n    check: {check}\n"


def _load(text: str) -> object:
    return SpecLoader(CheckRegistry.default()).loads(text, display="golive.yaml")


def test_a_spec_of_static_checks_needs_no_base_url() -> None:
    spec = _load(
        HEAD + _crit("docs.readme", "{type: file, path: README.md}") + _crit("ci", "{type: ci.pipeline}")
    )
    assert spec.environments["local"].base_url is None  # type: ignore[attr-defined]


def test_a_check_that_needs_base_url_without_one_is_an_error_naming_the_criterion() -> None:
    text = (
        HEAD
        + _crit("docs.readme", "{type: file, path: README.md}")
        + _crit("svc.health", "{type: http, path: /h}")
    )
    with pytest.raises(SpecError) as caught:
        _load(text)
    (problem,) = caught.value.problems
    assert (problem.file, problem.line, problem.col) == ("golive.yaml", 14, 19)
    assert "'svc.health' (http)" in problem.message and "'local' has no base_url" in problem.message


def test_a_full_url_or_an_own_host_needs_no_base_url() -> None:
    _load(
        HEAD
        + _crit("a", "{type: http, path: 'http://127.0.0.1:9/x'}")
        + _crit("b", "{type: tcp, host: db, port: 5432}")
    )
    with pytest.raises(SpecError):
        _load(HEAD + _crit("c", "{type: tcp, port: 5432}"))


def test_up_without_base_url_is_an_error() -> None:
    text = "service: {name: svc}\nenvironments:\n  local:\n    up: [./up.sh]\ncriteria: []\n"
    with pytest.raises(SpecError) as caught:
        _load(text)
    assert "has `up` but no base_url" in caught.value.problems[0].message


@pytest.mark.parametrize(
    ("check_type", "needed"),
    [
        ("http", True),
        ("load.test", True),
        ("security.probe", True),
        ("api.contract", True),
        ("alert.drill", True),
        ("file", False),
        ("runbook", False),
        ("ci.pipeline", False),
        ("security.sast", False),
    ],
)
def test_check_types_declare_whether_they_need_base_url(check_type: str, needed: bool) -> None:
    registry = CheckRegistry.default()
    model = registry.params_model(check_type)
    defaults = {"http": {"path": "/x"}, "load.test": {"locustfile": "l.py"}, "file": {"path": "f"}}
    alert = {
        "alert": "A",
        "fault": {"description": "d", "inject": {"command": ["true"]}, "remove": {"command": ["true"]}},
    }
    params = model.model_validate(
        {**defaults.get(check_type, {}), **(alert if check_type == "alert.drill" else {})}
    )
    assert needs_base_url(registry.get(check_type), params) is needed
