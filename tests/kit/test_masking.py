"""Exact-value masking: every form of a known secret, and only secrets."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from urllib.parse import quote, quote_plus

from golive.kit.masking import Masker, mask_files, review_secrets
from golive.results import Evidence, Measurement, Outcome, Status

SECRET = "s3cr3t-V4lue+/x=="


def test_every_wire_form_of_a_secret_is_masked() -> None:
    m = Masker.of([SECRET])
    forms = [
        SECRET,
        quote(SECRET, safe=""),
        quote_plus(SECRET),
        json.dumps(SECRET)[1:-1],
        base64.b64encode(SECRET.encode()).decode(),
        base64.b64encode(f"admin:{SECRET}".encode()).decode(),  # Basic credentials
        base64.b64encode(f"ab:{SECRET}:tail".encode()).decode(),  # any alignment
        base64.urlsafe_b64encode(SECRET.encode()).decode().rstrip("="),
    ]
    for form in forms:
        masked = m.mask(f"before {form} after")
        assert "s3cr3t" not in masked and form not in masked, (form, masked)


def test_the_password_of_a_url_secret_is_masked_on_its_own() -> None:
    m = Masker.of(["postgresql://app:Pw-0f-the-db@db.internal/app"])
    assert m.mask("password authentication failed: Pw-0f-the-db") == "password authentication failed: ***"


def test_ports_flags_and_short_values_are_never_masked() -> None:
    m = Masker.of(["8080", "true", "abc", "12.5"])
    assert m.mask("port 8080 true abc 12.5") == "port 8080 true abc 12.5"


def test_a_tree_of_results_is_masked_and_stays_typed() -> None:
    m = Masker.of([SECRET])
    outcome = Outcome(
        status=Status.FAIL,
        summary=f"got {SECRET}",
        measurements=(Measurement(name="x", value=1.0, target=f"< {SECRET}"),),
        evidence=Evidence(excerpt=f"out {SECRET}", artifacts=(f"a/{SECRET}.log",)),
        reproducer=f"curl -u me:{SECRET} http://h",
    )
    masked = m.mask_tree(outcome)
    assert isinstance(masked, Outcome) and masked.status is Status.FAIL
    assert SECRET not in repr(masked)
    assert masked.summary == "got ***"


def test_secrets_of_a_review_come_from_the_environment_generate_and_credential_keys() -> None:
    values = review_secrets(
        spec_texts=["url: ${FROM_ENV}\nhost: ${HOSTNAME_PUBLIC}\nuser: ${IN_VARS}\npy: ${GOLIVE_PYTHON}"],
        environ={
            "FROM_ENV": "env-value-1",
            "HOSTNAME_PUBLIC": "db.example.com",
            "IN_VARS": "shadowed",
            "GENERATED": "gen-value-2",
            "UNREFERENCED": "not-used-3",
            "GOLIVE_PYTHON": "/usr/bin/python3",
        },
        spec_vars={"IN_VARS": "literal"},
        generated=["GENERATED"],
        public=["HOSTNAME_PUBLIC"],
        keyed_values=["keyed-value-4"],
    )
    assert values == {"env-value-1", "gen-value-2", "keyed-value-4"}


def test_files_written_during_the_review_are_masked_in_place(tmp_path: Path) -> None:
    old = tmp_path / "old.txt"
    old.write_text(f"before the review {SECRET}")
    (tmp_path / "artifacts").mkdir()
    new = tmp_path / "artifacts" / "drill.json"
    new.write_text(json.dumps({"url": f"http://u:{SECRET}@h", "n": 1}))
    new.chmod(0o600)
    since = new.stat().st_mtime
    import os

    os.utime(old, (since - 100, since - 100))
    assert mask_files(tmp_path, Masker.of([SECRET]), since=since) == []
    assert SECRET not in new.read_text() and json.loads(new.read_text())["n"] == 1
    assert new.stat().st_mode & 0o777 == 0o600
    assert SECRET in old.read_text()  # not golive's output of this review
