"""Data-quality gates: batches are staged in raw, validated, then published to core or held with a reason.

Revision ID: 0007
Revises: 0006
"""

from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

DDL = """
-- A batch is 'pending' from the moment its records are stored until the gate has judged it; then it is
-- 'published' (its items are in core) or 'held' (its items stay staged in raw until `voc quality release`).
-- Batches loaded before the gate existed were published when they were loaded.
ALTER TABLE raw.load_batch
    ADD COLUMN status          text        NOT NULL DEFAULT 'published'
        CHECK (status IN ('pending', 'published', 'held')),
    ADD COLUMN is_whole_input  boolean     NOT NULL DEFAULT false,
    ADD COLUMN language_counts jsonb       NOT NULL DEFAULT '{}'::jsonb,
    ADD COLUMN checked_at      timestamptz,
    ADD COLUMN published_at    timestamptz,
    ADD COLUMN held_reason     text,
    ADD COLUMN released_at     timestamptz,
    ADD COLUMN released_by     text,
    ADD COLUMN release_note    text;
ALTER TABLE raw.load_batch ALTER COLUMN status SET DEFAULT 'pending';
UPDATE raw.load_batch SET published_at = finished_at;
CREATE INDEX load_batch_status_idx ON raw.load_batch (status) WHERE status <> 'published';
COMMENT ON COLUMN raw.load_batch.status IS 'pending: stored, not judged yet; published: its items are in core; held: an error-level quality check failed, its items wait in raw.staged_item.';
COMMENT ON COLUMN raw.load_batch.is_whole_input IS 'True for a whole file or export, whose size is compared with the source''s recent whole inputs; false for API pages, IMAP batches and quarantine replays.';
COMMENT ON COLUMN raw.load_batch.language_counts IS 'Items per source-given language code ("" when none), the baseline of the language-mix check.';
COMMENT ON COLUMN raw.load_batch.checked_at IS 'When the quality gate last judged the batch.';
COMMENT ON COLUMN raw.load_batch.published_at IS 'When the batch''s items were published to core.';
COMMENT ON COLUMN raw.load_batch.held_reason IS 'Why the gate held the batch: the error-level checks that failed (kept after a release).';
COMMENT ON COLUMN raw.load_batch.released_at IS 'When someone published the held batch with `voc quality release`.';

-- Grain: one row per feedback item a record of a batch produced (redacted, as core would store it).
-- The gate validates these rows; publishing copies them to core. A held batch's rows stay here.
CREATE TABLE raw.staged_item (
    load_id          bigint      NOT NULL REFERENCES raw.load_batch (load_id),
    record_id        bigint      NOT NULL REFERENCES raw.record (record_id),
    item_id          uuid        NOT NULL,
    source           text        NOT NULL,
    source_item_key  text        NOT NULL,
    channel          text        NOT NULL,
    is_aided         boolean     NOT NULL,
    occurred_at      timestamptz NOT NULL,
    customer_key     text,
    customer_ids     jsonb       NOT NULL DEFAULT '{}'::jsonb,
    survey_id        text,
    survey_type      text,
    question         text,
    text             text,
    nps              smallint,
    csat             smallint,
    ces              smallint,
    rating           numeric(3, 1),
    language         text,
    contract_version text        NOT NULL,
    content_hash     text,
    context          jsonb,
    PRIMARY KEY (load_id, record_id, item_id)
);
COMMENT ON TABLE raw.staged_item IS 'Items of a batch as they will be published. Grain: batch x record x item; an id twice in a batch is two rows.';
COMMENT ON COLUMN raw.staged_item.context IS 'The item''s channel context (core.item_context columns) or null.';

-- Grain: one row per repost in a batch, published to core.repost with the batch.
CREATE TABLE raw.staged_repost (
    load_id           bigint      NOT NULL REFERENCES raw.load_batch (load_id),
    source            text        NOT NULL,
    repost_key        text        NOT NULL,
    original_key      text        NOT NULL,
    original_item_id  uuid        NOT NULL,
    reposted_at       timestamptz NOT NULL,
    customer_key      text,
    record_id         bigint      NOT NULL REFERENCES raw.record (record_id),
    PRIMARY KEY (load_id, repost_key)
);
COMMENT ON TABLE raw.staged_repost IS 'Reposts of a batch waiting to be published. Grain: batch x repost.';

-- Grain: one row per expectation evaluated in one validation run (a batch, the core items, or a trend day).
CREATE TABLE raw.quality_result (
    result_id          bigserial   PRIMARY KEY,
    run_id             uuid        NOT NULL,
    suite              text        NOT NULL,
    load_id            bigint      REFERENCES raw.load_batch (load_id),
    trend_date         date,
    check_name         text        NOT NULL,
    expectation        text        NOT NULL,
    column_name        text,
    kwargs             jsonb       NOT NULL DEFAULT '{}'::jsonb,
    severity           text        NOT NULL CHECK (severity IN ('error', 'warning')),
    success            boolean     NOT NULL,
    observed_value     jsonb,
    element_count      bigint,
    unexpected_count   bigint,
    unexpected_percent double precision,
    sample_unexpected  jsonb,
    note               text,
    data_docs_page     text,
    checked_at         timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX quality_result_load_idx ON raw.quality_result (load_id) WHERE load_id IS NOT NULL;
CREATE INDEX quality_result_trend_idx ON raw.quality_result (trend_date) WHERE trend_date IS NOT NULL;
CREATE INDEX quality_result_checked_idx ON raw.quality_result (checked_at);
COMMENT ON TABLE raw.quality_result IS 'Every data-quality check run. Grain: validation run x expectation. Failed error-level rows explain held batches.';
COMMENT ON COLUMN raw.quality_result.suite IS '<kind>_batch (survey_batch, ticket_batch, ...), core_items or complaint_trend_day.';
COMMENT ON COLUMN raw.quality_result.check_name IS 'What the check protects, in words: ids present, scores within scales, volume, ...';
COMMENT ON COLUMN raw.quality_result.severity IS 'error: a failure holds the batch (or fails the run); warning: recorded, the data is published.';
COMMENT ON COLUMN raw.quality_result.observed_value IS 'What the check saw: a value, or the share of rows that broke it.';
COMMENT ON COLUMN raw.quality_result.sample_unexpected IS 'Up to 20 values that broke the check (never for the personal-data checks).';
COMMENT ON COLUMN raw.quality_result.note IS 'Why the severity differs from the suite''s (too few rows to judge a rate), or other context.';
COMMENT ON COLUMN raw.quality_result.data_docs_page IS 'The Great Expectations Data Docs page of the run, relative to the Data Docs folder.';
"""


def upgrade() -> None:
    op.execute(DDL)
