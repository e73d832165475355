"""Nightly upkeep: re-tag items after a taxonomy or NLP change, report raw-payload retention, sweep data quality.

``retag_outdated`` re-tags the items whose ``nlp_version``/``taxonomy_version`` differ from the current
ones (``enrich_pending(reprocess=True)``), at most ``VOC_RETAG_LIMIT`` per night, in the ``voc_nlp`` pool;
after a taxonomy change, backfill ``voc_complaint_trends_daily`` for the affected days. ``retention``
only reports the raw payloads older than ``VOC_RAW_RETENTION_DAYS`` (default 365): it deletes nothing,
because core items reference their raw record. ``quality_sweep`` fails the run when any check finds rows.
"""

from __future__ import annotations

from datetime import timedelta

import pendulum
from _voc_common import NLP_POOL, positive_int_setting, task_defaults, warehouse_engine
from airflow.sdk import dag, task


@dag(
    schedule="@daily",
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    max_active_runs=1,
    tags=["voc", "maintenance", "quality"],
    default_args=task_defaults(timeout=timedelta(hours=1)),
)
def voc_maintenance():
    """Re-tag outdated items, report what retention would remove, and check the warehouse's invariants."""

    @task(pool=NLP_POOL)
    def retag_outdated() -> dict:
        """Tag untagged items, then re-tag those of another NLP or taxonomy version, up to the nightly limit."""
        from voc.pipeline.enrich import enrich_pending

        limit = positive_int_setting("VOC_RETAG_LIMIT", 50_000)
        report = enrich_pending(warehouse_engine(), reprocess=True, limit=limit)
        return {"enriched": report.enriched, "retagged": report.retagged, "limit": limit}

    @task
    def retention(data_interval_end=None) -> dict:
        """Remove raw payloads older than the retention period as of the interval's end; core items stay."""
        from datetime import timedelta

        from voc.pipeline.retention import purge_raw_payloads

        keep_days = positive_int_setting("VOC_RAW_RETENTION_DAYS", 365)
        purged = purge_raw_payloads(warehouse_engine(), timedelta(days=keep_days), as_of=data_interval_end)
        return {"cutoff": (data_interval_end - timedelta(days=keep_days)).isoformat(), "keep_days": keep_days,
                "purged_payloads": purged}

    @task
    def quality_sweep(data_interval_end=None) -> dict[str, int]:
        """Run the invariant checks; any offending row fails the task with every failed check named."""
        from voc.pipeline.health import violations as quality_violations

        violations = quality_violations(warehouse_engine(), data_interval_end)
        failed = {name: rows for name, rows in violations.items() if rows}
        if failed:
            raise ValueError(f"data-quality sweep failed: {failed} (all checks: {violations})")
        return violations

    retag_outdated() >> quality_sweep()
    retention()


maintenance_dag = voc_maintenance()

if __name__ == "__main__":
    maintenance_dag.test()
