"""Queries of the extract: trend rows from ``mart.complaint_trend_daily`` and verbatims from ``mart.customer_story``."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import Engine, text

# The columns of mart.complaint_trend_daily in table order: the CSV has exactly these.
TREND_COLUMNS = (
    "trend_date", "theme", "topic", "journey_stage", "channel", "item_count", "complaint_count", "negative_share",
    "mean_sentiment", "nps", "nps_responses", "mean_csat", "mean_ces", "complaint_baseline_7d",
    "complaint_baseline_28d", "complaint_stddev_28d", "complaint_zscore", "is_spike", "taxonomy_version", "built_at",
)


@dataclass(frozen=True)
class Cell:
    """One trend cell: a topic in one journey stage and channel (the grain the spike detector works at)."""

    theme: str
    topic: str
    journey_stage: str
    channel: str


def _utc_midnight(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


def days_to_build(engine: Engine, first: date, last: date) -> list[date]:
    """Days from ``first`` to ``last`` whose trend rows are not built yet.

    ``last`` counts when it has no rows; an earlier day only when ``core.item_topic`` has feedback on it,
    so a day without any feedback is not rebuilt on every run.
    """
    with engine.connect() as conn:
        built = set(conn.execute(text(
            "SELECT DISTINCT trend_date FROM mart.complaint_trend_daily WHERE trend_date BETWEEN :first AND :last"
        ), {"first": first, "last": last}).scalars())
        with_feedback = set(conn.execute(text(
            "SELECT DISTINCT occurred_on FROM core.item_topic WHERE occurred_at >= :start AND occurred_at < :end"
        ), {"start": _utc_midnight(first), "end": _utc_midnight(last + timedelta(days=1))}).scalars())
    span = (last - first).days + 1
    days = [first + timedelta(days=n) for n in range(span)]
    return [d for d in days if d not in built and (d == last or d in with_feedback)]


def day_rows(engine: Engine, day: date) -> list[dict[str, Any]]:
    """Every row of ``mart.complaint_trend_daily`` for ``day`` (grain: theme x topic x stage x channel), sorted."""
    with engine.connect() as conn:
        result = conn.execute(text(
            f"SELECT {', '.join(TREND_COLUMNS)} FROM mart.complaint_trend_daily WHERE trend_date = :day"
            " ORDER BY theme, topic, journey_stage, channel"
        ), {"day": day})
        return [dict(row._mapping) for row in result]


def window_counts(engine: Engine, first: date, last: date) -> list[dict[str, Any]]:
    """Daily item and complaint counts per trend cell from ``first`` to ``last`` (mart rows, one per day and cell)."""
    with engine.connect() as conn:
        result = conn.execute(text(
            "SELECT trend_date, theme, topic, journey_stage, channel, item_count, complaint_count"
            " FROM mart.complaint_trend_daily WHERE trend_date BETWEEN :first AND :last"
            " ORDER BY trend_date, theme, topic, journey_stage, channel"
        ), {"first": first, "last": last})
        return [dict(row._mapping) for row in result]


EXAMPLES_SQL = """
SELECT story.item_id, story.occurred_at, story.source, story.channel, story.text, story.topics, item.sentiment
FROM core.item_topic AS item
JOIN mart.customer_story AS story ON story.item_id = item.item_id
WHERE item.occurred_at >= :start AND item.occurred_at < :end
  AND item.theme = :theme AND item.topic = :topic AND item.journey_stage = :journey_stage
  AND item.channel = :channel AND item.is_complaint
  AND story.text IS NOT NULL AND btrim(story.text) <> ''
ORDER BY item.sentiment ASC NULLS LAST, story.occurred_at, story.item_id
LIMIT :limit
"""


def example_verbatims(engine: Engine, day: date, cell: Cell, limit: int = 3) -> list[dict[str, Any]]:
    """Up to ``limit`` complaints of ``cell`` on ``day``, most negative first, with their redacted text and topics.

    Complaint rows come from ``core.item_topic`` (the trend's own definition of a complaint), the
    text and evidence from ``mart.customer_story`` (PII-redacted).
    """
    start = _utc_midnight(day)
    params = {"start": start, "end": start + timedelta(days=1), "limit": limit, **asdict(cell)}
    with engine.connect() as conn:
        return [dict(row._mapping) for row in conn.execute(text(EXAMPLES_SQL), params)]
