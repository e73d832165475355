"""Daily complaint trends: volumes, scores, baselines and spikes, and a day rebuilt is a day replaced."""

import random
from datetime import UTC, date, datetime, time, timedelta

from pytest import approx
from sqlalchemy import text

from tests.pipeline.seed import seed_items
from voc.pipeline.trends import build_day, build_range

LATE = [("delivery", "late_delivery", True)]
DAY = date(2026, 10, 20)


def _complaints(day: date, n: int, **extra):
    return [{"occurred_at": f"{day}T{10 + i % 10:02d}:00:00+00:00", "channel": "social", "topics": LATE,
             "is_complaint": True, "label": "negative", "sentiment": -0.6, "stage": "delivery", **extra}
            for i in range(n)]


def _rows(engine, day):
    with engine.connect() as conn:
        return [dict(r._mapping) for r in conn.exec_driver_sql(
            "SELECT * FROM mart.complaint_trend_daily WHERE trend_date = %s ORDER BY theme, topic, channel",
            (day,))]


def test_a_surge_over_a_steady_baseline_is_a_spike(engine):
    history = [row for n in range(1, 29) for row in _complaints(DAY - timedelta(days=n), 1 + n % 2)]
    seed_items(engine, history + _complaints(DAY, 14))
    report = build_day(engine, DAY)
    assert (report.rows, report.spikes) == (1, 1)
    [row] = _rows(engine, DAY)
    assert (row["theme"], row["topic"], row["journey_stage"], row["channel"]) == (
        "delivery", "late_delivery", "delivery", "social")
    assert (row["item_count"], row["complaint_count"]) == (14, 14)
    assert float(row["complaint_baseline_28d"]) == approx(sum(1 + n % 2 for n in range(1, 29)) / 28, abs=1e-3)
    assert float(row["complaint_baseline_7d"]) == approx(sum(1 + n % 2 for n in range(1, 8)) / 7, abs=1e-3)
    assert float(row["complaint_zscore"]) > 3 and row["is_spike"] is True
    assert float(row["negative_share"]) == 1.0


def test_two_complaints_on_a_quiet_day_are_not_an_alarm(engine):
    seed_items(engine, _complaints(DAY, 2))
    [row] = _rows(engine, DAY) if build_day(engine, DAY).rows else [None]
    assert row["complaint_count"] == 2 and float(row["complaint_baseline_28d"]) == 0
    assert float(row["complaint_zscore"]) == 2.0 and row["is_spike"] is False  # below the minimum volume


def test_scores_count_each_response_once(engine):
    both = {"occurred_at": f"{DAY}T09:00:00+00:00", "channel": "survey", "nps": 10, "record": "resp-1"}
    seed_items(engine, [
        {**both, "text": "Love it"}, {**both, "text": "Keep the prices"},  # one response, two texts
        {"occurred_at": f"{DAY}T11:00:00+00:00", "channel": "survey", "nps": 3},
        {"occurred_at": f"{DAY}T12:00:00+00:00", "channel": "survey", "csat": 4},
    ])
    build_day(engine, DAY)
    [row] = _rows(engine, DAY)
    assert row["topic"] == "(none)" and row["item_count"] == 4
    assert row["nps_responses"] == 2 and float(row["nps"]) == 0.0  # one promoter, one detractor
    assert float(row["mean_csat"]) == 4.0


def test_rebuilding_a_day_replaces_it_and_a_backfill_reproduces_it(engine):
    seed_items(engine, _complaints(DAY, 3) + _complaints(DAY + timedelta(days=1), 6))
    build_range(engine, DAY, DAY + timedelta(days=1))
    strip = lambda rows: [{k: v for k, v in r.items() if k != "built_at"} for r in rows]  # noqa: E731
    first = strip(_rows(engine, DAY)) + strip(_rows(engine, DAY + timedelta(days=1)))
    build_range(engine, DAY, DAY + timedelta(days=1))
    build_day(engine, DAY)
    again = strip(_rows(engine, DAY)) + strip(_rows(engine, DAY + timedelta(days=1)))
    assert again == first and len(first) == 2
    assert float(first[1]["complaint_baseline_7d"]) == approx(3 / 7, abs=1e-3)


# The statement that rebuilt one day at a time before build_range became set-based: the reference the
# range statement must reproduce row for row.
DAY_BY_DAY_SQL = """
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


def _all_rows(engine):
    with engine.connect() as conn:
        return [{k: v for k, v in r._mapping.items() if k != "built_at"} for r in conn.exec_driver_sql(
            "SELECT * FROM mart.complaint_trend_daily ORDER BY trend_date, theme, topic, journey_stage, channel")]


def test_a_range_rebuild_gives_the_rows_of_the_day_by_day_rebuild(engine):
    rng = random.Random(8)
    topics = [("delivery", "late_delivery", True), ("price", "too_expensive", True), ("staff", "friendly", False)]
    rows = []
    for n in range(70):
        day = DAY - timedelta(days=n)
        for i in range(rng.randint(0, 12) if n % 9 else 0):  # some days without any feedback
            rows.append({
                "occurred_at": f"{day}T{rng.randint(0, 23):02d}:{rng.randint(0, 59):02d}:00+00:00",
                "channel": rng.choice(["social", "survey", "email"]),
                "topics": rng.sample(topics, rng.randint(0, 2)), "is_complaint": rng.random() < 0.6,
                "label": rng.choice(["negative", "neutral", "positive", None]),
                "sentiment": round(rng.uniform(-1, 1), 3), "stage": rng.choice(["delivery", "purchase", None]),
                "nps": rng.choice([None, 0, 5, 7, 9, 10]), "csat": rng.choice([None, 1, 3, 5]),
                **({"record": f"resp-{n}-{i // 2}"} if i < 4 else {}),  # two texts of one response
            })
    seed_items(engine, rows)
    first, last = DAY - timedelta(days=40), DAY + timedelta(days=1)
    days = [first + timedelta(days=n) for n in range((last - first).days + 1)]
    with engine.begin() as conn:
        for day in days:
            start = datetime.combine(day, time.min, tzinfo=UTC)
            conn.execute(text(DAY_BY_DAY_SQL), {"day": day, "start": start, "end": start + timedelta(days=1),
                                                "min_volume": 5, "z_threshold": 3.0})
    expected = _all_rows(engine)
    with engine.begin() as conn:
        conn.exec_driver_sql("DELETE FROM mart.complaint_trend_daily")
    reports = build_range(engine, first, last)
    assert len(expected) > 100
    assert _all_rows(engine) == expected
    assert [r.day for r in reports] == days and sum(r.rows for r in reports) == len(expected)
    assert [r.rows for r in reports if r.day == DAY + timedelta(days=1)] == [0]
