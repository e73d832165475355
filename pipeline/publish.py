"""Publish: bring the mart views up to date and report what each layer holds."""

from __future__ import annotations

from sqlalchemy import Engine, text
from voc.pipeline.db.migrate import view_files

LAYER_TABLES = (
    "raw.load_batch",
    "raw.record",
    "raw.quarantine",
    "core.feedback_item",
    "core.enrichment",
    "mart.customer_story",
)


def publish(engine: Engine) -> dict[str, int]:
    """Re-create the views from ``sql/`` (idempotent) and return the row count of every table and view."""
    with engine.begin() as conn:
        for _name, sql in view_files():
            conn.exec_driver_sql(sql)
    return layer_counts(engine)


def layer_counts(engine: Engine) -> dict[str, int]:
    """Return {schema.table: rows} for every table of the three layers."""
    with engine.connect() as conn:
        return {name: conn.execute(text(f"SELECT count(*) FROM {name}")).scalar_one() for name in LAYER_TABLES}
