"""The spec is read by libyaml's events (src/golive/spec/_libyaml.py), as ruamel alone reads it.

libyaml replaces only ruamel's scanner and parser: every spec in the repository must give the
same tree with the same line and column for every key and item either way, and a mutated spec
both readers accept must give the same values. The hostile inputs run on both readers in
tests/spec/test_hostile_input.py.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml.comments import CommentedMap, CommentedSeq, TaggedScalar

from golive.errors import SpecError
from golive.spec import _libyaml, _yaml
from golive.spec._yaml import MAX_DEPTH
from tests.spec._fuzz import case

REPO = Path(__file__).resolve().parents[2]
SPECS = sorted(
    [
        *REPO.glob("examples/*/golive.yaml"),
        *REPO.glob("tests/fixtures/**/golive.yaml"),
        *REPO.glob("tests/fixtures/specs/*.yaml"),
    ]
)

#: Explicit tags whose value golive reads as text (dates stay text for pydantic to validate).
TEXT_TAGS = {"tag:yaml.org,2002:str", "tag:yaml.org,2002:timestamp"}


def shape(node: Any, *, positions: bool = True) -> Any:
    """Values, types and (with ``positions``) the line and column of every key, value and item."""
    if isinstance(node, CommentedMap):
        items = [
            (k, node.lc.data.get(k) if positions else None, shape(v, positions=positions))
            for k, v in node.items()
        ]
        return ("map", (node.lc.line, node.lc.col) if positions else None, items)
    if isinstance(node, CommentedSeq):
        items = [
            (node.lc.data.get(i) if positions else None, shape(v, positions=positions))
            for i, v in enumerate(node)
        ]
        return ("seq", (node.lc.line, node.lc.col) if positions else None, items)
    if isinstance(node, TaggedScalar):  # compared by identity otherwise
        if str(node.tag) in TEXT_TAGS:  # ruamel alone keeps these tags; libyaml's give the text
            return ("str", node.value)
        return ("tagged", str(node.tag), node.value)
    return (type(node).__name__, node)


def test_the_spec_is_read_by_libyaml() -> None:
    """PyYAML is a dependency and its wheels carry libyaml: the fast reader is the one in use."""
    assert _libyaml.AVAILABLE
    events = _libyaml.EventParser("a: [1, {b: c}]\n")
    try:
        kinds = []
        while events.check_event():
            kinds.append(type(events.get_event()).__name__)
    finally:
        events.dispose()
    assert kinds[:4] == ["StreamStartEvent", "DocumentStartEvent", "MappingStartEvent", "ScalarEvent"]
    assert kinds[-1] == "StreamEndEvent" and len(kinds) == 14


@pytest.mark.parametrize("path", SPECS, ids=lambda p: str(p.relative_to(REPO)))
def test_every_spec_reads_alike_with_every_position(path: Path) -> None:
    text = path.read_text()
    assert shape(_yaml._load(text)) == shape(_yaml._load_pure(text))


def test_mutated_specs_both_readers_accept_read_alike() -> None:
    compared = 0
    for index in range(300):
        text = case(17, index).text
        try:
            fast, pure = _yaml.parse(text, "golive.yaml"), _yaml._load_pure(text)
        except Exception:  # noqa: BLE001 - a case either reader refuses is judged by test_fuzz
            continue
        # Positions are not compared: an empty value sits at the end of its key's line for
        # libyaml, at the start of the next line for ruamel.
        assert shape(fast, positions=False) == shape(pure, positions=False), index
        compared += 1
    assert compared > 100


def test_libyaml_own_nesting_cap_is_reported_as_the_depth_limit() -> None:
    # libyaml looks ahead past golive's limit here and stops at its own (1,000 levels).
    with pytest.raises(SpecError) as info:
        _yaml.parse("owner: " + "[" * 1100, "golive.yaml")
    assert str(info.value).startswith("golive.yaml:1:")
    assert f"nested deeper than {MAX_DEPTH} levels" in str(info.value)


def test_syntax_error_is_located_in_the_libyaml_wording() -> None:
    with pytest.raises(SpecError) as info:
        _yaml.parse("service:\n  name: a\n owner: b\n", "golive.yaml")
    assert str(info.value).startswith("golive.yaml:3:2: YAML syntax error: did not find expected key")


@pytest.mark.parametrize("char", ["\x85", "\u2028", "\u2029"], ids=["NEL", "LS", "PS"])
def test_yaml_1_1_line_breaks_send_the_spec_to_ruamel(char: str) -> None:
    # libyaml would start a new line at each (moving every later position); ruamel reads it.
    text = f"service:\n  name: a{char}b\n  owner: c\n"
    assert not _libyaml.reads(text) and _libyaml.reads(text.replace(char, " "))
    assert shape(_yaml.parse(text, "golive.yaml")) == shape(_yaml._load_pure(text))
