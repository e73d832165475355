"""Every file under dags/ parses on its own, offline, and every DAG follows the house rules.

Parsing happens in a subprocess (``dagbag_report.py``) with sockets, connection and variable lookups
refused, and the warehouse and metadata database pointed at a socket that cannot exist.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.dags.airflow_env import DAGS, HERE, UNREACHABLE_WAREHOUSE, isolated_env, needs_airflow

pytestmark = needs_airflow

DAG_FILES = sorted(str(p.relative_to(DAGS)) for p in DAGS.rglob("*.py"))


def parse(dags_folder: Path, tmp_path: Path) -> dict:
    """Parse each file of ``dags_folder`` in its own DagBag in a subprocess; return the JSON report."""
    out = tmp_path / "dagbag.json"
    env = isolated_env(tmp_path / "airflow_home", VOC_DATABASE_URL=UNREACHABLE_WAREHOUSE,
                       AIRFLOW_CONN_VOC_WAREHOUSE=UNREACHABLE_WAREHOUSE)
    proc = subprocess.run([sys.executable, str(HERE / "dagbag_report.py"), str(dags_folder), str(out)],
                          env=env, cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return json.loads(out.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def report(tmp_path_factory) -> dict:
    return parse(DAGS, tmp_path_factory.mktemp("parse"))


@pytest.fixture(scope="module")
def dags(report) -> dict[str, dict]:
    return {dag_id: dag for file in report["files"].values() for dag_id, dag in file["dags"].items()}


def test_dags_folder_holds_the_survey_pipeline():
    assert "voc_survey_pipeline.py" in DAG_FILES


@pytest.mark.parametrize("name", DAG_FILES)
def test_file_imports_without_errors_or_warnings(report, name):
    parsed = report["files"][name]
    assert parsed["import_errors"] == {}
    assert parsed["warnings"] == {}


def test_parsing_touches_no_network_connection_or_variable(report):
    assert report["refused"] == []


def test_every_dag_follows_the_house_rules(dags):
    assert dags, "no DAG found under dags/"
    for dag_id, dag in dags.items():
        assert "voc" in dag["tags"], dag_id
        assert dag["catchup"] is False, dag_id
        assert dag["start_date"].endswith("+00:00"), dag_id
        assert dag["doc_md"], f"{dag_id} has no docstring"
        for task_id, task in dag["tasks"].items():
            where = f"{dag_id}.{task_id}"
            assert task["owner"] not in ("", "airflow"), where
            assert task["retries"] > 0, where
            assert task["execution_timeout_seconds"], where


def test_survey_pipeline_runs_ingest_then_enrich_then_publish(dags):
    dag = dags["voc_survey_pipeline"]
    assert dag["schedule"] == "@hourly"
    tasks = dag["tasks"]
    assert {task_id: task["upstream"] for task_id, task in tasks.items()} == {
        "ingest": [], "enrich": ["ingest"], "publish": ["enrich"],
    }
    assert tasks["publish"]["outlets"] == ["postgres://warehouse:5432/voc/mart/customer_story"]


BAD_DAG_FILES = {
    "bad_import.py": "from airflow.sdk import dag\nimport voc_no_such_module\n",
    "bad_connection.py": "from airflow.sdk import BaseHook, dag\nBaseHook.get_connection('voc_warehouse')\n",
    "bad_variable.py": "from airflow.sdk import Variable, dag\nVariable.get('voc_drop_dir')\n",
    "bad_network.py": "import socket\nfrom airflow.sdk import dag\nsocket.create_connection(('example.com', 80))\n",
    "bad_database.py": "from airflow.sdk import dag\nfrom voc.pipeline.db import get_engine\nget_engine().connect()\n",
}


def test_the_check_catches_dag_files_that_misbehave_at_parse_time(tmp_path):
    folder = tmp_path / "dags"
    folder.mkdir()
    for name, source in BAD_DAG_FILES.items():
        (folder / name).write_text(source, encoding="utf-8")
    bad = parse(folder, tmp_path)
    assert {name: bool(parsed["import_errors"]) for name, parsed in bad["files"].items()} == dict.fromkeys(
        BAD_DAG_FILES, True)
    assert sorted(bad["refused"]) == [
        "Connection.get('voc_warehouse',)",
        "Variable.get('voc_drop_dir',)",
        "socket.create_connection(('example.com', 80),)",
    ]
    # libpq opens its own sockets: the unreachable warehouse is what makes a parse-time query fail.
    assert "voc-test-socket" in "".join(bad["files"]["bad_database.py"]["import_errors"].values())
