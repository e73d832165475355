"""Survey drop folder to the customer story: ingest new exports, enrich new items, publish the mart.

Settings are read when a task runs, never at parse time: ``VOC_SURVEY_DROP_DIR`` (required),
``VOC_SURVEY_SOURCE`` (default ``surveys``), ``VOC_SURVEY_MAPPING`` (optional), and the warehouse from
the Airflow connection ``voc_warehouse`` or else ``VOC_DATABASE_URL``. Every step is idempotent,
so a retry or a re-run of any hour loads nothing twice.
"""

from __future__ import annotations

from datetime import timedelta

import pendulum
from _voc_assets import CUSTOMER_STORY
from _voc_common import survey_drop, task_defaults, warehouse_engine
from airflow.sdk import dag, task


@dag(
    schedule="@hourly",
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    max_active_runs=1,
    tags=["voc", "surveys", "ingest"],
    default_args=task_defaults(timeout=timedelta(minutes=30)),
)
def voc_survey_pipeline():
    """Load the survey drop folder into raw/core, tag the new items, refresh mart.customer_story."""

    @task
    def ingest() -> list[dict]:
        """Load every export in the drop folder; files already loaded count as duplicates. Missing folder: fail."""
        from voc.pipeline.ingest import ingest_surveys

        drop = survey_drop()
        reports = ingest_surveys(warehouse_engine(), [drop.folder], source=drop.source, mapping=drop.mapping)
        return [report.as_dict() for report in reports]

    @task
    def enrich() -> dict[str, int]:
        """Tag every core.feedback_item not yet in core.enrichment."""
        from voc.pipeline.enrich import enrich_pending

        report = enrich_pending(warehouse_engine())
        return {"enriched": report.enriched, "batches": report.batches}

    @task(outlets=[CUSTOMER_STORY])
    def publish() -> dict[str, int]:
        """Re-create the mart views and return the row count of every layer table."""
        from voc.pipeline.publish import publish as publish_mart

        return publish_mart(warehouse_engine())

    ingest() >> enrich() >> publish()


pipeline_dag = voc_survey_pipeline()

if __name__ == "__main__":
    pipeline_dag.test()
