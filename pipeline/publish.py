"""Publish: resolve customers across channels so the marts tell one story, and report what each layer holds."""

from __future__ import annotations

from sqlalchemy import Engine, text

from voc.pipeline.customers import resolve_customers

LAYER_TABLES = (
    "raw.load_batch",
    "raw.record",
    "raw.quarantine",
    "core.feedback_item",
    "core.enrichment",
    "core.customer_identifier",
    "mart.customer_story",
    "mart.complaint_trend_daily",
)


def publish(engine: Engine) -> dict[str, int]:
    """Resolve customer identities (re-keying items in core) and return the row count of every layer table.

    The mart views read core directly, so they are current as soon as this returns.
    """
    resolve_customers(engine)
    return layer_counts(engine)


def layer_counts(engine: Engine) -> dict[str, int]:
    """Return {schema.table: rows} for every table of the three layers."""
    with engine.connect() as conn:
        return {name: conn.execute(text(f"SELECT count(*) FROM {name}")).scalar_one() for name in LAYER_TABLES}
