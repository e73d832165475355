"""Analyst marts: daily complaint trends, a table rebuilt one day at a time.

Revision ID: 0003
Revises: 0002
"""

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

DDL = """
-- Grain: one row per day x theme x topic x journey stage x channel that had feedback.
-- Rebuilt one day at a time by `voc trends` / the daily DAG: re-running a day replaces its rows.
CREATE TABLE mart.complaint_trend_daily (
    trend_date             date        NOT NULL,
    theme                  text        NOT NULL,
    topic                  text        NOT NULL,
    journey_stage          text        NOT NULL,
    channel                text        NOT NULL,
    item_count             integer     NOT NULL,
    complaint_count        integer     NOT NULL,
    negative_share         numeric(5, 4),
    mean_sentiment         numeric(5, 4),
    nps                    numeric(6, 2),
    nps_responses          integer     NOT NULL DEFAULT 0,
    mean_csat              numeric(4, 2),
    mean_ces               numeric(4, 2),
    complaint_baseline_7d  numeric(10, 3) NOT NULL,
    complaint_baseline_28d numeric(10, 3) NOT NULL,
    complaint_stddev_28d   numeric(10, 3) NOT NULL,
    complaint_zscore       numeric(10, 3),
    is_spike               boolean     NOT NULL,
    taxonomy_version       text,
    built_at               timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (trend_date, theme, topic, journey_stage, channel)
);

COMMENT ON TABLE mart.complaint_trend_daily IS 'Daily complaint trends. Grain: day x theme x topic x journey stage x channel with feedback that day. Items with several topics count once per topic.';
COMMENT ON COLUMN mart.complaint_trend_daily.trend_date IS 'Day (UTC) the feedback was given.';
COMMENT ON COLUMN mart.complaint_trend_daily.theme IS 'Taxonomy theme id; ''(none)'' for items that mention no topic.';
COMMENT ON COLUMN mart.complaint_trend_daily.topic IS 'Taxonomy topic id; ''(none)'' for items that mention no topic.';
COMMENT ON COLUMN mart.complaint_trend_daily.journey_stage IS 'Customer-journey stage of the items; ''unknown'' when nothing decided.';
COMMENT ON COLUMN mart.complaint_trend_daily.channel IS 'Listening channel: survey, social, email, ticket, review or chat.';
COMMENT ON COLUMN mart.complaint_trend_daily.item_count IS 'Feedback items that day in this cell.';
COMMENT ON COLUMN mart.complaint_trend_daily.complaint_count IS 'Items that complain about this topic that day.';
COMMENT ON COLUMN mart.complaint_trend_daily.negative_share IS 'Share of items (0-1) whose sentiment is negative.';
COMMENT ON COLUMN mart.complaint_trend_daily.mean_sentiment IS 'Mean sentiment (-1..1) of the items on this topic (topic-level where available).';
COMMENT ON COLUMN mart.complaint_trend_daily.nps IS 'Net Promoter Score (-100..100) of the survey responses in the cell; null without NPS answers.';
COMMENT ON COLUMN mart.complaint_trend_daily.nps_responses IS 'Distinct survey responses with an NPS score in the cell.';
COMMENT ON COLUMN mart.complaint_trend_daily.mean_csat IS 'Mean CSAT (1-5) of the distinct responses in the cell; null without CSAT answers.';
COMMENT ON COLUMN mart.complaint_trend_daily.mean_ces IS 'Mean CES (1-7) of the distinct responses in the cell; null without CES answers.';
COMMENT ON COLUMN mart.complaint_trend_daily.complaint_baseline_7d IS 'Mean daily complaints in this cell over the previous 7 days (days without feedback count as 0).';
COMMENT ON COLUMN mart.complaint_trend_daily.complaint_baseline_28d IS 'Mean daily complaints in this cell over the previous 28 days (days without feedback count as 0).';
COMMENT ON COLUMN mart.complaint_trend_daily.complaint_stddev_28d IS 'Standard deviation of daily complaints over the previous 28 days.';
COMMENT ON COLUMN mart.complaint_trend_daily.complaint_zscore IS 'How unusual today is: (complaints - 28-day mean) / max(28-day stddev, 1).';
COMMENT ON COLUMN mart.complaint_trend_daily.is_spike IS 'True when complaints reach the minimum volume (default 5) and the z-score is at least the threshold (default 3).';
COMMENT ON COLUMN mart.complaint_trend_daily.taxonomy_version IS 'Taxonomy version(s) of the items in the cell.';
COMMENT ON COLUMN mart.complaint_trend_daily.built_at IS 'When the day was last rebuilt.';
"""


def upgrade() -> None:
    op.execute(DDL)
