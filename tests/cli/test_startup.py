"""Start-up: `golive validate` and `golive --help` import no family code and no heavy library.

Structural, not timed (speed is measured in benchmarks/startup.py): which modules a real
``golive`` process imports, read from ``python -X importtime``.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from golive.checks.registry import CheckRegistry
from golive.kit.family import Families, Family, load_target

STOREFRONT = Path(__file__).resolve().parents[2] / "examples" / "storefront"

HEAVY = (
    "httpx",
    "aiohttp",
    "psycopg",
    "sqlalchemy",
    "locust",
    "gevent",
    "jinja2",
    "prometheus_client",
    "psutil",
    "asyncio",
)
"""Libraries only a running check (or a command that needs them) may import."""


def _imported(*args: str) -> tuple[subprocess.CompletedProcess[str], set[str]]:
    proc = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "golive", *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    names = {
        line.rsplit("|", 1)[1].strip() for line in proc.stderr.splitlines() if line.startswith("import time:")
    }
    return proc, names


def _top(names: set[str]) -> set[str]:
    return {n.split(".")[0] for n in names}


def test_validate_storefront_imports_no_heavy_library_and_no_check_implementation() -> None:
    proc, names = _imported("validate", str(STOREFRONT))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "33 criteria" in proc.stdout
    assert _top(names) & set(HEAVY) == set()
    # The check implementations (and what they run on) stay unimported: only params modules load.
    implementations = {
        "golive.checks.http",
        "golive.dr.checks",
        "golive.load.checks",
        "golive.load._capacity_check",
        "golive.monitoring._drill",
        "golive.monitoring._live",
        "golive.security.checks",
        "golive.testing.suite",
        "golive.runbook.checks",
    }
    assert names & implementations == set()


def test_help_imports_no_family_and_no_pydantic() -> None:
    proc, names = _imported("--help")
    assert proc.returncode == 0, proc.stderr
    assert "validate" in proc.stdout and "plan" in proc.stdout  # own and family commands listed
    assert _top(names) & {*HEAVY, "pydantic", "ruamel", "rich"} == set()


@pytest.mark.parametrize("family", Families.installed().families, ids=lambda f: f.name)
def test_declared_params_and_warnings_are_the_check_classes_own(family: Family) -> None:
    """A declaration that drifted from its class would validate specs with the wrong model."""
    registry = CheckRegistry.default()
    checks, params, warnings = family.checks, family.params, family.warnings
    assert set(params) <= set(checks) and set(warnings) <= set(params)
    for name in checks:
        check_type = registry.get(name)
        if name in params:
            assert load_target(params[name]) is check_type.Params, name
        if name in params:
            declared = load_target(warnings[name]) if name in warnings else None
            assert declared is getattr(check_type, "warnings", None), name


def test_a_fresh_registry_uses_the_declared_model_without_importing_the_check() -> None:
    code = (
        "import sys\n"
        "from golive.checks.registry import CheckRegistry\n"
        "r = CheckRegistry.default()\n"
        "m = r.params_model('dr.backup')\n"
        "hook = r.warnings_hook('load.test')\n"
        "loaded = ['golive.dr.checks' in sys.modules, 'golive.load.checks' in sys.modules]\n"
        "print(m.__name__, hook.__name__, *loaded)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    assert out.stdout.split() == ["BackupParams", "load_test_warnings", "False", "False"]
