"""One ingestion DAG per source of ``sources.yaml``: ``voc_ingest_<name>``, on the schedule the source names.

The file named by ``VOC_SOURCES_CONFIG`` is read when this file is parsed (a local file; no database,
connection or variable): unset or missing, no DAG is built; malformed, the import error names file, line
and key. A source without ``schedule`` runs only when triggered; disabled sources get no DAG.

Each run loads what is new since the last one (file fingerprints, API cursors, IMAP UIDs are stored with
the rows they produced), so a retry or a re-run loads nothing twice. A run that loaded new items emits
the asset ``voc_feedback_items``, which schedules ``voc_enrich``; a run with nothing new is skipped.
"""

from __future__ import annotations

from datetime import timedelta

import pendulum
from _voc_assets import FEEDBACK_ITEMS
from _voc_common import airflow_connection, configured_sources, source_config, task_defaults, warehouse_engine
from airflow.sdk import dag, task
from airflow.sdk.exceptions import AirflowSkipException


def ingest_dag(source):
    """Build the DAG of one configured source (a ``voc.pipeline.sources.SourceConfig``)."""

    @dag(
        dag_id=f"voc_ingest_{source.name}",
        schedule=source.schedule,
        start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
        catchup=False,
        max_active_runs=1,
        tags=["voc", "ingest", source.kind],
        default_args=task_defaults(timeout=timedelta(minutes=30)),
        doc_md=f"Load new feedback of source `{source.name}` ({source.kind}, {source.origin}) into raw/core.",
    )
    def ingest_source():
        @task(outlets=[FEEDBACK_ITEMS])
        def ingest(*, outlet_events=None) -> dict:
            """Run the source once; fail on any error, skip (no asset event) when nothing new arrived."""
            from voc.pipeline.ingest import run_source

            reports = run_source(warehouse_engine(), source_config(source.name), lookup=airflow_connection)
            totals = {key: sum(getattr(r, key) for r in reports)
                      for key in ("read", "loaded", "duplicate", "quarantined", "items")}
            summary = {"source": source.name, "inputs": len(reports),
                       "unchanged": sum(r.skipped for r in reports), **totals}
            if not totals["items"]:
                raise AirflowSkipException(f"nothing new from {source.name}: {summary}")
            outlet_events[FEEDBACK_ITEMS].extra = {"source": source.name, "items": totals["items"]}
            return summary

        ingest()

    return ingest_source()


for _source in configured_sources():
    globals()[f"voc_ingest_{_source.name}"] = ingest_dag(_source)
