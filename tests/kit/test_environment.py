"""The one ``${VAR}`` resolver."""

from __future__ import annotations

import pytest

from golive.kit.environment import MissingVariableError, Variables, references, resolve


def test_vars_over_process_environment_and_references_inside_vars() -> None:
    v = Variables(
        environ={"PGURL": "postgresql://db", "A": "process"}, vars={"DB_URL": "${PGURL}/app", "A": "spec"}
    )
    assert v.resolve("${DB_URL} ${A} ${MISSING:-dflt}") == "postgresql://db/app spec dflt"


def test_an_unset_reference_names_the_variable() -> None:
    with pytest.raises(MissingVariableError, match="SECRET is not set"):
        Variables(environ={}, vars={"X": "${SECRET}"}).resolve("${X}")


def test_a_var_that_cannot_resolve_does_not_break_unrelated_text() -> None:
    v = Variables(environ={"A": "1"}, vars={"BROKEN": "${NOPE}"})
    assert v.resolve("${A}") == "1"


def test_empty_value_takes_the_default() -> None:
    assert resolve("${E:-x}", {"E": ""}) == "x"
    assert resolve("${E}", {"E": ""}) == ""


def test_child_env_and_copies() -> None:
    v = Variables(environ={"P": "1"}, vars={"Q": "${P}2"}).with_environ({"G": "gen"})
    env = v.child_env({"R": "${Q}3"})
    assert env["Q"] == "12" and env["R"] == "123" and env["G"] == "gen"
    assert references("${A} and ${B:-c}") == ["A", "B"]
    assert v.resolve_tree({"k": ["${P}", 3]}) == {"k": ["1", 3]}
