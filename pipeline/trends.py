"""Daily complaint trends: rebuild ``mart.complaint_trend_daily`` for one day from ``core.item_topic``.

A day's rows depend only on the feedback given on that day and the 28 days before it, so
rebuilding a day (a re-run or an Airflow backfill) reproduces the same rows, and replaces them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import Engine, text

MIN_VOLUME = 5  # fewer complaints than this in a cell is never a spike: two complaints on a quiet day are noise
Z_THRESHOLD = 3.0

BUILD_SQL = """
WITH today AS (
    SELECT * FROM core.item_topic WHERE occurred_at >= :start AND occurred_at < :end
),

history AS (
    SELECT theme, topic, journey_stage, channel, occurred_on, count(*) FILTER (WHERE is_complaint) AS complaints
    FROM core.item_topic
    WHERE occurred_at >= :start - interval '28 days' AND occurred_at < :start
    GROUP BY 1, 2, 3, 4, 5
),

baseline AS (
    SELECT
        theme, topic, journey_stage, channel,
        COALESCE(sum(complaints) FILTER (WHERE occurred_on >= CAST(:day AS date) - 7), 0) / 7.0 AS baseline_7d,
        sum(complaints) / 28.0 AS baseline_28d,
        sqrt(greatest(sum(complaints ^ 2) / 28.0 - (sum(complaints) / 28.0) ^ 2, 0)) AS stddev_28d
    FROM history
    GROUP BY 1, 2, 3, 4
),

volumes AS (
    SELECT
        theme, topic, journey_stage, channel,
        count(*) AS item_count,
        count(*) FILTER (WHERE is_complaint) AS complaint_count,
        avg(CASE WHEN is_negative THEN 1.0 WHEN is_negative IS NOT NULL THEN 0.0 END) AS negative_share,
        avg(sentiment) AS mean_sentiment,
        string_agg(DISTINCT taxonomy_version, ',') AS taxonomy_version
    FROM today
    GROUP BY 1, 2, 3, 4
),

responses AS (  -- scores count once per survey response, however many texts it had
    SELECT DISTINCT theme, topic, journey_stage, channel, record_id, nps, csat, ces FROM today
),

scores AS (
    SELECT
        theme, topic, journey_stage, channel,
        count(nps) AS nps_responses,
        100.0 * (count(*) FILTER (WHERE nps >= 9) - count(*) FILTER (WHERE nps <= 6)) / NULLIF(count(nps), 0) AS nps,
        avg(csat) AS mean_csat,
        avg(ces) AS mean_ces
    FROM responses
    GROUP BY 1, 2, 3, 4
),

final AS (
    SELECT
        CAST(:day AS date) AS trend_date,
        volumes.theme, volumes.topic, volumes.journey_stage, volumes.channel,
        volumes.item_count, volumes.complaint_count, volumes.negative_share, volumes.mean_sentiment,
        scores.nps, scores.nps_responses, scores.mean_csat, scores.mean_ces,
        COALESCE(baseline.baseline_7d, 0) AS complaint_baseline_7d,
        COALESCE(baseline.baseline_28d, 0) AS complaint_baseline_28d,
        COALESCE(baseline.stddev_28d, 0) AS complaint_stddev_28d,
        (volumes.complaint_count - COALESCE(baseline.baseline_28d, 0))
            / greatest(COALESCE(baseline.stddev_28d, 0), 1) AS complaint_zscore,
        volumes.taxonomy_version
    FROM volumes
    JOIN scores USING (theme, topic, journey_stage, channel)
    LEFT JOIN baseline USING (theme, topic, journey_stage, channel)
)

INSERT INTO mart.complaint_trend_daily (
    trend_date, theme, topic, journey_stage, channel, item_count, complaint_count, negative_share,
    mean_sentiment, nps, nps_responses, mean_csat, mean_ces, complaint_baseline_7d, complaint_baseline_28d,
    complaint_stddev_28d, complaint_zscore, is_spike, taxonomy_version
)
SELECT
    trend_date, theme, topic, journey_stage, channel, item_count, complaint_count, negative_share,
    mean_sentiment, nps, nps_responses, mean_csat, mean_ces, complaint_baseline_7d, complaint_baseline_28d,
    complaint_stddev_28d, complaint_zscore,
    complaint_count >= :min_volume AND complaint_zscore >= :z_threshold AS is_spike,
    taxonomy_version
FROM final
"""


@dataclass
class TrendReport:
    day: date
    rows: int
    spikes: int

    def __str__(self) -> str:
        return f"{self.day}: {self.rows} trend rows, {self.spikes} spikes"


def build_day(
    engine: Engine, day: date, *, min_volume: int = MIN_VOLUME, z_threshold: float = Z_THRESHOLD
) -> TrendReport:
    """Replace the rows of ``day`` in ``mart.complaint_trend_daily``.

    Reads ``core.item_topic`` for that day and the 28 days before it.
    """
    start = datetime.combine(day, time.min, tzinfo=UTC)
    params = {"day": day, "start": start, "end": start + timedelta(days=1), "min_volume": min_volume,
              "z_threshold": z_threshold}
    with engine.begin() as conn:
        conn.execute(text("SELECT pg_advisory_xact_lock(hashtext(:k))"), {"k": f"voc-trends:{day}"})
        conn.execute(text("DELETE FROM mart.complaint_trend_daily WHERE trend_date = :day"), {"day": day})
        conn.execute(text(BUILD_SQL), params)
        rows, spikes = conn.execute(text(
            "SELECT count(*), count(*) FILTER (WHERE is_spike) FROM mart.complaint_trend_daily WHERE trend_date = :day"
        ), {"day": day}).one()
    return TrendReport(day, rows, spikes)


def build_range(engine: Engine, first: date, last: date, **kwargs) -> list[TrendReport]:
    """Rebuild every day from ``first`` to ``last`` inclusive (a backfill)."""
    days = (last - first).days + 1
    return [build_day(engine, first + timedelta(days=n), **kwargs) for n in range(days)]
