"""``voc_ingest_<source>`` end to end: ``dag.test()`` in a real Airflow on PostgreSQL, one DAG per configured source.

A missing drop folder fails the run after a retry and loads nothing; once the files arrive the same
logical date loads them and emits ``voc_feedback_items`` with the source and item count; a re-run of that
date loads nothing, is skipped and emits no asset event, so ``voc_enrich`` is not woken for nothing.
"""

from __future__ import annotations

import shutil

import pytest

from tests.dags.airflow_env import needs_airflow
from tests.dags.sample import write_sample
from tests.helpers import count, table_counts

pytestmark = [pytest.mark.airflow, needs_airflow]

FEEDBACK_URI = "postgres://warehouse:5432/voc/core/feedback_item"
LOGICAL_DATE = "2026-11-02T10:00:00+00:00"


def test_missing_files_fail_after_a_retry_then_the_same_date_loads_once_and_a_rerun_is_skipped(
    dag_session, engine, db_env, tmp_path
):
    sample = write_sample(tmp_path / "sample", schedules={"reviews": "@daily"})
    folder = sample.sources["reviews"]["location"]
    shutil.move(folder, tmp_path / "later")
    dag = dag_session("voc_ingest_reviews", {"VOC_SOURCES_CONFIG": str(sample.sources_file)},
                      dag_file="voc_ingest_sources")
    env = {"VOC_DATABASE_URL": db_env["VOC_DATABASE_URL"]}

    failed = dag.run(LOGICAL_DATE, env, retries=1, retry_delay=1)

    assert failed.report is not None, failed.output[-5000:]
    assert failed.report["state"] == "failed"
    assert failed.report["tasks"]["ingest"] == {"state": "failed", "try_number": 2, "pool": "default_pool"}
    assert f"FileNotFoundError: {folder}: no such file or folder" in failed.output
    assert failed.report["asset_events"] == [] and failed.report["xcom"] == {}
    assert count(engine, "raw.load_batch") == 0

    shutil.move(tmp_path / "later", folder)
    loaded = dag.run(LOGICAL_DATE, env)

    assert loaded.succeeded and loaded.states == {"ingest": "success"}, loaded.output[-5000:]
    summary = loaded.report["xcom"]["ingest"]
    items = count(engine, "core.feedback_item")
    assert items > 0
    assert summary == {"source": "reviews", "inputs": 1, "unchanged": 0, "read": summary["read"],
                       "loaded": summary["loaded"], "duplicate": 0, "quarantined": count(engine, "raw.quarantine"),
                       "items": items}
    assert summary["read"] == summary["loaded"] + summary["quarantined"] > 0
    assert loaded.report["asset_events"] == [
        {"task_id": "ingest", "uri": FEEDBACK_URI, "extra": {"source": "reviews", "items": items}}]
    with engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT DISTINCT source FROM core.feedback_item").scalars().all() == ["reviews"]
    before = table_counts(engine)

    again = dag.run(LOGICAL_DATE, env)

    assert again.succeeded, again.output[-5000:]
    assert again.states == {"ingest": "skipped"}
    assert "nothing new from reviews" in again.output
    assert again.report["asset_events"] == []
    assert table_counts(engine) == before
