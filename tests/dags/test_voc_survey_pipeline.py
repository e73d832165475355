"""The survey DAG end to end: ``dag.test()`` in a real Airflow on PostgreSQL, writing a real warehouse.

Each test has its own warehouse database (``engine``/``db_env``) and one ``dag.test()`` process; the
Airflow metadata database is shared by the session. Retries are shortened to one second for the failing
run only.
"""

from __future__ import annotations

import shutil

import pytest

from tests.dags.airflow_env import UNREACHABLE_WAREHOUSE, needs_airflow
from tests.helpers import count, table_counts
from voc.pipeline.publish import LAYER_TABLES
from voc.pipeline.sample import generate_surveys

pytestmark = [pytest.mark.airflow, needs_airflow]

DAG_ID = "voc_survey_pipeline"
CUSTOMER_STORY_URI = "postgres://warehouse:5432/voc/mart/customer_story"


def assert_succeeded(result):
    assert result.succeeded, result.output[-5000:]
    assert result.states == {"ingest": "success", "enrich": "success", "publish": "success"}
    assert result.tries == {"ingest": 1, "enrich": 1, "publish": 1}


def assert_story_complete(engine):
    """Every feedback item is in the customer story, and every one is enriched."""
    stories = count(engine, "mart.customer_story")
    assert stories > 0
    assert stories == count(engine, "core.feedback_item")
    with engine.connect() as conn:
        not_enriched = conn.exec_driver_sql("SELECT count(*) FROM mart.customer_story WHERE NOT is_enriched")
        assert not_enriched.scalar_one() == 0


def test_hourly_run_loads_enriches_and_publishes_and_a_rerun_adds_nothing(dag_session, engine, db_env, tmp_path):
    folder, _ = generate_surveys(tmp_path / "sample")["surveys"]
    dsn = db_env["VOC_DATABASE_URL"]
    dag = dag_session(DAG_ID)

    first = dag.run("2026-01-01T00:00:00+00:00", {"VOC_DATABASE_URL": dsn, "VOC_SURVEY_DROP_DIR": str(folder)})

    assert_succeeded(first)
    assert_story_complete(engine)
    assert count(engine, "raw.quarantine") == 3
    [ingested] = first.report["xcom"]["ingest"]
    assert ingested["source"] == "surveys"
    assert ingested["read"] == ingested["loaded"] + ingested["quarantined"] and ingested["quarantined"] == 3
    assert ingested["items"] == count(engine, "core.feedback_item")
    assert first.report["xcom"]["enrich"]["enriched"] == ingested["items"]
    assert first.report["xcom"]["publish"] == {table: count(engine, table) for table in LAYER_TABLES}
    assert first.report["asset_events"] == [{"task_id": "publish", "uri": CUSTOMER_STORY_URI, "extra": {}}]
    before = table_counts(engine)

    # Same hour again, the warehouse now given as the Airflow connection: it must win over the
    # (unreachable) VOC_DATABASE_URL, and loading the same drop folder again must change nothing.
    again = dag.run("2026-01-01T00:00:00+00:00", {
        "AIRFLOW_CONN_VOC_WAREHOUSE": dsn, "VOC_DATABASE_URL": UNREACHABLE_WAREHOUSE,
        "VOC_SURVEY_DROP_DIR": str(folder),
    })

    assert_succeeded(again)
    assert again.report["run_id"] != first.report["run_id"]
    [reloaded] = again.report["xcom"]["ingest"]
    assert (reloaded["loaded"], reloaded["items"], reloaded["load_id"]) == (0, 0, None)
    assert reloaded["duplicate"] == before["raw.record"]
    assert again.report["xcom"]["enrich"]["enriched"] == 0
    assert table_counts(engine) == before


def test_missing_drop_folder_fails_the_run_after_retrying_and_a_rerun_after_the_fix_recovers(
    dag_session, engine, db_env, tmp_path
):
    ces_folder, ces_mapping = generate_surveys(tmp_path / "sample")["support_ces"]
    drop = tmp_path / "drop"
    env = {"VOC_DATABASE_URL": db_env["VOC_DATABASE_URL"], "VOC_SURVEY_DROP_DIR": str(drop),
           "VOC_SURVEY_SOURCE": "support_ces", "VOC_SURVEY_MAPPING": str(ces_mapping)}

    dag = dag_session(DAG_ID)

    failed = dag.run("2026-01-01T01:00:00+00:00", env, retries=1, retry_delay=1)

    assert failed.report is not None, failed.output[-5000:]
    assert failed.report["state"] == "failed"
    assert failed.states == {"ingest": "failed", "enrich": "upstream_failed", "publish": "upstream_failed"}
    assert failed.report["tasks"]["ingest"]["try_number"] == 2, "the failing ingest was not retried"
    assert f"FileNotFoundError: {drop}: no such file or folder" in failed.output
    assert failed.report["xcom"] == {} and failed.report["asset_events"] == []
    assert count(engine, "raw.load_batch") == count(engine, "core.feedback_item") == 0

    shutil.copytree(ces_folder, drop)
    recovered = dag.run("2026-01-01T01:00:00+00:00", env)

    assert_succeeded(recovered)
    assert_story_complete(engine)
    with engine.connect() as conn:
        sources = conn.exec_driver_sql("SELECT DISTINCT source, survey_type FROM mart.customer_story").all()
    assert [tuple(row) for row in sources] == [("support_ces", "ces")]
    assert count(engine, "raw.quarantine") == 0
