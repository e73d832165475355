"""The analyst marts: timeline, customer health, journey-stage health, coverage, and the read-only analyst role."""

import uuid

import psycopg2
import pytest
from psycopg2 import errors

from tests.pipeline.seed import seed_items
from voc.pipeline.db.roles import grant_analyst

LATE = [("delivery", "late_delivery", True)]
APP = [("digital", "app", False)]


def _query(engine, sql, *args):
    with engine.connect() as conn:
        return [dict(r._mapping) for r in conn.exec_driver_sql(sql, *args)]


def test_timeline_and_health_tell_each_customers_story(engine):
    seed_items(engine, [
        {"occurred_at": "2026-10-01T09:00:00+00:00", "customer_key": "cust_a", "channel": "social",
         "topics": LATE, "is_complaint": True, "label": "negative", "sentiment": -0.7, "stage": "delivery"},
        {"occurred_at": "2026-10-10T09:00:00+00:00", "customer_key": "cust_a", "channel": "ticket",
         "topics": LATE, "is_complaint": True, "label": "negative", "sentiment": -0.5, "stage": "delivery"},
        {"occurred_at": "2026-10-12T09:00:00+00:00", "customer_key": "cust_a", "channel": "survey", "nps": 3,
         "label": "negative", "sentiment": -0.4, "intents": ["churn_risk"]},
        {"occurred_at": "2026-10-05T09:00:00+00:00", "customer_key": "cust_b", "channel": "survey", "nps": 10,
         "topics": APP, "label": "positive", "sentiment": 0.8, "stage": "purchase"},
        {"occurred_at": "2026-10-06T09:00:00+00:00", "customer_key": None, "channel": "review"},
    ])
    timeline = _query(engine, "SELECT customer_key, item_seq, channel FROM mart.customer_timeline"
                              " WHERE customer_key = 'cust_a' ORDER BY item_seq")
    assert [(r["item_seq"], r["channel"]) for r in timeline] == [(1, "social"), (2, "ticket"), (3, "survey")]
    health = {r["customer_key"]: r for r in _query(engine, "SELECT * FROM mart.customer_health")}
    assert set(health) == {"cust_a", "cust_b"}  # anonymous feedback has no customer
    a, b = health["cust_a"], health["cust_b"]
    assert (a["item_count"], a["channel_count"], a["complaint_count"]) == (3, 3, 2)
    assert a["has_repeated_complaints_30d"] and a["is_detractor_after_complaint"] and a["has_churn_risk_intent"]
    assert not a["has_recovered"] and a["relationship_signal"] == "at_risk"
    assert b["relationship_signal"] == "growing" and b["latest_nps"] == 10


def test_journey_stage_health_and_coverage(engine):
    seed_items(engine, [
        {"occurred_at": "2026-10-01T09:00:00+00:00", "topics": LATE, "is_complaint": True, "label": "negative",
         "sentiment": -0.6, "stage": "delivery", "nps": 2} for _ in range(3)
    ] + [{"occurred_at": "2026-10-01T10:00:00+00:00", "topics": APP, "label": "positive", "sentiment": 0.6,
          "stage": "purchase", "nps": 9}])
    stages = {r["journey_stage"]: r for r in _query(engine, "SELECT * FROM mart.journey_stage_health")}
    assert stages["delivery"]["item_count"] == 3 and stages["delivery"]["complaint_count"] == 3
    assert float(stages["delivery"]["nps"]) == -100.0 and float(stages["delivery"]["negative_share"]) == 1.0
    assert stages["delivery"]["top_topics"] == [{"topic": "late_delivery", "mentions": 3, "complaints": 3}]
    [coverage] = _query(engine, "SELECT * FROM mart.listening_coverage")
    assert (coverage["source"], coverage["channel"], coverage["item_count"]) == ("seed", "survey", 4)
    assert (coverage["load_count"], coverage["records_read"], coverage["records_quarantined"]) == (1, 0, 0)


@pytest.fixture
def analyst(engine, db_url):
    name = f"analyst_{uuid.uuid4().hex[:8]}"
    password = grant_analyst(engine, name)
    dsn = db_url.set(drivername="postgresql", username=name, password=password).render_as_string(
        hide_password=False)
    conn = psycopg2.connect(dsn)
    conn.autocommit = True
    yield conn
    conn.close()
    with engine.begin() as admin:
        admin.exec_driver_sql(f'DROP OWNED BY "{name}"')
        admin.exec_driver_sql(f'DROP ROLE "{name}"')


def test_analyst_reads_marts_but_not_raw_or_core_and_writes_nothing(engine, analyst):
    seed_items(engine, [{"occurred_at": "2026-10-01T09:00:00+00:00", "text": "hello"}])
    with analyst.cursor() as cur:
        for view in ("customer_story", "customer_timeline", "customer_health", "journey_stage_health",
                     "listening_coverage", "complaint_trend_daily"):
            cur.execute(f"SELECT count(*) FROM mart.{view}")
        cur.execute("SELECT count(*) FROM mart.customer_story")
        assert cur.fetchone() == (1,)
        for forbidden in ("SELECT * FROM raw.record", "SELECT * FROM raw.quarantine",
                          "SELECT * FROM core.feedback_item",
                          "INSERT INTO mart.complaint_trend_daily (trend_date) VALUES ('2026-01-01')",
                          "DELETE FROM mart.complaint_trend_daily", "CREATE TABLE mart.mine (x int)",
                          "CREATE TABLE public.mine (x int)", "CREATE SCHEMA mine"):
            with pytest.raises(errors.InsufficientPrivilege):
                cur.execute(forbidden)
