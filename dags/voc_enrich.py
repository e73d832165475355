"""Tag new feedback in parallel, then publish the customer story; scheduled on ``voc_feedback_items``.

Every ingestion DAG that loaded new items emits that asset, so this runs when there is work and never
polls. ``plan`` counts the untagged items and splits them into at most ``VOC_ENRICH_PARTITIONS`` claims;
one mapped ``enrich`` task per claim tags its share, claiming items with ``FOR UPDATE SKIP LOCKED`` so two
tasks never tag the same item, and a retried task claims again whatever its failed try rolled back. The
``voc_nlp`` pool caps how many taggers run at once; ``publish`` then resolves customer identities.
"""

from __future__ import annotations

from datetime import timedelta

import pendulum
from _voc_assets import CUSTOMER_STORY, FEEDBACK_ITEMS
from _voc_common import NLP_POOL, enrich_settings, partition_limits, task_defaults, warehouse_engine
from airflow.sdk import TriggerRule, dag, task


@dag(
    schedule=[FEEDBACK_ITEMS],
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    max_active_runs=1,
    tags=["voc", "enrich"],
    default_args=task_defaults(timeout=timedelta(minutes=45)),
)
def voc_enrich():
    """Split the untagged items into claims, tag them in parallel in the voc_nlp pool, publish the story."""

    @task
    def plan() -> list[int]:
        """Return one claim size per mapped task: none when nothing waits."""
        from voc.pipeline.health import pending_items

        return partition_limits(pending_items(warehouse_engine()), enrich_settings())

    @task(pool=NLP_POOL)
    def enrich(limit: int) -> dict[str, int]:
        """Tag up to ``limit`` untagged items, one committed batch at a time."""
        from voc.pipeline.enrich import enrich_pending

        report = enrich_pending(warehouse_engine(), batch_size=enrich_settings().batch_size, limit=limit)
        return {"enriched": report.enriched, "batches": report.batches}

    @task(outlets=[CUSTOMER_STORY], trigger_rule=TriggerRule.NONE_FAILED)
    def publish() -> dict[str, int]:
        """Resolve customers across channels (new items need it even when none waited for tags)."""
        from voc.pipeline.publish import publish as publish_story

        return publish_story(warehouse_engine())

    @task
    def check_items() -> dict:
        """Great Expectations gate on core items after tagging: fails loudly on untagged or unredacted items."""
        from voc.pipeline.quality import check_core_items

        run = check_core_items(warehouse_engine())
        return {"suite": run.suite, "checks": len(run.results), "failed": len(run.failed)}

    enrich.expand(limit=plan()) >> publish() >> check_items()


enrich_dag = voc_enrich()

if __name__ == "__main__":
    enrich_dag.test()
