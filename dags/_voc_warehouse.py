"""Read-only warehouse queries the DAGs need and the voc packages do not offer (yet): the enrichment backlog,
the data-quality sweep and the retention report. Called inside tasks only; nothing here writes.

Each quality check counts offending rows; a healthy warehouse has none. Great Expectations suites are the
richer gate; these are the cheap invariants every run can afford.
"""

from __future__ import annotations

from datetime import datetime, timedelta

PENDING_SQL = """
SELECT count(*) FROM core.feedback_item AS f
WHERE NOT EXISTS (SELECT 1 FROM core.enrichment AS e WHERE e.item_id = f.item_id)
"""

# name -> SQL returning the number of offending rows as of :as_of (the end of the run's data interval).
QUALITY_CHECKS = {
    # Enrichment runs on every load; an item still untagged a day after it was loaded means it is stuck.
    "items_not_enriched_after_a_day": """
        SELECT count(*) FROM core.feedback_item AS f
        WHERE f.loaded_at < CAST(:as_of AS timestamptz) - interval '1 day'
          AND NOT EXISTS (SELECT 1 FROM core.enrichment AS e WHERE e.item_id = f.item_id)""",
    # Feedback given more than a day after it was loaded is a timezone or parsing mistake in a mapping.
    "items_dated_after_they_were_loaded": """
        SELECT count(*) FROM core.feedback_item WHERE occurred_at > loaded_at + interval '1 day'""",
    # The story mart has one row per item: anything else is a fan-out or a lost join.
    "customer_story_rows_not_one_per_item": """
        SELECT abs((SELECT count(*) FROM mart.customer_story) - (SELECT count(*) FROM core.feedback_item))""",
    "trend_rows_with_impossible_counts": """
        SELECT count(*) FROM mart.complaint_trend_daily
        WHERE item_count < 1 OR complaint_count < 0 OR complaint_count > item_count
           OR nps_responses > item_count""",
}

RETENTION_SQL = """
SELECT 'raw.record' AS "table", count(*) AS "rows", COALESCE(sum(pg_column_size(payload)), 0) AS payload_bytes
FROM raw.record WHERE received_at < :cutoff
UNION ALL
SELECT 'raw.quarantine', count(*), COALESCE(sum(octet_length(payload)), 0)
FROM raw.quarantine WHERE quarantined_at < :cutoff
"""


def pending_items(engine) -> int:
    """Count ``core.feedback_item`` rows with no ``core.enrichment`` row."""
    with engine.connect() as conn:
        return conn.exec_driver_sql(PENDING_SQL).scalar_one()


def quality_violations(engine, as_of: datetime) -> dict[str, int]:
    """Run every check of ``QUALITY_CHECKS``; return {check: offending rows} for all of them."""
    from sqlalchemy import text

    with engine.connect() as conn:
        return {name: conn.execute(text(sql), {"as_of": as_of}).scalar_one() for name, sql in QUALITY_CHECKS.items()}


def retention_report(engine, as_of: datetime, keep_days: int) -> dict:
    """Count the raw payloads older than ``keep_days`` before ``as_of`` (rows and bytes); delete nothing.

    Every ``core.feedback_item`` references its ``raw.record`` and quarantine replay needs the original
    bytes, so purging is a decision for a migration that keeps those links, not for a nightly task.
    """
    from sqlalchemy import text

    cutoff = as_of - timedelta(days=keep_days)
    with engine.connect() as conn:
        rows = conn.execute(text(RETENTION_SQL), {"cutoff": cutoff}).mappings().all()
    return {"cutoff": cutoff.isoformat(), "keep_days": keep_days,
            "older": {row["table"]: {"rows": row["rows"], "payload_bytes": int(row["payload_bytes"])} for row in rows}}
