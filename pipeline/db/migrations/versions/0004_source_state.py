"""Channel connectors: per-source incremental state, item context, reposts, content dedupe, quarantine bytes.

Revision ID: 0004
Revises: 0003
"""

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

DDL = """
-- Grain: one row per source and state key: a file's fingerprint, an API cursor, an IMAP mailbox's last UID.
-- Written in the same transaction as the rows it covers, so a crash can never skip or double-load.
CREATE TABLE raw.source_state (
    source      text        NOT NULL,
    state_key   text        NOT NULL,
    value       jsonb       NOT NULL,
    updated_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (source, state_key)
);
COMMENT ON TABLE raw.source_state IS 'Incremental state per source. Grain: source x state key (file:<path>, cursor, imap:<mailbox>).';

-- Quarantine keeps the bytes exactly as they arrived (undecodable text and NUL cannot live in a text column)
-- and remembers when a replay after a mapping fix loaded the record.
ALTER TABLE raw.quarantine
    ADD COLUMN kind             text,
    ADD COLUMN original         bytea,
    ADD COLUMN resolved_at      timestamptz,
    ADD COLUMN resolved_load_id bigint REFERENCES raw.load_batch (load_id);
COMMENT ON COLUMN raw.quarantine.kind IS 'Connector kind (survey, social, email, ticket, review) that read the record; replay uses it.';
COMMENT ON COLUMN raw.quarantine.original IS 'The record''s bytes as they arrived (a line, a row, a message).';
COMMENT ON COLUMN raw.quarantine.resolved_at IS 'When a replay loaded the record, or rejected it again for a new reason (a newer row holds it); null: the current verdict.';

-- Identical feedback arriving twice under different ids (the same e-mail from an archive and from IMAP, a post
-- exported twice) is stored once: same channel, customer, time (to the second), question and text.
ALTER TABLE core.feedback_item ADD COLUMN content_hash text;
COMMENT ON COLUMN core.feedback_item.content_hash IS 'sha256 of channel, customer key, occurred_at (UTC, seconds), question and normalised text; null without text or customer.';
CREATE UNIQUE INDEX feedback_item_content_hash_key ON core.feedback_item (content_hash) WHERE content_hash IS NOT NULL;

-- Grain: one row per feedback item that carries channel context (thread, subject, product, attachments).
CREATE TABLE core.item_context (
    item_id     uuid  PRIMARY KEY REFERENCES core.feedback_item (item_id) ON DELETE CASCADE,
    thread_key  text,
    parent_key  text,
    title       text,
    product     text,
    attachments jsonb NOT NULL DEFAULT '[]'::jsonb,
    attributes  jsonb NOT NULL DEFAULT '{}'::jsonb
);
COMMENT ON TABLE core.item_context IS 'Channel context of a feedback item. Grain: one row per item that has any.';
COMMENT ON COLUMN core.item_context.thread_key IS 'Conversation within the source: tweet conversation id, e-mail thread root Message-ID, ticket id.';
COMMENT ON COLUMN core.item_context.parent_key IS 'The source item this one answers: replied-to post, In-Reply-To Message-ID.';
COMMENT ON COLUMN core.item_context.title IS 'E-mail subject, ticket subject or review title (redacted like the text).';
COMMENT ON COLUMN core.item_context.attachments IS 'Attachments recorded but not loaded: [{filename, content_type, size, sha256}].';

-- Grain: one row per repost (retweet) of a post; reposts are not new feedback, they count on the original.
CREATE TABLE core.repost (
    source            text        NOT NULL,
    repost_key        text        NOT NULL,
    original_key      text        NOT NULL,
    original_item_id  uuid        NOT NULL,
    reposted_at       timestamptz NOT NULL,
    customer_key      text,
    record_id         bigint      NOT NULL REFERENCES raw.record (record_id),
    load_id           bigint      NOT NULL REFERENCES raw.load_batch (load_id),
    PRIMARY KEY (source, repost_key)
);
CREATE INDEX repost_original_idx ON core.repost (original_item_id);
COMMENT ON TABLE core.repost IS 'Reposts of feedback posts. Grain: one row per repost; count them per original_item_id (the original may not be loaded).';
"""


def upgrade() -> None:
    op.execute(DDL)
