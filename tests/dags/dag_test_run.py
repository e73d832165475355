"""Run one DAG with ``dag.test()`` for an explicit logical date and write what happened as JSON.

Run as a script in a subprocess by ``test_voc_survey_pipeline.py``, with the Airflow metadata database,
the dags folder and the pipeline settings all given by the environment. The DAG is loaded the way the
task runner loads it (its bundle folder on ``sys.path``). ``--retries``/``--retry-delay`` shorten the
retry policy so a failing run finishes in seconds; the DAG file itself is not changed.

Usage: python dag_test_run.py DAG_FILE DAG_ID LOGICAL_DATE OUT.json [--retries N] [--retry-delay SECONDS]
Exit status: 0 when the run succeeded, 1 otherwise.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import datetime, timedelta
from pathlib import Path


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("dag_file", type=Path)
    parser.add_argument("dag_id")
    parser.add_argument("logical_date", type=datetime.fromisoformat)
    parser.add_argument("out", type=Path)
    parser.add_argument("--retries", type=int)
    parser.add_argument("--retry-delay", type=float)
    args = parser.parse_args()

    from airflow.dag_processing.dagbag import BundleDagBag
    from airflow.models.asset import AssetEvent
    from airflow.models.xcom import XComModel
    from airflow.utils.session import create_session
    from sqlalchemy import select

    dag_file = args.dag_file.resolve()
    bag = BundleDagBag(dag_folder=dag_file, bundle_path=dag_file.parent, bundle_name="dags-folder")
    if bag.import_errors:
        raise SystemExit(f"import errors: {bag.import_errors}")
    dag = bag.dags[args.dag_id]
    for task in dag.tasks:
        if args.retries is not None:
            task.retries = args.retries
        if args.retry_delay is not None:
            task.retry_delay = timedelta(seconds=args.retry_delay)

    run = dag.test(logical_date=args.logical_date)

    with create_session() as session:
        tis = {ti.task_id: {"state": str(ti.state), "try_number": ti.try_number}
               for ti in run.get_task_instances(session=session)}
        xcoms = {
            row.task_id: XComModel.deserialize_value(row)
            for row in session.scalars(select(XComModel).where(
                XComModel.dag_id == run.dag_id, XComModel.run_id == run.run_id, XComModel.key == "return_value"))
        }
        events = session.scalars(select(AssetEvent).where(
            AssetEvent.source_dag_id == run.dag_id, AssetEvent.source_run_id == run.run_id))
        assets = [{"task_id": event.source_task_id, "uri": event.uri} for event in events]
    report = {"run_id": run.run_id, "state": str(run.state), "logical_date": run.logical_date.isoformat(),
              "tasks": tis, "xcom": xcoms, "asset_events": assets}
    args.out.write_text(json.dumps(report, indent=1, default=str), encoding="utf-8")
    return 0 if str(run.state) == "success" else 1


if __name__ == "__main__":
    sys.exit(main())
