"""Personal data: an audit row for every erasure request (``voc forget``), holding none of the erased data.

Revision ID: 0006
Revises: 0005
"""

from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

DDL = """
-- Grain: one row per erasure request. Records that a person was erased and how much, never who:
-- no identifier, address, key or text of the person is stored here.
CREATE TABLE raw.erasure_log (
    erasure_id        bigserial   PRIMARY KEY,
    requested_at      timestamptz NOT NULL DEFAULT now(),
    selector          text        NOT NULL CHECK (selector IN ('customer', 'email')),
    reference         text,
    counts            jsonb       NOT NULL DEFAULT '{}'::jsonb,
    export_days       date[]      NOT NULL DEFAULT '{}',
    exports_rewritten integer     NOT NULL DEFAULT 0,
    exports_done_at   timestamptz,
    finished_at       timestamptz
);
COMMENT ON TABLE raw.erasure_log IS 'Erasure requests (voc forget). Grain: one row per request; holds counts, never the person''s identifiers or words.';
COMMENT ON COLUMN raw.erasure_log.selector IS 'How the person was named: customer (a customer key) or email (an address); the value itself is not kept.';
COMMENT ON COLUMN raw.erasure_log.reference IS 'The operator''s own reference for the request (a ticket number), if given.';
COMMENT ON COLUMN raw.erasure_log.counts IS 'Rows erased per table: {"core.feedback_item": 4, "raw.record": 5, ...}.';
COMMENT ON COLUMN raw.erasure_log.export_days IS 'Days whose CX extract held the person''s feedback and is re-written without it.';
COMMENT ON COLUMN raw.erasure_log.exports_done_at IS 'When those extracts were re-written; null while still to do (the next voc forget finishes it).';
"""


def upgrade() -> None:
    op.execute(DDL)
