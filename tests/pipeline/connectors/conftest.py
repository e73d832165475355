"""Fixtures for connector tests: quarantine rows as dicts, and files written byte for byte."""

from __future__ import annotations

import pytest


@pytest.fixture
def quarantine(engine):
    """Return a function listing raw.quarantine rows (with their load's input) for a source."""

    def rows(source: str | None = None) -> list[dict]:
        with engine.connect() as conn:
            result = conn.exec_driver_sql(
                "SELECT q.source, q.kind, q.location, q.reason, q.payload, q.original, b.location AS input"
                " FROM raw.quarantine q JOIN raw.load_batch b USING (load_id)"
                " WHERE %(s)s::text IS NULL OR q.source = %(s)s ORDER BY q.quarantine_id", {"s": source})
            return [dict(r._mapping, original=bytes(r.original) if r.original is not None else None)
                    for r in result]

    return rows


@pytest.fixture
def items(engine):
    """Return a function listing core.feedback_item rows (with their context) for a source."""

    def rows(source: str | None = None) -> list[dict]:
        with engine.connect() as conn:
            result = conn.exec_driver_sql(
                "SELECT f.*, c.thread_key, c.parent_key, c.title, c.product, c.attachments, c.attributes"
                " FROM core.feedback_item f LEFT JOIN core.item_context c USING (item_id)"
                " WHERE %(s)s::text IS NULL OR f.source = %(s)s ORDER BY f.source_item_key", {"s": source})
            return [dict(r._mapping) for r in result]

    return rows
