"""Run ``dag.test()`` for explicit logical dates, one after the other in one process, and report each as JSON.

Started in a subprocess by the ``dag_session`` fixture, with the Airflow metadata database, the dags
folder and the pipeline settings all given by the environment. The DAG is loaded once, the way the task
runner loads it (its bundle folder on ``sys.path``); Airflow's start-up is then paid once per test, not
once per run. Each line on stdin asks for one run::

    {"logical_date": "2026-01-01T00:00:00+00:00", "out": "run.json", "env": {...}, "retries": 1,
     "retry_delay": 1}

``env`` is applied for that run only (task-time settings; parse-time settings belong to the process
environment); ``retries``/``retry_delay`` shorten the retry policy so a failing run finishes in seconds,
without changing the DAG file. After each run the report is written to ``out`` and the line
``DONE_MARKER`` is printed, so the caller can cut the shared output into one piece per run. Task
instances and XComs of mapped tasks are keyed ``task_id[map_index]``.

Usage: python dag_test_run.py DAG_FILE DAG_ID < commands
"""

from __future__ import annotations

import json
import os
import sys
from datetime import datetime, timedelta
from pathlib import Path

DONE_MARKER = "@@voc-dag-test-run-done@@"


def key(row) -> str:
    """``task_id`` of a task instance or XCom row, with ``[map_index]`` for a mapped task."""
    return row.task_id if row.map_index < 0 else f"{row.task_id}[{row.map_index}]"


def report(run) -> dict:
    from airflow.models.asset import AssetEvent
    from airflow.models.xcom import XComModel
    from airflow.utils.session import create_session
    from sqlalchemy import select

    with create_session() as session:
        tis = {key(ti): {"state": str(ti.state), "try_number": ti.try_number, "pool": ti.pool}
               for ti in run.get_task_instances(session=session)}
        xcoms = {
            key(row): XComModel.deserialize_value(row)
            for row in session.scalars(select(XComModel).where(
                XComModel.dag_id == run.dag_id, XComModel.run_id == run.run_id, XComModel.key == "return_value"))
        }
        events = session.scalars(select(AssetEvent).where(
            AssetEvent.source_dag_id == run.dag_id, AssetEvent.source_run_id == run.run_id))
        assets = [{"task_id": event.source_task_id, "uri": event.uri, "extra": event.extra} for event in events]
    return {"run_id": run.run_id, "state": str(run.state), "logical_date": run.logical_date.isoformat(),
            "tasks": tis, "xcom": xcoms, "asset_events": assets}


def run_once(dag, command: dict) -> dict:
    originals = {task.task_id: (task.retries, task.retry_delay) for task in dag.tasks}
    saved_env = {name: os.environ.get(name) for name in command.get("env", {})}
    try:
        os.environ.update(command.get("env", {}))
        for task in dag.tasks:
            if command.get("retries") is not None:
                task.retries = command["retries"]
            if command.get("retry_delay") is not None:
                task.retry_delay = timedelta(seconds=command["retry_delay"])
        run = dag.test(logical_date=datetime.fromisoformat(command["logical_date"]))
        return report(run)
    finally:
        for task in dag.tasks:
            task.retries, task.retry_delay = originals[task.task_id]
        for name, value in saved_env.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def main(dag_file: Path, dag_id: str) -> int:
    from airflow.dag_processing.dagbag import BundleDagBag

    dag_file = dag_file.resolve()
    bag = BundleDagBag(dag_folder=dag_file, bundle_path=dag_file.parent, bundle_name="dags-folder")
    if bag.import_errors:
        raise SystemExit(f"import errors: {bag.import_errors}")
    dag = bag.dags[dag_id]
    for line in sys.stdin:
        command = json.loads(line)
        result = run_once(dag, command)
        Path(command["out"]).write_text(json.dumps(result, indent=1, default=str), encoding="utf-8")
        print(f"\n{DONE_MARKER}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1]), sys.argv[2]))
