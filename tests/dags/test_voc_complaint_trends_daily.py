"""``voc_complaint_trends_daily`` end to end: the run's day comes from its data interval, never from "now".

Without ``VOC_EXTRACT_DIR`` the trend rows are built but the extract fails after a retry; set, the same
logical date writes the extract; a re-run rebuilds the day's rows and replaces the extract with the same
content (only ``built_at`` moves), so a backfill reproduces what the daily run wrote.
"""

from __future__ import annotations

import csv

import pytest

from tests.dags.airflow_env import needs_airflow
from tests.dags.sample import load_sample, write_sample

pytestmark = [pytest.mark.airflow, needs_airflow]

DAG_ID = "voc_complaint_trends_daily"
LOGICAL_DATE = "2026-10-21T00:00:00+00:00"  # a manual run covers the last whole day before it, long before "now"
DAY = "2026-10-20"
TRENDS_URI = "postgres://warehouse:5432/voc/mart/complaint_trend_daily"


def trend_rows(engine) -> dict[str, list[tuple]]:
    """Every trend row by day, without ``built_at`` (the one column a rebuild changes)."""
    with engine.connect() as conn:
        rows = conn.exec_driver_sql(
            "SELECT * FROM mart.complaint_trend_daily ORDER BY trend_date, theme, topic, journey_stage, channel"
        ).mappings().all()
    days: dict[str, list[tuple]] = {}
    for row in rows:
        days.setdefault(row["trend_date"].isoformat(), []).append(
            tuple(value for name, value in row.items() if name != "built_at"))
    return days


def extract_csv(folder) -> list[dict]:
    [path] = (folder / "complaint_trends" / DAY).glob("*.csv")
    with path.open(encoding="utf-8", newline="") as fh:
        return [{k: v for k, v in row.items() if k != "built_at"} for row in csv.DictReader(fh)]


def test_the_interval_day_is_built_the_extract_fails_until_configured_and_a_rerun_replaces_it(
    dag_session, engine, db_env, tmp_path
):
    load_sample(engine, write_sample(tmp_path / "sample"), ["surveys", "support_ces"])
    dag = dag_session(DAG_ID)
    warehouse = {"VOC_DATABASE_URL": db_env["VOC_DATABASE_URL"]}

    failed = dag.run(LOGICAL_DATE, warehouse, retries=1, retry_delay=1)

    assert failed.report is not None, failed.output[-5000:]
    assert failed.report["state"] == "failed"
    assert failed.states == {"build_trends": "success", "check_trends": "success", "write_extract": "failed"}
    assert failed.tries["write_extract"] == 2
    assert "VOC_EXTRACT_DIR is not set" in failed.output
    assert failed.report["xcom"]["build_trends"]["day"] == DAY
    assert list(trend_rows(engine)) == [DAY], "only the interval's day is built"
    assert failed.report["asset_events"] == [{"task_id": "build_trends", "uri": TRENDS_URI, "extra": {}}]

    exports = tmp_path / "exports"
    env = {**warehouse, "VOC_EXTRACT_DIR": str(exports)}
    written = dag.run(LOGICAL_DATE, env)

    assert written.succeeded, written.output[-5000:]
    day_rows = trend_rows(engine)[DAY]
    assert written.report["xcom"]["build_trends"] == {"day": DAY, "rows": len(day_rows), "spikes": 0}
    assert written.report["xcom"]["write_extract"]["rows"] == len(day_rows) > 0
    assert written.report["xcom"]["check_trends"]["failed"] == 0  # the Great Expectations gate on the day
    assert written.report["xcom"]["write_extract"]["csv"].startswith(str(exports / "complaint_trends" / DAY))
    assert len(extract_csv(exports)) == len(day_rows)
    with engine.connect() as conn:  # the extract builds the 28 days before it that its baseline needs
        feedback_days = conn.exec_driver_sql(
            "SELECT DISTINCT CAST(occurred_at AT TIME ZONE 'UTC' AS date) FROM core.feedback_item"
            f" WHERE occurred_at >= DATE '{DAY}' - 28 AND occurred_at < DATE '{DAY}' + 1").scalars().all()
    assert sorted(trend_rows(engine)) == sorted(day.isoformat() for day in feedback_days)
    assert len(feedback_days) > 1
    rows_before, csv_before = trend_rows(engine), extract_csv(exports)

    again = dag.run(LOGICAL_DATE, env)

    assert again.succeeded, again.output[-5000:]
    assert trend_rows(engine) == rows_before
    assert extract_csv(exports) == csv_before
    assert sorted(p.name for p in (exports / "complaint_trends").iterdir() if p.is_dir()) == [DAY]
    assert sorted(p.name for p in (exports / "complaint_trends" / DAY).iterdir()) == [
        f"complaint_trends_{DAY}.csv", "report.html"]
