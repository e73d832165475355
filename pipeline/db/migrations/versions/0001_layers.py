"""Three layers: raw (what arrived), core (validated items and their enrichment), mart (views).

Revision ID: 0001
Revises:
"""

from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

DDL = """
CREATE SCHEMA IF NOT EXISTS raw;
CREATE SCHEMA IF NOT EXISTS core;
CREATE SCHEMA IF NOT EXISTS mart;

-- Grain: one row per load of one input (file or API window) that stored anything new.
CREATE TABLE raw.load_batch (
    load_id           bigserial PRIMARY KEY,
    source            text        NOT NULL,
    kind              text        NOT NULL,
    location          text        NOT NULL,
    content_sha256    text        NOT NULL,
    started_at        timestamptz NOT NULL DEFAULT now(),
    finished_at       timestamptz,
    read_count        integer     NOT NULL DEFAULT 0,
    loaded_count      integer     NOT NULL DEFAULT 0,
    duplicate_count   integer     NOT NULL DEFAULT 0,
    quarantined_count integer     NOT NULL DEFAULT 0,
    item_count        integer     NOT NULL DEFAULT 0
);
CREATE INDEX load_batch_source_idx ON raw.load_batch (source, started_at);

-- Grain: one row per distinct source record, exactly as it arrived (append-only).
CREATE TABLE raw.record (
    record_id    bigserial PRIMARY KEY,
    load_id      bigint      NOT NULL REFERENCES raw.load_batch (load_id),
    source       text        NOT NULL,
    location     text        NOT NULL,
    record_hash  text        NOT NULL,
    payload      jsonb       NOT NULL,
    received_at  timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT record_source_hash_key UNIQUE (source, record_hash)
);

-- Grain: one row per rejected record and reason; nothing rejected is ever dropped.
CREATE TABLE raw.quarantine (
    quarantine_id  bigserial PRIMARY KEY,
    load_id        bigint      NOT NULL REFERENCES raw.load_batch (load_id),
    source         text        NOT NULL,
    location       text        NOT NULL,
    reason         text        NOT NULL,
    record_hash    text        NOT NULL,
    payload        text        NOT NULL,
    quarantined_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT quarantine_source_hash_reason_key UNIQUE (source, record_hash, reason)
);

-- Grain: one row per feedback item (one open-text answer, post, email, comment or review).
CREATE TABLE core.feedback_item (
    item_id          uuid        PRIMARY KEY,
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
    nps              smallint CHECK (nps BETWEEN 0 AND 10),
    csat             smallint CHECK (csat BETWEEN 1 AND 5),
    ces              smallint CHECK (ces BETWEEN 1 AND 7),
    rating           numeric(3, 1) CHECK (rating BETWEEN 1 AND 5),
    language         text,
    contract_version text        NOT NULL,
    record_id        bigint      NOT NULL REFERENCES raw.record (record_id),
    load_id          bigint      NOT NULL REFERENCES raw.load_batch (load_id),
    loaded_at        timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX feedback_item_occurred_idx ON core.feedback_item (occurred_at);
CREATE INDEX feedback_item_customer_idx ON core.feedback_item (customer_key);

-- Grain: one row per feedback item that has been tagged by the NLP pipeline.
CREATE TABLE core.enrichment (
    item_id            uuid        PRIMARY KEY REFERENCES core.feedback_item (item_id) ON DELETE CASCADE,
    sentiment_compound real,       -- null when the item has no text (a score-only survey response)
    sentiment_label    text        CHECK (sentiment_label IN ('negative', 'neutral', 'positive')),
    topics             jsonb       NOT NULL DEFAULT '[]'::jsonb,
    journey_stage      text,
    stage_reason       text,
    nlp_version        text        NOT NULL,
    enriched_at        timestamptz NOT NULL DEFAULT now()
);
"""


def upgrade() -> None:
    op.execute(DDL)
