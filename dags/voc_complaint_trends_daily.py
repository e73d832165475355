"""Daily complaint trends and the CX extract for the run's day, with catchup so every past day gets built.

The day is the run's data interval (UTC), never "now": a backfill
(``airflow backfill create --dag-id voc_complaint_trends_daily --from-date ... --to-date ...``) or a
cleared run rebuilds exactly its day. ``build_trends`` replaces that day's rows of
``mart.complaint_trend_daily``; ``write_extract`` replaces ``$VOC_EXTRACT_DIR/complaint_trends/<day>/``.
Catchup starts at ``VOC_TRENDS_START_DATE`` (read when the file is parsed; default 2026-01-01).
"""

from __future__ import annotations

from datetime import timedelta

import pendulum
from _voc_assets import COMPLAINT_TRENDS
from _voc_common import extract_dir, task_defaults, trends_start_date, warehouse_engine
from airflow.sdk import CronDataIntervalTimetable, dag, task

START = trends_start_date()


@dag(
    # Daily *intervals*: the run of day D covers [D, D+1) and starts once D is over. A plain "@daily" is a
    # trigger timetable in Airflow 3, whose interval is empty and would point at the day just begun.
    schedule=CronDataIntervalTimetable("@daily", timezone="UTC"),
    start_date=pendulum.datetime(START.year, START.month, START.day, tz="UTC"),
    catchup=True,
    max_active_runs=3,
    tags=["voc", "trends", "extract"],
    default_args=task_defaults(timeout=timedelta(minutes=30)),
)
def voc_complaint_trends_daily():
    """Rebuild the day's complaint-trend rows, check them, then write the day's CSV and HTML extract for the CX team."""

    @task(outlets=[COMPLAINT_TRENDS])
    def build_trends(data_interval_start=None) -> dict:
        """Replace the trend rows of the interval's day."""
        from voc.pipeline.trends import build_day

        report = build_day(warehouse_engine(), data_interval_start.in_timezone("UTC").date())
        return {"day": report.day.isoformat(), "rows": report.rows, "spikes": report.spikes}

    @task
    def check_trends(data_interval_start=None) -> dict:
        """Great Expectations gate on the day's rows: an error-level failure fails the task before the extract."""
        from voc.pipeline.quality import check_trend_day

        run = check_trend_day(warehouse_engine(), data_interval_start.in_timezone("UTC").date())
        return {"suite": run.suite, "checks": len(run.results), "failed": len(run.failed)}

    @task
    def write_extract(data_interval_start=None) -> dict:
        """Replace the day's extract folder; trend days the report needs and lacks are built first."""
        from voc.pipeline.extract import write_extract as write_day

        result = write_day(warehouse_engine(), data_interval_start.in_timezone("UTC").date(), extract_dir())
        return {"day": result.day.isoformat(), "rows": result.rows, "spikes": result.spikes,
                "csv": str(result.csv_path), "html": str(result.html_path)}

    build_trends() >> check_trends() >> write_extract()


trends_dag = voc_complaint_trends_daily()

if __name__ == "__main__":
    trends_dag.test()
