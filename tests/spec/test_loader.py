"""The spec loader: every error class, reported all at once with line and column."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from golive.checks.registry import CheckRegistry
from golive.errors import SpecError
from golive.spec import SpecLoader, parse_duration

FIXTURES = Path(__file__).parent.parent / "fixtures" / "specs"

BASE = """\
service:
  name: demo
environments:
  local:
    base_url: http://127.0.0.1:9
criteria:
"""

CRITERION = """\
  - id: {id}
    title: T
    area: docs
    tier: must
    check: {{type: file, path: README.md}}
"""


@pytest.fixture(scope="module")
def loader() -> SpecLoader:
    return SpecLoader(CheckRegistry.default())


def problems(loader: SpecLoader, text: str) -> list[str]:
    with pytest.raises(SpecError) as info:
        loader.loads(text, display="golive.yaml")
    return [str(p) for p in info.value.problems]


def test_valid_spec_loads_with_typed_params(loader: SpecLoader) -> None:
    spec = loader.load(FIXTURES / "valid.yaml")
    assert spec.service.name == "demo"
    assert spec.objectives.rto == 900.0
    health = spec.criterion("svc.health")
    assert health.timeout == 10.0
    assert type(health.check.params).__name__ == "HttpParams"
    assert health.check.params.json_assertions[0].path == "$.status"
    assert spec.path == FIXTURES / "valid.yaml"


def test_every_problem_reported_at_once_with_positions(loader: SpecLoader) -> None:
    found = problems(loader, (FIXTURES / "broken.yaml").read_text())
    assert found == [
        "golive.yaml:6:17: unknown field 'health_pth' (did you mean 'health_path'?)",
        "golive.yaml:8:8: rto: invalid duration '15 minutes': use a number with a unit, "
        "e.g. 500ms, 90s, 15m, 4h, 1h30m",
        "golive.yaml:14:19: unknown check type 'fil' (did you mean 'file'?); see `golive list-checks`",
        "golive.yaml:18:11: tier: Input should be 'must', 'should' or 'nice' (did you mean 'should'?)",
        "golive.yaml:19:50: http check: expect_status: Input should be a valid integer, "
        "unable to parse string as an integer",
        "golive.yaml:20:5: cycle in needs: b -> c -> b",
        "golive.yaml:25:5: command check: a string command runs through a shell: "
        "set shell: true or write an argv list",
        "golive.yaml:27:5: missing required field 'title'",
        "golive.yaml:27:9: duplicate criterion id 'c' (first defined as criteria[2])",
        "golive.yaml:28:12: unknown field 'titel' (did you mean 'title'?)",
        "golive.yaml:31:5: tcp check: missing required field 'port'",
        "golive.yaml:32:13: needs unknown criterion 'zz'",
        "golive.yaml:34:16: waiver for unknown criterion 'aa' (did you mean 'a'?)",
        "golive.yaml:37:14: expires: Input should be a valid date or datetime, "
        "month value is outside expected range of 1-12",
    ]


def test_yaml_syntax_error_has_position(loader: SpecLoader) -> None:
    found = problems(loader, "service:\n  name: [unclosed\n")
    assert len(found) == 1
    assert found[0].startswith("golive.yaml:3:1: YAML syntax error")


def test_duplicate_yaml_key_is_reported(loader: SpecLoader) -> None:
    found = problems(loader, "service:\n  name: a\n  name: b\n")
    assert "YAML syntax error" in found[0] and ":3:" in found[0]


def test_missing_sections(loader: SpecLoader) -> None:
    found = problems(loader, "service: {name: x}\n")
    assert found == ["golive.yaml:1:1: missing required field 'environments'"]


def test_not_a_mapping(loader: SpecLoader) -> None:
    assert "must be a mapping" in problems(loader, "- a\n- b\n")[0]


def test_self_need_and_long_cycle(loader: SpecLoader) -> None:
    text = BASE + "".join(CRITERION.format(id=i) for i in "xyz")
    text = text.replace("    check: {type: file, path: README.md}\n", "", 0)
    lines = text.splitlines(keepends=True)
    out = []
    needs = {"x": "[y]", "y": "[z]", "z": "[x, z]"}
    current = None
    for line in lines:
        out.append(line)
        if line.startswith("  - id: "):
            current = line.split(": ")[1].strip()
        if line.startswith("    check:") and current:
            out.append(f"    needs: {needs[current]}\n")
    found = problems(loader, "".join(out))
    assert any("cycle in needs: x -> y -> z -> x" in f for f in found)
    assert any("criterion 'z' needs itself" in f for f in found)


def test_bad_id_and_bad_regex(loader: SpecLoader) -> None:
    text = BASE + CRITERION.format(id="Bad Id").replace(
        "{type: file, path: README.md}", "{type: command, command: [x], expect_output: '('}"
    )
    found = problems(loader, text)
    assert any("id must be lower-case" in f for f in found)
    assert any("invalid regular expression '('" in f for f in found)


def test_unknown_default_environment(loader: SpecLoader) -> None:
    text = BASE.replace("criteria:\n", "default_environment: prod\ncriteria: []\n")
    assert problems(loader, text) == ["golive.yaml:6:22: unknown environment 'prod'; defined: local"]


def test_directory_without_spec(loader: SpecLoader, tmp_path: Path) -> None:
    with pytest.raises(SpecError, match="no golive.yaml"):
        loader.load(tmp_path)


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("90s", 90), ("15m", 900), ("4h", 14400), ("1h30m", 5400), ("500ms", 0.5), (12, 12)],
)
def test_durations(text: object, seconds: float) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["", "15 minutes", "m5", "-3", "1x", True])
def test_bad_durations(text: object) -> None:
    with pytest.raises(ValueError):
        parse_duration(int(text) if text == "-3" else text)


def test_goal_problems_are_reported_with_the_others(tmp_path: Path) -> None:
    text = textwrap.dedent(
        """
        service: {name: s}
        environments: {local: {base_url: "http://127.0.0.1:1"}}
        criteria:
          - {id: a.one, title: A, area: docs, tier: must, check: {type: tcp, port: 1}}
          - {id: a.two, title: B, area: docs, tier: must, check: {type: tcp, port: 1}}
          - {id: a.three, title: C, area: docs, tier: must, check: {type: tcp, port: 1}}
        goals:
          - {id: g1, title: First, tier: must, criteria: [a.one, a.tow]}
          - {id: g2, title: Second, tier: should, criteria: [a.one]}
        """
    )
    with pytest.raises(SpecError) as info:
        SpecLoader(CheckRegistry.default()).loads(text)
    messages = [str(p) for p in info.value.problems]
    assert any(":9:" in m and "unknown criterion 'a.tow' (did you mean 'a.two'?)" in m for m in messages)
    assert any(":10:" in m and "'a.one' is in goal 'g1' and in goal 'g2'" in m for m in messages)
    assert any("criterion 'a.two' is in no goal" in m for m in messages)
    assert any("criterion 'a.three' is in no goal" in m for m in messages)
