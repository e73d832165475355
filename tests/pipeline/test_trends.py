"""Daily complaint trends: volumes, scores, baselines and spikes, and a day rebuilt is a day replaced."""

from datetime import date, timedelta

from pytest import approx

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
