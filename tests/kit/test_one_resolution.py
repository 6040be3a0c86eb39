"""One spec line, one value: a var that references a process variable resolves the same way in
a review, a deploy, ``golive init runbook`` and a runbook ``{verify}`` step (the real CLI each time).
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

from tests.fixtures.httpserver import serve

SPEC = """
service: {name: resolver-demo}
environments:
  staging:
    base_url: "http://127.0.0.1:${SVC_PORT}"
    vars:
      SVC_PORT: "${REAL_PORT}"
      SVC_URL: "http://127.0.0.1:${REAL_PORT}/from-var"
criteria:
  - id: svc.echo
    title: The command sees the var
    area: runbook
    tier: must
    check: {type: command, command: [sh, -c, 'echo "${SVC_URL}" > review.txt']}
  - id: runbook.tested
    title: The runbook is tested
    area: runbook
    tier: must
    check: {type: runbook, path: RUNBOOK.md, sections: [], placeholders: [], write_verified: false}
deploy:
  driver:
    type: command
    deploy: [sh, -c, 'echo "${SVC_URL}" > deploy.txt']
    rollback: ["true"]
  gates: {review: {enabled: false}, alerts: {enabled: false}}
  verify: {analysis: {interval: 0.2s, count: 2}}
"""

RUNBOOK = """# Runbook

## Health checks

```sh {verify name="the var"}
echo "${SVC_URL}" > step.txt
```
"""


def _golive(project: Path, port: int, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "REAL_PORT": str(port)}
    return subprocess.run(
        [sys.executable, "-m", "golive", *args],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )


def test_a_var_resolves_identically_everywhere(tmp_path: Path) -> None:
    project = tmp_path / "svc"
    project.mkdir()
    (project / "golive.yaml").write_text(textwrap.dedent(SPEC))
    (project / "RUNBOOK.md").write_text(RUNBOOK)
    with serve() as base:
        port = int(base.rsplit(":", 1)[1])
        expected = f"http://127.0.0.1:{port}/from-var"
        review = _golive(project, port, "review", ".", "--env", "staging", "--no-history", "-f", "json")
        assert review.returncode == 0, review.stdout + review.stderr
        deploy = _golive(project, port, "deploy", ".", "--env", "staging", "--version", "1.0.0")
        assert deploy.returncode == 0, deploy.stdout + deploy.stderr
        init = _golive(project, port, "init", "runbook", ".", "--env", "staging", "--output", "GENERATED.md")
        assert init.returncode == 0, init.stdout + init.stderr
    assert (project / "review.txt").read_text().strip() == expected
    assert (project / "step.txt").read_text().strip() == expected
    assert (project / "deploy.txt").read_text().strip() == expected
    # init probed the service at base_url, which is built from a var that references REAL_PORT.
    assert f"a probe of http://127.0.0.1:{port}" in (project / "GENERATED.md").read_text()
