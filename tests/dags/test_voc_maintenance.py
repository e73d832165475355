"""``voc_maintenance`` end to end: re-tagging after a taxonomy change, the retention report, the quality sweep.

Items tagged under an older taxonomy are re-tagged; retention removes raw payloads older than the age as of
the run's data interval and keeps every row and the redacted items;
a broken trend row fails the sweep after a retry, and the same logical date succeeds once it is fixed.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tests.dags.airflow_env import needs_airflow
from tests.dags.sample import load_sample, write_sample
from tests.helpers import count, table_counts
from voc.pipeline.trends import build_day

pytestmark = [pytest.mark.airflow, needs_airflow]

DAG_ID = "voc_maintenance"
# A run 60 days after today: every payload the test loads now is older than the 30 days it keeps. (A fixed date
# stopped being "long after" as the calendar caught up with it: 2027-01-01 is 26 days after 2026-12-06.)
LOGICAL_DAY = datetime.combine(datetime.now(UTC).date() + timedelta(days=60), datetime.min.time(), tzinfo=UTC)
LOGICAL_DATE = LOGICAL_DAY.isoformat()
CHECKS = {"items_not_enriched_after_a_day", "items_dated_after_they_were_loaded",
          "customer_story_rows_not_one_per_item", "trend_rows_with_impossible_counts"}


def test_outdated_tags_are_retagged_old_payloads_are_purged_and_a_broken_row_fails_the_sweep_until_fixed(
    dag_session, engine, db_env, tmp_path
):
    load_sample(engine, write_sample(tmp_path / "sample"), ["surveys", "reviews"])
    build_day(engine, datetime(2026, 10, 20).date())
    with engine.begin() as conn:
        outdated = conn.exec_driver_sql(
            "UPDATE core.enrichment SET taxonomy_version = 'acme-retail@0' WHERE item_id IN"
            " (SELECT item_id FROM core.enrichment ORDER BY item_id LIMIT 25)").rowcount
    env = {"VOC_DATABASE_URL": db_env["VOC_DATABASE_URL"], "VOC_RAW_RETENTION_DAYS": "30"}
    dag = dag_session(DAG_ID)
    records, quarantined = count(engine, "raw.record"), count(engine, "raw.quarantine")

    first = dag.run(LOGICAL_DATE, env, retries=1, retry_delay=1)

    assert first.succeeded, first.output[-5000:]
    assert first.report["tasks"]["retag_outdated"]["pool"] == "voc_nlp"
    assert first.report["xcom"]["retag_outdated"] == {"enriched": 0, "retagged": outdated, "limit": 50_000}
    with engine.connect() as conn:
        versions = conn.exec_driver_sql("SELECT DISTINCT taxonomy_version FROM core.enrichment").scalars().all()
    assert len(versions) == 1 and versions != ["acme-retail@0"], "the outdated items were not re-tagged"
    cutoff = LOGICAL_DAY - timedelta(days=30)  # "@daily" triggers: the interval ends at the run
    retention = first.report["xcom"]["retention"]
    assert (retention["cutoff"], retention["keep_days"]) == (cutoff.isoformat(), 30)
    assert retention["purged_payloads"] == records  # every payload is older than 30 days on LOGICAL_DAY
    assert first.report["xcom"]["quality_sweep"] == dict.fromkeys(CHECKS, 0)
    assert (count(engine, "raw.record"), count(engine, "raw.quarantine")) == (records, quarantined), \
        "retention deleted rows; it must only remove payloads"
    with engine.connect() as conn:
        kept = conn.exec_driver_sql("SELECT count(*) FROM raw.record WHERE NOT payload ? '_removed'").scalar_one()
        story = conn.exec_driver_sql("SELECT count(*) FROM mart.customer_story WHERE text IS NOT NULL").scalar_one()
    assert kept == 0 and story > 0  # originals gone from raw, the redacted items stay

    with engine.begin() as conn:
        conn.exec_driver_sql("UPDATE mart.complaint_trend_daily SET complaint_count = item_count + 1"
                             " WHERE ctid = (SELECT min(ctid) FROM mart.complaint_trend_daily)")
    broken = dag.run(LOGICAL_DATE, env, retries=1, retry_delay=1)

    assert broken.report is not None, broken.output[-5000:]
    assert broken.report["state"] == "failed"
    assert broken.states["quality_sweep"] == "failed" and broken.tries["quality_sweep"] == 2
    assert "data-quality sweep failed: {'trend_rows_with_impossible_counts': 1}" in broken.output
    assert broken.states["retention"] == "success"

    build_day(engine, datetime(2026, 10, 20).date())
    before = table_counts(engine)
    fixed = dag.run(LOGICAL_DATE, env)

    assert fixed.succeeded, fixed.output[-5000:]
    assert fixed.report["xcom"]["quality_sweep"] == dict.fromkeys(CHECKS, 0)
    assert table_counts(engine) == before
