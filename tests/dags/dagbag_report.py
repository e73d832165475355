"""Parse every file under a dags folder, each in its own DagBag, with the network cut off; write a JSON report.

Run as a script in a subprocess by ``test_dag_integrity.py`` so Airflow's configuration never leaks into
pytest. Socket connects, connection lookups and variable lookups are refused and recorded, so a DAG file
that touches a database, a connection or a variable while being parsed shows up in the report.

Usage: python dagbag_report.py DAGS_FOLDER OUT.json
"""

from __future__ import annotations

import json
import socket
import sys
from pathlib import Path

REFUSED: list[str] = []


def _refuse(what: str):
    def refuse(*args, **kwargs):
        # Drop the bound class or socket so the record shows what was asked for.
        call = f"{what}{tuple(a for a in args if not isinstance(a, (type, socket.socket)))!r}"
        REFUSED.append(call)
        raise OSError(f"{call} at parse time is not allowed")

    return refuse


# Cut the network (TCP and Unix sockets) before Airflow is imported.
socket.socket.connect = _refuse("socket.connect")
socket.socket.connect_ex = _refuse("socket.connect_ex")
socket.create_connection = _refuse("socket.create_connection")


def _task_report(task) -> dict:
    return {
        "owner": task.owner,
        "retries": task.retries,
        "retry_delay_seconds": task.retry_delay.total_seconds(),
        "execution_timeout_seconds": task.execution_timeout.total_seconds() if task.execution_timeout else None,
        "outlets": [getattr(outlet, "uri", str(outlet)) for outlet in task.outlets],
        "pool": task.pool,
        "trigger_rule": getattr(task.trigger_rule, "value", task.trigger_rule),
        "mapped": any(cls.__name__ == "MappedOperator" for cls in type(task).__mro__),
        "upstream": sorted(task.upstream_task_ids),
    }


def main(dags_folder: Path, out: Path) -> None:
    from airflow.dag_processing.dagbag import BundleDagBag
    from airflow.sdk.definitions.connection import Connection
    from airflow.sdk.definitions.variable import Variable

    Connection.get = classmethod(_refuse("Connection.get"))
    Variable.get = staticmethod(_refuse("Variable.get"))

    files = {}
    for path in sorted(dags_folder.rglob("*.py")):
        # Each file alone, the way the dag processor and the task runner load it (bundle on sys.path).
        bag = BundleDagBag(dag_folder=path, bundle_path=dags_folder, bundle_name="dags-folder", safe_mode=False)
        files[str(path.relative_to(dags_folder))] = {
            "import_errors": bag.import_errors,
            "warnings": {k: list(v) for k, v in bag.captured_warnings.items()},
            "dags": {
                dag_id: {
                    "fileloc": dag.fileloc,
                    "tags": sorted(dag.tags),
                    "catchup": dag.catchup,
                    "schedule": str(dag.schedule),
                    "timetable": type(dag.timetable).__name__,
                    "max_active_runs": dag.max_active_runs,
                    "start_date": dag.start_date.isoformat() if dag.start_date else None,
                    "doc_md": dag.doc_md,
                    "tasks": {task.task_id: _task_report(task) for task in dag.tasks},
                }
                for dag_id, dag in bag.dags.items()
            },
        }
    out.write_text(json.dumps({"files": files, "refused": REFUSED}, indent=1, default=str), encoding="utf-8")


if __name__ == "__main__":
    main(Path(sys.argv[1]).resolve(), Path(sys.argv[2]))
