"""Retention: remove raw payloads older than a configured age; the redacted items in ``core`` stay.

A purged ``raw.record`` keeps its row, hash and location (``core.feedback_item.record_id`` still points
at it, and loading the same input again still finds it a duplicate) but its payload becomes a
tombstone, ``{"_removed": {"by": "retention"}}``. Quarantined records older than the age can be purged
too (``purge_quarantine``): they were never loaded, so their row goes with the bytes.

The age is measured from when the record arrived (``received_at``) to ``as_of`` - the end of the
scheduled run's data interval, not the wall clock - so a re-run of the same night purges the same rows.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from psycopg2.extras import Json
from sqlalchemy import Engine

from voc.pipeline.db.transaction import raw_transaction

TOMBSTONE = {"_removed": {"by": "retention"}}
BATCH = 5_000  # rows per transaction: a night's purge never holds long locks on raw.record


def _cutoff(older_than: timedelta, as_of: datetime | None) -> datetime:
    if older_than <= timedelta(0):
        raise ValueError(f"older_than must be a positive age, got {older_than}")
    as_of = as_of or datetime.now(UTC)
    if as_of.tzinfo is None:
        raise ValueError("as_of must be timezone-aware (the end of the run's data interval)")
    return as_of - older_than


def purge_raw_payloads(engine: Engine, older_than: timedelta, *, as_of: datetime | None = None,
                       batch_size: int = BATCH) -> int:
    """Replace the payload of every ``raw.record`` received more than ``older_than`` before ``as_of`` (default:
    now) with a tombstone; return how many were purged. Payloads already removed are not counted again."""
    cutoff = _cutoff(older_than, as_of)
    purged = 0
    while True:
        with raw_transaction(engine) as raw_conn:
            with raw_conn.cursor() as cur:
                cur.execute(
                    "UPDATE raw.record SET payload = %(tombstone)s WHERE record_id IN ("
                    " SELECT record_id FROM raw.record WHERE received_at < %(cutoff)s AND NOT payload ? '_removed'"
                    " ORDER BY record_id LIMIT %(size)s FOR UPDATE SKIP LOCKED)",
                    {"tombstone": Json(TOMBSTONE), "cutoff": cutoff, "size": batch_size})
                done = cur.rowcount
        purged += done
        if done < batch_size:
            return purged


def purge_quarantine(engine: Engine, older_than: timedelta, *, as_of: datetime | None = None) -> int:
    """Delete ``raw.quarantine`` rows quarantined more than ``older_than`` before ``as_of``; return how many."""
    cutoff = _cutoff(older_than, as_of)
    with engine.begin() as conn:
        return conn.exec_driver_sql("DELETE FROM raw.quarantine WHERE quarantined_at < %s", (cutoff,)).rowcount
