"""Migrations: the three layers exist, the views are applied, and upgrading twice is harmless."""

from tests.helpers import table_counts
from voc.pipeline.db.migrate import current_revision, head_revision, upgrade


def test_upgrade_creates_the_three_layers(engine):
    assert current_revision(engine) == head_revision()
    counts = table_counts(engine)
    for name in ("raw.load_batch", "raw.record", "raw.quarantine", "core.feedback_item", "core.enrichment",
                 "mart.customer_story"):
        assert counts[name] == 0, name


def test_upgrade_twice_is_a_no_op(engine):
    before = table_counts(engine)
    assert upgrade(engine) == head_revision()
    assert upgrade(engine) == head_revision()
    assert table_counts(engine) == before


def test_every_mart_column_is_documented(engine):
    with engine.connect() as conn:
        undocumented = conn.exec_driver_sql(
            """
            SELECT c.table_name || '.' || c.column_name
            FROM information_schema.columns c
            JOIN pg_class t ON t.relname = c.table_name
            JOIN pg_namespace n ON n.oid = t.relnamespace AND n.nspname = c.table_schema
            WHERE c.table_schema = 'mart' AND col_description(t.oid, c.ordinal_position) IS NULL
            """
        ).scalars().all()
    assert undocumented == []
