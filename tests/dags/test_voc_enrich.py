"""``voc_enrich`` end to end: mapped claims in the ``voc_nlp`` pool, a failed claim retried, then publish.

The warehouse is loaded in-process; a trigger makes the first write to ``core.enrichment`` fail once (a
sequence survives the rollback), so one mapped task fails its first try and claims again on its retry.
Every item is tagged exactly once: the per-claim counts add up to the item count.
"""

from __future__ import annotations

import pytest

from tests.dags.airflow_env import needs_airflow
from tests.dags.sample import load_sample, write_sample
from tests.helpers import count, table_counts
from voc.pipeline.publish import LAYER_TABLES

pytestmark = [pytest.mark.airflow, needs_airflow]

LOGICAL_DATE = "2026-11-02T10:00:00+00:00"
STORY_URI = "postgres://warehouse:5432/voc/mart/customer_story"
FAIL_ONCE = """
CREATE SEQUENCE public.enrich_attempt;
CREATE FUNCTION public.fail_first_enrichment() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF nextval('public.enrich_attempt') = 1 THEN
        RAISE EXCEPTION 'injected failure: the first enrichment write dies';
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER fail_first_enrichment AFTER INSERT ON core.enrichment
    FOR EACH STATEMENT EXECUTE FUNCTION public.fail_first_enrichment();
"""


def test_claims_run_in_parallel_slots_a_failed_claim_is_retried_and_a_rerun_finds_nothing(
    dag_session, engine, db_env, tmp_path
):
    sample = write_sample(tmp_path / "sample")
    load_sample(engine, sample, ["surveys", "reviews"], enrich=False)
    items = count(engine, "core.feedback_item")
    with engine.begin() as conn:
        conn.exec_driver_sql(FAIL_ONCE)
    env = {"VOC_DATABASE_URL": db_env["VOC_DATABASE_URL"], "VOC_ENRICH_PARTITIONS": "3",
           "VOC_ENRICH_BATCH_SIZE": "200"}
    dag = dag_session("voc_enrich")

    first = dag.run(LOGICAL_DATE, env, retries=1, retry_delay=1)

    assert first.succeeded, first.output[-5000:]
    assert "injected failure: the first enrichment write dies" in first.output
    share = -(-items // 3)
    assert first.report["xcom"]["plan"] == [share, share, share]
    claims = {f"enrich[{i}]" for i in range(3)}
    assert first.states == {"plan": "success", **dict.fromkeys(claims, "success"), "publish": "success",
                            "check_items": "success"}
    assert first.report["xcom"]["check_items"]["failed"] == 0  # the Great Expectations gate on core items
    assert {first.report["tasks"][claim]["pool"] for claim in claims} == {"voc_nlp"}
    assert sorted(first.tries[claim] for claim in claims) == [1, 1, 2], "the failed claim was not retried"
    assert sum(first.report["xcom"][claim]["enriched"] for claim in claims) == items
    assert count(engine, "core.enrichment") == items
    assert first.report["xcom"]["publish"] == {table: count(engine, table) for table in LAYER_TABLES}
    assert first.report["asset_events"] == [{"task_id": "publish", "uri": STORY_URI, "extra": {}}]
    before = table_counts(engine)

    again = dag.run(LOGICAL_DATE, env)

    assert again.succeeded, again.output[-5000:]
    assert again.report["xcom"]["plan"] == []
    assert again.states == {"plan": "success", "enrich": "skipped", "publish": "success", "check_items": "success"}
    after = table_counts(engine)
    assert after.pop("raw.quality_result") > before.pop("raw.quality_result")  # every gate run is logged
    assert after == before
