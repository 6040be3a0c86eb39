"""A Python service for which discovery found everything: its generated pipeline is complete.

``golive init ci`` on it must write a pipeline that ``ci.pipeline`` passes with every stage
and gate; tests of ``ci.pipeline`` start from that pipeline and break one thing at a time.
"""

from __future__ import annotations

from pathlib import Path

from golive.discover.facts import Database, Fact, Language, ServiceFacts, Source, Tests
from golive.testing._init_ci import options_from_facts, write

__all__ = ["complete_service", "write_complete_pipeline"]

_PYPROJECT = """\
[build-system]
requires = ["hatchling"]
build-backend = "hatchling.build"

[project]
name = "shop"
version = "1.0"
requires-python = ">=3.12"

[project.optional-dependencies]
dev = ["pytest>=8", "pytest-cov>=5", "playwright>=1.42", "ruff", "bandit"]
"""


def _f(value: str, path: str = "pyproject.toml") -> Fact[str]:
    return Fact(value=value, source=Source(path=path))


def complete_service(root: Path) -> ServiceFacts:
    """Write a tiny Python project at ``root``; the facts discovery finds in it."""
    (root / "src" / "shop").mkdir(parents=True, exist_ok=True)
    (root / "src" / "shop" / "__init__.py").write_text('"""Shop."""\n')
    (root / "pyproject.toml").write_text(_PYPROJECT)
    return ServiceFacts(
        root=root,
        name=_f("shop"),
        languages=(Fact(value=Language.PYTHON, source=Source(path="pyproject.toml")),),
        package_manager=_f("pip"),
        python_version=_f("3.12"),
        health_path=_f("/health", "src/shop/app.py"),
        readiness_path=_f("/ready", "src/shop/app.py"),
        database=Fact(
            value=Database(kind="postgresql", url_env="SHOP_DATABASE_URL"), source=Source(path=".env")
        ),
        tests=Tests(
            command=_f("python -m pytest tests"),
            e2e_command=_f("python -m pytest e2e"),
            markers=("postgres",),
        ),
        lint_command=_f("ruff check ."),
        deploy_command=_f('./scripts/release.sh "$DEPLOY_ENV" "$DEPLOY_VERSION"', "scripts/release.sh"),
        rollback_command=_f('./scripts/release.sh "$DEPLOY_ENV" --previous', "scripts/release.sh"),
        default_branch=_f("trunk", ".git"),
    )


def write_complete_pipeline(root: Path, *, coverage: int = 80) -> ServiceFacts:
    """The complete service at ``root`` with the workflows ``golive init ci`` writes for it."""
    facts = complete_service(root)
    write(root, options_from_facts(facts, coverage=coverage))
    return facts
