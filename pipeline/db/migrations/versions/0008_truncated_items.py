"""Oversize policy "truncate": an item whose text was cut to the loader's limit says so, and so does its batch.

Revision ID: 0008
Revises: 0007
"""

from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

DDL = """
-- The default policy quarantines an oversize record whole; with `oversize: truncate` (sources.yaml) or
-- `voc ingest ... --oversize truncate` the item is kept with its text cut, and flagged here. The record as
-- it arrived stays in raw.record.
ALTER TABLE raw.staged_item ADD COLUMN is_truncated boolean NOT NULL DEFAULT false;
ALTER TABLE core.feedback_item ADD COLUMN is_truncated boolean NOT NULL DEFAULT false;
ALTER TABLE raw.load_batch ADD COLUMN truncated_count integer NOT NULL DEFAULT 0;
COMMENT ON COLUMN raw.staged_item.is_truncated IS 'True when the item''s text (or title) was cut to the loader''s limit of 50,000 characters (oversize policy truncate).';
COMMENT ON COLUMN core.feedback_item.is_truncated IS 'True when the text (or title) was cut to 50,000 characters because the source sent more (oversize policy truncate); the whole record is in raw.record.';
COMMENT ON COLUMN raw.load_batch.truncated_count IS 'Items of the batch stored with their text cut to the limit (oversize policy truncate).';
"""


def upgrade() -> None:
    op.execute(DDL)
