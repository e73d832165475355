"""Cheap warehouse invariants and the enrichment backlog, for scheduled sweeps.

Each check counts offending rows as of a given time (the end of a run's data interval); a healthy
warehouse has none. The Great Expectations gates (``voc.pipeline.quality``) are the richer checks.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Engine, text

PENDING_SQL = """
SELECT count(*) FROM core.feedback_item AS f
WHERE NOT EXISTS (SELECT 1 FROM core.enrichment AS e WHERE e.item_id = f.item_id)
"""

# name -> SQL returning the number of offending rows as of :as_of.
CHECKS = {
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


def pending_items(engine: Engine) -> int:
    """Count ``core.feedback_item`` rows with no ``core.enrichment`` row."""
    with engine.connect() as conn:
        return conn.exec_driver_sql(PENDING_SQL).scalar_one()


def violations(engine: Engine, as_of: datetime) -> dict[str, int]:
    """Run every check of ``CHECKS``; return {check: offending rows} for all of them."""
    with engine.connect() as conn:
        return {name: conn.execute(text(sql), {"as_of": as_of}).scalar_one() for name, sql in CHECKS.items()}
