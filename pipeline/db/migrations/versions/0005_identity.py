"""One customer across channels: identity links with provenance, resolved keys, and merge history.

Revision ID: 0005
Revises: 0004
"""

from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

DDL = """
-- Grain: one row per pair of identifiers known to belong to one customer, and the rule that says so.
-- Identifiers are '<kind>:<value>' with contact details hashed (email:sha256:..., phone:sha256:...).
CREATE TABLE core.identity_link (
    identifier_a   text        NOT NULL,
    identifier_b   text        NOT NULL,
    rule           text        NOT NULL CHECK (rule IN ('same_item', 'crm_link')),
    source         text        NOT NULL,
    evidence       text        NOT NULL,
    first_seen_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (identifier_a, identifier_b, rule),
    CHECK (identifier_a < identifier_b)
);
COMMENT ON TABLE core.identity_link IS 'Why two identifiers are one customer. Grain: identifier pair x rule (same_item: found together on one feedback item; crm_link: an explicit link from the CRM).';
COMMENT ON COLUMN core.identity_link.evidence IS 'The item id (same_item) or file:line (crm_link) that first established the link.';

-- Grain: one row per identifier ever seen; which customer it belongs to now.
CREATE TABLE core.customer_identifier (
    identifier    text        PRIMARY KEY,
    kind          text        NOT NULL,
    customer_key  text        NOT NULL,
    resolved_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX customer_identifier_key_idx ON core.customer_identifier (customer_key);
COMMENT ON TABLE core.customer_identifier IS 'Resolved identity. Grain: one row per identifier (kind:value, contact details hashed).';

-- Grain: one row per customer key that was merged into another when a later link joined them.
CREATE TABLE core.customer_key_merge (
    old_key    text        PRIMARY KEY,
    new_key    text        NOT NULL,
    merged_at  timestamptz NOT NULL DEFAULT now(),
    reason     text        NOT NULL
);
COMMENT ON TABLE core.customer_key_merge IS 'Merge history. Grain: one row per retired customer key; follow new_key to the surviving customer.';
"""


def upgrade() -> None:
    op.execute(DDL)
