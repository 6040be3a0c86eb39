"""``api.contract``: fuzz the API against its OpenAPI document with Schemathesis.

Runs the Schemathesis CLI (4.x) in its own process group: no server errors, responses
match the schema, invalid input is rejected with 4xx, optional max response time, and
stateful sequences through the API's links. Credentials never appear on the command line:
they go into a Schemathesis config file as ``${VAR}`` references and into the child's
environment. Every failure is reported with its curl reproducer.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar

from golive.kit.check import CheckContext, CheckError, is_full_url
from golive.kit.outcomes import error
from golive.kit.processes import ProcessResult, find_tool
from golive.kit.text import excerpt, redact
from golive.results import Evidence, Measurement, Outcome, Status
from golive.testing._params import ContractParams, LoginAuth
from golive.testing._schemathesis import ContractFailure, ContractRun, read_json_report, read_junit_failures
from golive.testing.base import TestingError


def _toml_string(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


@dataclass(frozen=True, kw_only=True)
class _Credentials:
    """Secrets for the child's environment, and the config entries that reference them."""

    secrets: dict[str, str] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)
    basic: tuple[str, str] | None = None

    def config(self) -> str:
        """A Schemathesis config file with ``${VAR}`` references, never the secrets."""
        lines = []
        if self.headers:
            lines.append("[headers]")
            lines += [f"{_toml_string(k)} = {_toml_string(v)}" for k, v in self.headers.items()]
        if self.basic is not None:
            lines.append("[auth.basic]")
            lines += [
                f"username = {_toml_string(self.basic[0])}",
                f"password = {_toml_string(self.basic[1])}",
            ]
        return "\n".join(lines) + "\n"


@dataclass(frozen=True, kw_only=True)
class _Files:
    """Where one run keeps its config, reports and log."""

    out: Path

    @property
    def config(self) -> Path:
        """The Schemathesis config file."""
        return self.out / "schemathesis.toml"

    @property
    def junit(self) -> Path:
        """The JUnit report (failures with curl reproducers)."""
        return self.out / "junit.xml"

    @property
    def report(self) -> Path:
        """The JSON report (totals)."""
        return self.out / "report.json"

    @property
    def log(self) -> Path:
        """Schemathesis's output, redacted."""
        return self.out / "output.log"

    def artifacts(self) -> tuple[str, ...]:
        """The files that exist, for the evidence."""
        return tuple(str(p) for p in (self.log, self.junit, self.report, self.config) if p.exists())


def _schema_location(params: ContractParams, ctx: CheckContext) -> str:
    """The OpenAPI document: a local file when one exists at that path, else a URL."""
    location = ctx.resolve(params.schema_ or ctx.environment.openapi_path)
    if not location.startswith(("http://", "https://")) and ctx.path(location).is_file():
        return str(ctx.path(location))
    return ctx.url(location)


def _argv(exe: str, params: ContractParams, files: _Files, location: str, base: str) -> list[str]:
    argv = [exe, "--config-file", str(files.config), "run", location, "--url", base]
    argv += [
        "--checks", ",".join(params.checks),
        "--phases", ",".join(params.phases),
        "--max-examples", str(params.max_examples),
        "--workers", str(params.workers),
        "--mode", params.mode,
        "--request-timeout", f"{params.request_timeout:g}",
        "--generation-database", "none",
        "--report", "junit,json",
        "--report-junit-path", str(files.junit),
        "--report-json-path", str(files.report),
        "--no-color",
    ]  # fmt: skip
    optional = (
        ("--seed", None if params.seed is None else str(params.seed)),
        ("--rate-limit", params.rate_limit),
        (
            "--max-response-time",
            None if params.max_response_time is None else f"{params.max_response_time:g}",
        ),
        ("--include-path-regex", params.include_path_regex or None),
        ("--exclude-path-regex", params.exclude_path_regex or None),
    )
    for flag, value in optional:
        if value is not None:
            argv += [flag, value]
    return argv


def _failures_outcome(
    failures: list[ContractFailure],
    measurements: tuple[Measurement, ...],
    artifacts: tuple[str, ...],
    fallback: str,
) -> Outcome:
    """FAIL naming the failing operations, with every failure's curl reproducers."""
    lines = []
    for f in failures:
        lines.append(f.headline)
        lines += [f"    {c}" for c in f.curl]
    details = "\n\n".join(f"--- {f.operation}\n{f.detail[:1200]}" for f in failures[:5])
    first_curl = next((f.curl[-1] for f in failures if f.curl), fallback)
    ops = sorted({f.operation for f in failures})
    return Outcome(
        status=Status.FAIL,
        summary=f"{len(failures)} contract failures in {', '.join(ops)}: "
        + "; ".join(f.headline for f in failures[:3]),
        measurements=measurements,
        evidence=Evidence(excerpt=excerpt("\n".join(lines) + "\n\n" + details, 6000), artifacts=artifacts),
        reproducer=redact(first_curl),
    )


def _judge(
    params: ContractParams, ctx: CheckContext, result: ProcessResult, files: _Files, reproducer: str
) -> Outcome:
    """Turn Schemathesis's exit and reports into an outcome."""
    output = result.stdout + "\n" + result.stderr
    artifacts = files.artifacts()
    if result.timed_out:
        return error(
            f"Schemathesis did not finish within {ctx.timeout:g}s; it was stopped",
            evidence=Evidence(excerpt=excerpt(output), artifacts=artifacts),
            reproducer=reproducer,
        )
    try:
        failures = read_junit_failures(files.junit) if files.junit.exists() else []
        run = read_json_report(files.report) if files.report.exists() else ContractRun(complete=False)
    except TestingError as exc:
        raise CheckError(str(exc)) from exc
    measurements = (
        Measurement(name="operations", value=run.operations_tested),
        Measurement(name="test_cases", value=run.test_cases),
        Measurement(name="failures", value=len(failures), target="0"),
    )
    if not files.report.exists() or (not failures and (run.errors or result.returncode not in (0, 1))):
        why = "; ".join(run.errors[:3]) or f"exit {result.returncode}"
        return Outcome(
            status=Status.ERROR,
            summary=f"Schemathesis could not test the API: {why}"[:500],
            measurements=measurements,
            evidence=Evidence(excerpt=excerpt(output), artifacts=artifacts),
            reproducer=reproducer,
        )
    if failures:
        return _failures_outcome(failures, measurements, artifacts, reproducer)
    return Outcome(
        status=Status.PASS,
        summary=f"{run.test_cases} generated requests against {run.operations_tested} "
        f"operations: no failures ({', '.join(params.checks)})",
        measurements=measurements,
        evidence=Evidence(excerpt=excerpt(result.stdout, 2000), artifacts=artifacts),
        reproducer=reproducer,
    )


class ContractCheck:
    """Fuzz the API with Schemathesis against its OpenAPI document."""

    #: Disrupts the service (faults, bursts of traffic): nothing else talking to it runs meanwhile.
    exclusive: ClassVar[bool] = True
    #: ...but it times nothing on this machine: offline work (scanners, test suites) runs beside it.
    disruptive: ClassVar[bool] = True
    name: ClassVar[str] = "api.contract"

    @staticmethod
    def times_responses(params: ContractParams) -> bool:
        """With ``max_response_time`` it judges latency: no local CPU work may run beside it."""
        return params.max_response_time is not None

    description: ClassVar[str] = (
        "Schemathesis against the OpenAPI document: no 5xx, schema-conformant, 4xx on bad input."
    )
    Params: ClassVar[type[ContractParams]] = ContractParams
    #: Talks to the service through base_url unless its base_url is a full URL.
    needs_base_url: ClassVar[bool] = True

    @staticmethod
    def uses_base_url(params: ContractParams) -> bool:
        """A full ``base_url`` in the params replaces the environment's."""
        return not is_full_url(params.base_url)

    async def _login(self, ctx: CheckContext, login: LoginAuth) -> str:
        body = {k: ctx.resolve(v) for k, v in login.json_body.items()}
        try:
            response = await ctx.http.post(ctx.url(login.path), json=body, timeout=10.0)
        except Exception as exc:  # httpx raises many kinds; all mean "cannot log in"
            raise CheckError(f"login at {login.path} failed: {type(exc).__name__}") from exc
        if response.status_code >= 400:
            raise CheckError(f"login at {login.path} answered HTTP {response.status_code}")
        try:
            token = response.json()[login.token_field]
        except (ValueError, KeyError, TypeError) as exc:
            raise CheckError(f"login response has no {login.token_field!r}") from exc
        return str(token)

    async def _credentials(self, params: ContractParams, ctx: CheckContext) -> _Credentials:
        """Headers and auth, resolved into the child's environment only."""
        secrets: dict[str, str] = {}
        headers: dict[str, str] = {}
        for i, (name, value) in enumerate(params.headers.items()):
            secrets[f"GOLIVE_ST_H{i}"] = ctx.resolve(value)
            headers[name] = f"${{GOLIVE_ST_H{i}}}"
        auth = params.auth
        if auth is None:
            return _Credentials(secrets=secrets, headers=headers)
        if auth.bearer is not None:
            secrets["GOLIVE_ST_TOKEN"] = ctx.resolve(auth.bearer)
        elif auth.login is not None:
            secrets["GOLIVE_ST_TOKEN"] = await self._login(ctx, auth.login)
        if "GOLIVE_ST_TOKEN" in secrets:
            headers["Authorization"] = "Bearer ${GOLIVE_ST_TOKEN}"
        basic: tuple[str, str] | None = None
        if auth.basic is not None:
            secrets["GOLIVE_ST_USER"] = ctx.resolve(auth.basic["username"])
            secrets["GOLIVE_ST_PASSWORD"] = ctx.resolve(auth.basic["password"])
            basic = ("${GOLIVE_ST_USER}", "${GOLIVE_ST_PASSWORD}")
        return _Credentials(secrets=secrets, headers=headers, basic=basic)

    async def run(self, params: ContractParams, ctx: CheckContext) -> Outcome:
        """Run Schemathesis and turn its reports into an outcome."""
        exe = find_tool("schemathesis")
        if exe is None:
            raise CheckError("schemathesis is not installed (pip install 'schemathesis>=4,<5')")
        base = (ctx.url(params.base_url) if params.base_url else ctx.url("")).rstrip("/")
        ctx.require_target(base, what="fuzzing traffic")
        location = _schema_location(params, ctx)
        credentials = await self._credentials(params, ctx)
        files = _Files(out=ctx.artifacts_dir / "schemathesis")
        files.out.mkdir(parents=True, exist_ok=True)
        files.config.write_text(credentials.config())
        for stale in (files.junit, files.report):
            stale.unlink(missing_ok=True)
        argv = _argv(exe, params, files, location, base)
        result = await ctx.run(
            argv, cwd=files.out, env=credentials.secrets, timeout=max(1.0, ctx.timeout - 2.0)
        )
        files.log.write_text(redact(result.stdout + "\n" + result.stderr))
        shown = ["schemathesis", *(a if a != str(files.config) else "schemathesis.toml" for a in argv[1:])]
        return _judge(params, ctx, result, files, redact(shlex.join(shown)))
