"""OSV range matching, the offline database, lock-file parsing, SBOM and the online API."""

from __future__ import annotations

import json
import threading
import zipfile
from collections.abc import Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from golive.results import Status
from golive.security import _osv
from golive.security._deps import (
    NPM,
    PYPI,
    Package,
    parse_package_lock,
    parse_pyproject,
    parse_requirements,
    parse_toml_lock,
)
from golive.security._sbom import cyclonedx_json
from golive.security.checks import DependenciesCheck
from tests.security.conftest import OSV_DIR, run_check


def pkg(name: str, version: str, eco: str = PYPI) -> Package:
    return Package(name=name, version=version, ecosystem=eco, source="x")


def adv(
    events: list[dict[str, str]],
    *,
    eco: str = PYPI,
    name: str = "lib",
    rtype: str = "ECOSYSTEM",
    **extra: Any,
) -> dict[str, Any]:
    return {
        "id": "T-1",
        "affected": [
            {"package": {"ecosystem": eco, "name": name}, "ranges": [{"type": rtype, "events": events}]}
        ],
        **extra,
    }


@pytest.mark.parametrize(
    ("version", "hit"),
    [("0.9", False), ("1.0", True), ("1.4.2", True), ("1.5rc1", True), ("1.5", False), ("2.0", False)],
)
def test_pep440_introduced_fixed(version: str, hit: bool) -> None:
    assert _osv.affects(adv([{"introduced": "1.0"}, {"fixed": "1.5"}]), pkg("lib", version)) is hit


@pytest.mark.parametrize(("version", "hit"), [("2.3.1", True), ("2.3.1.post1", False), ("1.9", False)])
def test_last_affected_is_inclusive(version: str, hit: bool) -> None:
    record = adv([{"introduced": "2.0.0"}, {"last_affected": "2.3.1"}])
    assert _osv.affects(record, pkg("lib", version)) is hit


def test_multiple_introduced_fixed_pairs() -> None:
    record = adv([{"introduced": "0"}, {"fixed": "1.2"}, {"introduced": "2.0"}, {"fixed": "2.1.3"}])
    hits = [v for v in ("1.1", "1.2", "1.9", "2.0", "2.1.2", "2.1.3") if _osv.affects(record, pkg("lib", v))]
    assert hits == ["1.1", "2.0", "2.1.2"]


@pytest.mark.parametrize(
    ("version", "hit"),
    [("4.17.15", True), ("4.17.19", False), ("4.17.19-beta.1", True), ("3.6.9", False), ("10.0.0", False)],
)
def test_semver_ranges(version: str, hit: bool) -> None:
    record = adv([{"introduced": "3.7.0"}, {"fixed": "4.17.19"}], eco=NPM, name="lodash", rtype="SEMVER")
    assert _osv.affects(record, pkg("lodash", version, NPM)) is hit


def test_semver_precedence() -> None:
    order = [
        "1.0.0-alpha",
        "1.0.0-alpha.1",
        "1.0.0-alpha.beta",
        "1.0.0-beta.2",
        "1.0.0-beta.11",
        "1.0.0-rc.1",
        "1.0.0",
    ]
    parsed = [_osv.SemVer.parse(v) for v in order]
    assert parsed == sorted(parsed)


def test_withdrawn_and_versions_list_and_name_normalisation() -> None:
    record = adv([{"introduced": "0"}, {"fixed": "9"}], name="Py_YAML")
    assert _osv.affects(record, pkg("py-yaml", "5.0"))
    assert not _osv.affects({**record, "withdrawn": "2024-01-01T00:00:00Z"}, pkg("py-yaml", "5.0"))
    listed = {"id": "T-2", "affected": [{"package": {"ecosystem": PYPI, "name": "lib"}, "versions": ["1.0"]}]}
    assert _osv.affects(listed, pkg("lib", "1.0.0"))  # PEP 440: 1.0 == 1.0.0
    assert not _osv.affects(listed, pkg("lib", "1.0.1"))
    assert not _osv.affects(record, pkg("py-yaml", "5.0", NPM))  # other ecosystem


def test_cvss_and_severity() -> None:
    assert _osv.cvss3_base_score("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H") == 9.8
    assert _osv.cvss3_base_score("CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N") == 6.1
    assert _osv.advisory_severity({"database_specific": {"severity": "MODERATE"}}).value == "medium"
    assert _osv.advisory_severity({}).value == "high"  # unknown counts as high


def test_database_from_directory_and_zip(tmp_path: Path) -> None:
    directory = _osv.load_database(OSV_DIR)
    assert directory.count == 4
    archive = tmp_path / "all.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for p in OSV_DIR.rglob("*.json"):
            zf.write(p, p.name)
    zipped = _osv.load_database(archive)
    assert zipped.count == 4
    assert [a["id"] for a in zipped.advisories(pkg("PyYAML", "5.3.1"))] == ["PYSEC-2021-142"]
    age = zipped.age_days(datetime(2024, 11, 22, 5, 3, 9, tzinfo=UTC))
    assert age is not None and 0.9 < age < 1.1


def test_parse_requirements_with_hashes_markers_and_ranges() -> None:
    text = (
        "# comment\n-r base.txt\nPyYAML==5.3.1 \\\n    --hash=sha256:abc \\\n    --hash=sha256:def\n"
        "requests>=2 ; python_version > '3'\n-e .\nflask===2.0.0  # exact\n"
    )
    pins, loose = parse_requirements(text, "requirements.txt")
    assert [(p.name, p.version, p.line) for p in pins] == [("PyYAML", "5.3.1", 3), ("flask", "2.0.0", 8)]
    assert [u.name for u in loose] == ["requests"]


def test_parse_locks() -> None:
    poetry = (
        '[[package]]\nname = "jinja2"\nversion = "2.10"\n\n[[package]]\nname = "me"\nversion = "1"\n'
        'source = { type = "directory", url = "." }\n'
    )
    uv = (
        'version = 1\n[[package]]\nname = "app"\nversion = "0.1"\nsource = { editable = "." }\n\n'
        '[[package]]\nname = "idna"\nversion = "3.6"\nsource = { registry = "https://pypi.org/simple" }\n'
    )
    assert [(p.name, p.version) for p in parse_toml_lock(poetry, "poetry.lock")] == [("jinja2", "2.10")]
    assert [(p.name, p.line) for p in parse_toml_lock(uv, "uv.lock")] == [("idna", 8)]
    v3 = json.dumps(
        {
            "lockfileVersion": 3,
            "packages": {
                "": {"name": "x"},
                "node_modules/a": {"version": "1.0.0"},
                "node_modules/a/node_modules/@s/b": {"version": "2.0.0"},
                "node_modules/l": {"link": True},
            },
        }
    )
    assert {(p.name, p.version) for p in parse_package_lock(v3, "p")} == {("a", "1.0.0"), ("@s/b", "2.0.0")}
    v1 = json.dumps(
        {
            "lockfileVersion": 1,
            "dependencies": {"a": {"version": "1.0.0", "dependencies": {"c": {"version": "3.0.0"}}}},
        }
    )
    assert {(p.name, p.version) for p in parse_package_lock(v1, "p")} == {("a", "1.0.0"), ("c", "3.0.0")}
    pins, loose = parse_pyproject('[project]\ndependencies = ["a==1.0", "b>=2"]\n', "pyproject.toml")
    assert [(p.name, p.line) for p in pins] == [("a", 2)] and [u.name for u in loose] == ["b"]


def test_sbom_is_valid_cyclonedx() -> None:
    from cyclonedx.schema import SchemaVersion
    from cyclonedx.validation.json import JsonStrictValidator

    text = cyclonedx_json("svc", [pkg("PyYAML", "5.3.1"), pkg("@scope/x", "1.0.0", NPM)])
    assert JsonStrictValidator(SchemaVersion.V1_5).validate_str(text) is None
    purls = {c["purl"] for c in json.loads(text)["components"]}
    assert purls == {"pkg:pypi/pyyaml@5.3.1", "pkg:npm/%40scope/x@1.0.0"}


@pytest.fixture
def fake_osv_api() -> Iterator[tuple[str, list[str]]]:
    """A loopback stand-in for the OSV API (querybatch + vulns/{id})."""
    record = json.loads((OSV_DIR / "PyPI" / "PYSEC-2021-142.json").read_text())
    seen: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def _send(self, doc: Any) -> None:
            body = json.dumps(doc).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_POST(self) -> None:  # noqa: N802
            data = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            seen.append(self.path)
            self._send(
                {
                    "results": [
                        {"vulns": [{"id": record["id"]}]} if q["package"]["name"].lower() == "pyyaml" else {}
                        for q in data["queries"]
                    ]
                }
            )

        def do_GET(self) -> None:  # noqa: N802
            seen.append(self.path)
            self._send(record)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", seen
    finally:
        server.shutdown()
        server.server_close()


def test_online_api_is_used_when_asked(fake_osv_api: tuple[str, list[str]], tmp_path: Path) -> None:
    url, seen = fake_osv_api
    (tmp_path / "requirements.txt").write_text("pyyaml==5.3.1\nidna==3.7\n")
    outcome = run_check(DependenciesCheck, {"online": "always", "osv_api": url}, tmp_path)
    assert outcome.status is Status.FAIL and "PYSEC-2021-142" in outcome.evidence.excerpt
    assert seen == ["/v1/querybatch", "/v1/vulns/PYSEC-2021-142"]


def test_auto_falls_back_to_offline_export(tmp_path: Path) -> None:
    (tmp_path / "requirements.txt").write_text("pyyaml==5.4\n")
    outcome = run_check(
        DependenciesCheck,
        {"online": "auto", "osv_api": "http://127.0.0.1:9", "osv_db": str(OSV_DIR)},
        tmp_path,
    )
    assert outcome.status is Status.PASS
    assert "unreachable" in outcome.evidence.excerpt
