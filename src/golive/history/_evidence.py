"""Evidence reuse in the history store: input fingerprints written with a review, and looked up.

Only results the review produced itself are recorded, so reused evidence is never re-dated:
its age always counts from the review that really ran the check.
"""

from __future__ import annotations

import json
from datetime import datetime

from sqlalchemy import Connection, Engine, insert, select

from golive._serialize import from_jsonable
from golive.history._schema import result_inputs_table, reviews_table
from golive.results import CheckResult, Review, Status

REUSABLE_STATUSES = (Status.PASS.value, Status.FAIL.value)
"""Only a verdict is reused; no-data, errors and skips are always run again."""


def insert_fingerprints(conn: Connection, review_id: int, review: Review) -> None:
    """Record the fingerprint of every result of ``review`` that it produced itself."""
    rows = [
        {
            "review_id": review_id,
            "criterion_id": r.criterion_id,
            "check_type": r.check_type,
            "fingerprint": r.fingerprint,
            "status": r.status.value,
            "finished_at": review.finished_at,
        }
        for r in review.results
        if r.fingerprint and r.reused is None and r.status.value in REUSABLE_STATUSES
    ]
    if rows:
        conn.execute(insert(result_inputs_table), rows)


def find_evidence(
    engine: Engine,
    *,
    service: str,
    environment: str,
    criterion_id: str,
    check_type: str,
    fingerprint: str,
    not_before: datetime,
) -> tuple[int, datetime, CheckResult] | None:
    """The newest reusable result: (review id, when it finished, the result), or None."""
    i, r = result_inputs_table, reviews_table
    query = (
        select(i.c.review_id, i.c.finished_at, r.c.report_json)
        .join(r, r.c.id == i.c.review_id)
        .where(
            i.c.fingerprint == fingerprint,
            i.c.criterion_id == criterion_id,
            i.c.check_type == check_type,
            i.c.status.in_(REUSABLE_STATUSES),
            i.c.finished_at >= not_before,
            r.c.service == service,
            r.c.environment == environment,
        )
        .order_by(i.c.finished_at.desc(), i.c.review_id.desc())
        .limit(1)
    )
    with engine.connect() as conn:
        row = conn.execute(query).first()
    if row is None:
        return None
    try:
        data = json.loads(row.report_json)
        found = [res for res in data["results"] if res.get("criterion_id") == criterion_id]
        result = from_jsonable(CheckResult, found[0])
    except (ValueError, KeyError, TypeError, IndexError):
        return None  # a corrupt or foreign report is no evidence: the check runs
    return int(row.review_id), row.finished_at, result
