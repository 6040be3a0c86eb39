"""Starter criteria for testing, CI/CD, security, DR and performance (see ``_spec_criteria``)."""

from __future__ import annotations

from pathlib import PurePosixPath
from typing import Any

from golive.discover._spec_criteria import (
    DR_RUNBOOK_PATH,
    FIX_CI,
    FIX_DR,
    Area,
    Builder,
    criterion,
    found,
    placeholder,
)
from golive.discover.facts import ServiceFacts

_JUNIT_TODO = (
    "TODO: judged by exit code only: make the runner write JUnit XML and use "
    "{type: tests.suite, junit: <its path>} for per-test evidence and flaky tests."
)


def _suite(facts: ServiceFacts, command: str) -> dict[str, Any]:
    """tests.suite for a pytest command (golive adds --junitxml); else a command judged by exit code."""
    pytest = "pytest" in command.replace("/", " ").split()
    check: dict[str, Any] = {
        "type": "tests.suite" if pytest else "command",
        "shell": True,
        "command": command,
    }
    cwd = _workdir(facts, command)
    if cwd:
        check["cwd"] = cwd
    return check


def testing(facts: ServiceFacts) -> Area:
    """The unit suite and, when there is one, the end-to-end suite."""
    b = Builder()
    tests = facts.tests
    risk = "Regressions reach production unnoticed."
    if tests.command:
        check = _suite(facts, tests.command.value)
        b.add(
            criterion("test.unit", "Unit tests pass", "testing", "must", risk, check, timeout="10m"),
            found(tests.command, "test command"),
            found(tests.framework, "test framework"),
            "" if check["type"] == "tests.suite" else _JUNIT_TODO,
        )
    else:
        b.add(
            criterion(
                "test.unit",
                "Unit tests pass",
                "testing",
                "must",
                risk,
                placeholder("write the command that runs the tests (type: tests.suite)"),
                fix="write tests and replace this check with {type: tests.suite, command: ...}",
            ),
            "TODO: golive found no test command.",
        )
    if tests.e2e_command:
        e2e = _suite(facts, tests.e2e_command.value)
        b.add(
            criterion(
                "test.e2e",
                "End-to-end suite passes",
                "testing",
                "should",
                "Users cannot complete the critical paths.",
                e2e,
                timeout="15m",
            ),
            found(tests.e2e_command, "E2E command"),
        )
    else:
        b.todos.append(
            "golive found no end-to-end suite: add one for the critical user paths "
            "(type: tests.suite, critical_marker: ...)."
        )
    b.todos.append(
        "coverage: make the test command write Cobertura XML, then add a tests.coverage "
        "criterion (report: <its path>, min_line: <your gate>)."
    )
    if facts.openapi_path:
        b.add(
            criterion(
                "api.contract",
                "API keeps its OpenAPI contract",
                "testing",
                "should",
                "Clients break on undocumented responses.",
                {"type": "api.contract"},
                timeout="5m",
            ),
            found(facts.openapi_path, "OpenAPI document"),
        )
    return b.area("testing")


def _workdir(facts: ServiceFacts, command: str) -> str | None:
    """The app directory when the command names a file found there and not at the root."""
    if facts.app_dir is None or command.startswith("cd ") or " cd " in command:
        return None  # a command that changes directory itself runs from the root
    app = facts.root / facts.app_dir.value
    for word in command.split():
        if ("/" in word or word.endswith((".sh", ".py"))) and (app / word).exists():
            return None if (facts.root / word).exists() else facts.app_dir.value
    return None


#: Commands that revert every migration, per tool, where the tool has one that needs no names.
_DOWNGRADE = {"alembic": "alembic downgrade base"}


def cicd(facts: ServiceFacts) -> Area:
    """The pipeline: stages, gates, workflow security."""
    b = Builder()
    workflows = [f.value for f in facts.ci_workflows]
    fix = f"add what ci.pipeline lists as missing to {', '.join(workflows)}" if workflows else FIX_CI
    b.add(
        criterion(
            "cicd.pipeline",
            "CI/CD pipeline is complete and gated",
            "cicd",
            "must",
            "Untested or unscanned changes reach production.",
            {"type": "ci.pipeline"},
            fix=fix,
        ),
        *(found(f, "workflow") for f in facts.ci_workflows),
    )
    b.add(
        criterion(
            "sec.workflows",
            "CI workflows have no high-severity weaknesses",
            "cicd",
            "should",
            "A pull request can run code with the repository's token.",
            {"type": "security.workflows"},
            fix=None if workflows else FIX_CI,
        )
    )
    if facts.deploy_command:
        b.todos.append(
            f"deploy: `{facts.deploy_command.value}` ({facts.deploy_command.source}); describe it "
            "in a deploy: section to add a rollback drill (type: deploy.drill)."
        )
    else:
        b.todos.append(
            "golive found no deploy script or command: add a deploy: section, then a "
            "rollback drill (type: deploy.drill)."
        )
    return b.area("cicd")


def security(facts: ServiceFacts) -> Area:
    """SAST, secrets, dependencies, infrastructure as code."""
    b = Builder()
    exclude = sorted({PurePosixPath(f.value).name for f in facts.tests.directories})
    sast: dict[str, Any] = {"type": "security.sast"}
    if exclude:
        sast["exclude"] = exclude
    b.add(
        criterion(
            "sec.sast",
            "No high or critical SAST findings",
            "security",
            "must",
            "Injection and unsafe-code bugs reach production.",
            sast,
        )
    )
    b.add(
        criterion(
            "sec.secrets",
            "No committed secrets in the tree or git history",
            "security",
            "must",
            "Leaked credentials give attackers direct access.",
            {"type": "security.secrets"},
        )
    )
    b.add(
        criterion(
            "sec.dependencies",
            "No known-vulnerable locked dependencies",
            "security",
            "must",
            "Publicly known exploits work against the service.",
            {"type": "security.dependencies"},
            fix="give the check vulnerability data: osv_db (an offline OSV export) or online: auto",
        ),
        *(found(f, "lock file") for f in facts.lockfiles),
        "TODO: osv_db: an offline OSV export, or online: auto where the OSV API is reachable.",
    )
    iac = [*facts.dockerfiles, *facts.compose_files, *facts.kubernetes_manifests]
    if iac:
        b.add(
            criterion(
                "sec.iac",
                "Container and deployment files pass security rules",
                "security",
                "should",
                "Containers run as root or without probes and limits.",
                {"type": "security.iac"},
            ),
            *(found(f, "infrastructure file") for f in iac),
        )
    b.todos.append(
        "live probes (type: security.probe): list the operations that need no credentials "
        "(public_operations) first."
    )
    return b.area("security")


def dr(facts: ServiceFacts) -> Area:
    """Backups, the recovery drill, migrations."""
    b = Builder()
    if facts.database is None:
        b.todos.append(
            "golive found no database: if the service keeps state anywhere, add dr.backup and "
            "dr.drill criteria for it."
        )
    else:
        db = facts.database.value
        b.add(
            criterion(
                "dr.backup",
                "Backups are fresh and readable",
                "dr",
                "must",
                "A restore finds no usable backup, or one older than the data loss accepted.",
                {"type": "dr.backup", "dir": "${BACKUP_DIR}"},
                fix="set dir to where backups are written (or list_command); " + FIX_DR,
            ),
            found(facts.database, f"{db.kind} database"),
            "TODO: dir: where the backups are; golive found no backup job.",
        )
        drill: dict[str, Any] = {
            "type": "dr.drill",
            "start": 'echo "golive TODO: start the service on $RESTORED_DATABASE_URL, listening on '
            '$DRILL_PORT" >&2; exit 1',
            "runbook": DR_RUNBOOK_PATH,
        }
        b.add(
            criterion(
                "dr.drill",
                "Recovery drill restores the database within RTO and RPO",
                "dr",
                "must",
                "Recovery is slower than promised or silently loses data.",
                drill,
                timeout="10m",
                fix=FIX_DR,
            ),
            "TODO: start: the command that starts a fresh instance on the restored copy.",
        )
    if facts.migrations is not None:
        b.add(_migrations(facts), found(facts.migrations, "migrations"))
    return b.area("dr")


def _migrations(facts: ServiceFacts) -> dict[str, Any]:
    assert facts.migrations is not None
    m = facts.migrations.value
    check: dict[str, Any] = {"type": "db.migrations"}
    if m.tool == "alembic" and m.directory:
        check["alembic_script_location"] = m.directory
    else:
        cwd = None if m.workdir in ("", ".") else m.workdir
        todo = f'echo "golive TODO: the command that reverts every {m.tool} migration" >&2; exit 1'
        check["commands"] = {
            "upgrade": m.upgrade_command,
            "downgrade": _DOWNGRADE.get(m.tool, todo),
            **({"cwd": cwd} if cwd else {}),
        }
    if facts.database is not None and facts.database.value.kind == "postgresql":
        check["database"] = "postgresql"
    check["code_paths"] = [facts.app_dir.value if facts.app_dir else "."]
    return criterion(
        "db.migrations",
        "Migrations upgrade, downgrade and upgrade again",
        "dr",
        "should",
        "A release cannot be rolled back past a migration.",
        check,
    )


def performance(facts: ServiceFacts) -> Area:
    """A load test against objectives: golive writes no scenario and no threshold it was not given."""
    del facts
    b = Builder()
    b.add(
        criterion(
            "perf.load",
            "Expected traffic meets the latency and error objectives",
            "performance",
            "should",
            "Slow or failing responses under normal traffic.",
            placeholder("write a load scenario (type: load.test) for the objectives"),
            fix="set objectives (latency_p95_ms, error_rate), write a locustfile and replace this "
            "check with {type: load.test, locustfile: ..., users: ..., duration: ...}",
        ),
        "TODO: golive writes no load scenario or threshold it was not given.",
    )
    return b.area("performance")
