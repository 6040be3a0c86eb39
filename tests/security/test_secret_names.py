"""A high-entropy literal assigned to a secret-like name is a high finding, in any syntax.

Before issue #14 detect-secrets' heuristics reported ``partner_api_key = "<40 hex digits>"``
only as medium (Hex High Entropy String + Secret Keyword), below the default gate: a leaked
non-vendor key passed. One real detect-secrets scan over a tree of planted files.
"""

from __future__ import annotations

import json
import secrets
from pathlib import Path
from typing import Any

import pytest

from golive.results import Outcome, Status
from golive.security import checks as sec
from golive.security._secret_rule import looks_random, scan_text
from golive.security.render import from_json
from tests.security.conftest import run_check

HEX = secrets.token_hex(20)
B64 = secrets.token_urlsafe(24)

# path -> content: each leaks a credential under a telling name, in its own syntax.
LEAKS = {
    "partners/client.py": f'partner_api_key = "{HEX}"\n',
    "web/src/config.js": f"export const paymentsClientSecret = '{B64}';\n",
    "deploy/values.yaml": f"partner:\n  webhook_token: {HEX}\n",
    ".env.production": f"PARTNER_SIGNING_KEY={B64}\n",
    "config/partners.json": f'{{"name": "acme", "partner_token": "{HEX}"}}\n',
    "cmd/main.go": f'\tsettlementApiKey := "{B64}"\n',
}
# path -> content: look alike, but hold no credential.
CLEAN = {
    "app/settings.py": 'partner_api_key = os.environ["PARTNER_API_KEY"]\n',
    "app/checksums.py": f'ARCHIVE_SHA256 = "{secrets.token_hex(32)}"\n',
    "app/defaults.py": 'partner_api_key = "changeme-0000000000000000"\n',
    "deploy/prod.yaml": "partner:\n  webhook_token: ${WEBHOOK_TOKEN}\n",
    "app/models.py": "token = settings.partner.v2_token_attribute\n",
}


def _findings(outcome: Outcome) -> list[Any]:
    path = next(a for a in outcome.evidence.artifacts if a.endswith("findings.json"))
    return list(from_json(json.loads(Path(path).read_text())).findings)


@pytest.fixture(scope="module")
def scanned(tmp_path_factory: pytest.TempPathFactory) -> Outcome:
    root = tmp_path_factory.mktemp("names") / "svc"
    for rel, text in {**LEAKS, **CLEAN}.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    return run_check(sec.SecretsCheck, {"history": False}, root, artifacts=root.parent / "art")


def test_telling_names_with_random_literals_are_high(scanned: Outcome) -> None:
    assert scanned.status is Status.FAIL
    high = {f.location.path: f for f in _findings(scanned) if f.severity.value == "high"}
    assert set(high) == set(LEAKS), sorted(high)
    partner = high["partners/client.py"]
    assert partner.rule_id == "secret.high-entropy-assignment"
    assert partner.location.line == 1 and "partner_api_key" in partner.title
    # merged with detect-secrets' own (medium) reports of the same literal
    assert {"golive", "detect-secrets"} <= set(partner.reported_by)


def test_look_alikes_are_not_high(scanned: Outcome) -> None:
    flagged = {f.location.path for f in _findings(scanned) if f.severity.value in ("high", "critical")}
    assert not flagged & set(CLEAN)


def test_the_secret_never_reaches_a_report(scanned: Outcome) -> None:
    texts = [scanned.summary, scanned.evidence.excerpt]
    texts += [Path(a).read_text() for a in scanned.evidence.artifacts]
    for text in texts:
        assert HEX not in text and B64 not in text


@pytest.mark.parametrize(
    "value",
    ["e2e-password-123", "MySuperSecretPasswordValue", "CorrectHorseBatteryStaple", "abcdefghijklmnop"],
)
def test_words_and_test_values_do_not_look_random(value: str) -> None:
    assert not looks_random(value)


def test_the_rule_keeps_only_name_place_and_hash() -> None:
    hits = list(scan_text("a.py", ["x = 1", f'partner_api_key = "{HEX}"']))
    assert [(h.line, h.name) for h in hits] == [(2, "partner_api_key")]
    assert HEX not in repr(hits)
