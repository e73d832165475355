"""Daily complaint trends: rebuild ``mart.complaint_trend_daily`` for one day or a range from ``core.item_topic``.

A day's rows depend only on the feedback given on that day and the 28 days before it, so
rebuilding a day (a re-run or an Airflow backfill) reproduces the same rows, and replaces them.
A range is rebuilt by one set-based statement: daily complaint counts once, baselines as window
frames over them, instead of re-reading 28 days of history for every day.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import Engine, text

MIN_VOLUME = 5  # fewer complaints than this in a cell is never a spike: two complaints on a quiet day are noise
Z_THRESHOLD = 3.0

BUILD_SQL = """
WITH topics AS (  -- the range and the 28 days before its first day, read once; only the columns used below
    SELECT occurred_at, occurred_on, theme, topic, journey_stage, channel, is_complaint, is_negative, sentiment,
           taxonomy_version, record_id, nps, csat, ces
    FROM core.item_topic WHERE occurred_at >= :start - interval '28 days' AND occurred_at < :end
),

daily AS (
    SELECT theme, topic, journey_stage, channel, occurred_on, count(*) FILTER (WHERE is_complaint) AS complaints
    FROM topics
    GROUP BY 1, 2, 3, 4, 5
),

baseline AS (  -- per cell and day, the days before it: the frames never include the day itself
    SELECT
        theme, topic, journey_stage, channel, occurred_on,
        COALESCE(sum(complaints) OVER last_7d, 0) / 7.0 AS baseline_7d,
        sum(complaints) OVER last_28d / 28.0 AS baseline_28d,
        sqrt(greatest(sum(complaints ^ 2) OVER last_28d / 28.0 - (sum(complaints) OVER last_28d / 28.0) ^ 2, 0))
            AS stddev_28d
    FROM daily
    WINDOW
        cell AS (PARTITION BY theme, topic, journey_stage, channel ORDER BY occurred_on),
        last_7d AS (cell RANGE BETWEEN interval '7 days' PRECEDING AND interval '1 day' PRECEDING),
        last_28d AS (cell RANGE BETWEEN interval '28 days' PRECEDING AND interval '1 day' PRECEDING)
),

days AS (
    SELECT * FROM topics WHERE occurred_at >= :start
),

volumes AS (
    SELECT
        theme, topic, journey_stage, channel, occurred_on,
        count(*) AS item_count,
        count(*) FILTER (WHERE is_complaint) AS complaint_count,
        avg(CASE WHEN is_negative THEN 1.0 WHEN is_negative IS NOT NULL THEN 0.0 END) AS negative_share,
        avg(sentiment) AS mean_sentiment,
        string_agg(DISTINCT taxonomy_version, ',') AS taxonomy_version
    FROM days
    GROUP BY 1, 2, 3, 4, 5
),

responses AS (  -- scores count once per survey response, however many texts it had; rows without a score
    -- add nothing to the counts and averages below, so they are not sorted
    SELECT DISTINCT theme, topic, journey_stage, channel, occurred_on, record_id, nps, csat, ces FROM days
    WHERE nps IS NOT NULL OR csat IS NOT NULL OR ces IS NOT NULL
),

scores AS (
    SELECT
        theme, topic, journey_stage, channel, occurred_on,
        count(nps) AS nps_responses,
        100.0 * (count(*) FILTER (WHERE nps >= 9) - count(*) FILTER (WHERE nps <= 6)) / NULLIF(count(nps), 0) AS nps,
        avg(csat) AS mean_csat,
        avg(ces) AS mean_ces
    FROM responses
    GROUP BY 1, 2, 3, 4, 5
),

final AS (
    SELECT
        volumes.occurred_on AS trend_date,
        volumes.theme, volumes.topic, volumes.journey_stage, volumes.channel,
        volumes.item_count, volumes.complaint_count, volumes.negative_share, volumes.mean_sentiment,
        scores.nps, COALESCE(scores.nps_responses, 0) AS nps_responses, scores.mean_csat, scores.mean_ces,
        COALESCE(baseline.baseline_7d, 0) AS complaint_baseline_7d,
        COALESCE(baseline.baseline_28d, 0) AS complaint_baseline_28d,
        COALESCE(baseline.stddev_28d, 0) AS complaint_stddev_28d,
        (volumes.complaint_count - COALESCE(baseline.baseline_28d, 0))
            / greatest(COALESCE(baseline.stddev_28d, 0), 1) AS complaint_zscore,
        volumes.taxonomy_version
    FROM volumes
    LEFT JOIN scores USING (theme, topic, journey_stage, channel, occurred_on)  -- a cell without scored responses
    LEFT JOIN baseline USING (theme, topic, journey_stage, channel, occurred_on)
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
    return build_range(engine, day, day, min_volume=min_volume, z_threshold=z_threshold)[0]


def build_range(
    engine: Engine, first: date, last: date, *, min_volume: int = MIN_VOLUME, z_threshold: float = Z_THRESHOLD
) -> list[TrendReport]:
    """Replace the rows of every day from ``first`` to ``last`` inclusive (a backfill), in one transaction.

    Reads ``core.item_topic`` once for the range and the 28 days before it; the rows are those that
    rebuilding each day alone gives (tests/pipeline/test_trends.py holds the day-by-day statement).
    """
    if last < first:
        return []
    days = [first + timedelta(days=n) for n in range((last - first).days + 1)]
    start = datetime.combine(first, time.min, tzinfo=UTC)
    params = {"start": start, "end": start + timedelta(days=len(days)), "min_volume": min_volume,
              "z_threshold": z_threshold}
    with engine.begin() as conn:
        for day in days:  # the same lock a single day's rebuild takes, in date order so two ranges never deadlock
            conn.execute(text("SELECT pg_advisory_xact_lock(hashtext(:k))"), {"k": f"voc-trends:{day}"})
        conn.execute(text("DELETE FROM mart.complaint_trend_daily WHERE trend_date BETWEEN :first AND :last"),
                     {"first": first, "last": last})
        conn.execute(text(BUILD_SQL), params)
        counts = {day: (rows, spikes) for day, rows, spikes in conn.execute(text(
            "SELECT trend_date, count(*), count(*) FILTER (WHERE is_spike) FROM mart.complaint_trend_daily"
            " WHERE trend_date BETWEEN :first AND :last GROUP BY trend_date"), {"first": first, "last": last})}
    return [TrendReport(day, *counts.get(day, (0, 0))) for day in days]
