"""Enrichment in the common language: language, intents, complaint flag, taxonomy version, evidence.

``topics`` holds one object per matched topic:
``{theme, topic, complaint, sentiment: {label, score}, evidence: [{start, end, text, rule}]}``.

Revision ID: 0002
Revises: 0001
"""

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

DDL = """
ALTER TABLE core.enrichment
    ADD COLUMN language          text,
    ADD COLUMN is_complaint      boolean NOT NULL DEFAULT false,
    ADD COLUMN intents           text[]  NOT NULL DEFAULT '{}',
    ADD COLUMN taxonomy_version  text,
    ADD COLUMN sentences         jsonb   NOT NULL DEFAULT '[]'::jsonb;

COMMENT ON COLUMN core.enrichment.language IS 'Detected language code; sentiment is null for languages the lexicon does not cover.';
COMMENT ON COLUMN core.enrichment.is_complaint IS 'True when the item complains (a complaint topic or complaint intent was found).';
COMMENT ON COLUMN core.enrichment.intents IS 'Intent flags: complaint, praise, question, suggestion, churn_risk.';
COMMENT ON COLUMN core.enrichment.taxonomy_version IS 'name@version of the taxonomy that tagged the item.';
COMMENT ON COLUMN core.enrichment.sentences IS 'Per-sentence sentiment: [{start, end, score}].';
CREATE INDEX enrichment_versions_idx ON core.enrichment (nlp_version, taxonomy_version);
"""


def upgrade() -> None:
    op.execute(DDL)
