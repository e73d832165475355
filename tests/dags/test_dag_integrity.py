"""Every file under dags/ parses on its own, offline, and every DAG follows the house rules.

Parsing happens in a subprocess (``dagbag_report.py``) with sockets, connection and variable lookups
refused, and the warehouse and metadata database pointed at a socket that cannot exist. The ingestion
DAGs come from ``sources.example.yaml``, the sources file the project ships.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.dags.airflow_env import DAGS, HERE, UNREACHABLE_WAREHOUSE, isolated_env, needs_airflow
from tests.helpers import REPO
from voc.pipeline.sources import load_sources

pytestmark = needs_airflow

DAG_FILES = sorted(str(p.relative_to(DAGS)) for p in DAGS.rglob("*.py"))
EXAMPLE_SOURCES = REPO / "sources.example.yaml"
FEEDBACK_URI = "postgres://warehouse:5432/voc/core/feedback_item"
STORY_URI = "postgres://warehouse:5432/voc/mart/customer_story"
TRENDS_URI = "postgres://warehouse:5432/voc/mart/complaint_trend_daily"
CATCHUP = {"voc_complaint_trends_daily"}  # backfills every day since VOC_TRENDS_START_DATE; no other DAG does


def parse(dags_folder: Path, tmp_path: Path, **settings: str) -> dict:
    """Parse each file of ``dags_folder`` in its own DagBag in a subprocess; return the JSON report."""
    out = tmp_path / "dagbag.json"
    env = isolated_env(tmp_path / "airflow_home", VOC_DATABASE_URL=UNREACHABLE_WAREHOUSE,
                       AIRFLOW_CONN_VOC_WAREHOUSE=UNREACHABLE_WAREHOUSE, **settings)
    proc = subprocess.run([sys.executable, str(HERE / "dagbag_report.py"), str(dags_folder), str(out)],
                          env=env, cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return json.loads(out.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def report(tmp_path_factory) -> dict:
    return parse(DAGS, tmp_path_factory.mktemp("parse"), VOC_SOURCES_CONFIG=str(EXAMPLE_SOURCES))


@pytest.fixture(scope="module")
def dags(report) -> dict[str, dict]:
    return {dag_id: dag for file in report["files"].values() for dag_id, dag in file["dags"].items()}


def test_dags_folder_holds_every_dag_family(dags):
    enabled = [config for config in load_sources(EXAMPLE_SOURCES) if config.enabled]
    assert len(enabled) >= 2
    assert set(dags) == {"voc_survey_pipeline", "voc_enrich", "voc_complaint_trends_daily", "voc_maintenance",
                         *(f"voc_ingest_{config.name}" for config in enabled)}


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
        assert dag["catchup"] is (dag_id in CATCHUP), dag_id
        assert dag["max_active_runs"] <= 3, dag_id
        assert dag["start_date"].endswith("+00:00"), dag_id
        assert dag["doc_md"], f"{dag_id} has no docstring"
        for task_id, task in dag["tasks"].items():
            where = f"{dag_id}.{task_id}"
            assert task["owner"] not in ("", "airflow"), where
            assert task["retries"] > 0, where
            assert task["retry_delay_seconds"] >= 60, where
            assert task["execution_timeout_seconds"], where


def test_survey_pipeline_runs_ingest_then_enrich_then_publish(dags):
    dag = dags["voc_survey_pipeline"]
    assert dag["schedule"] == "@hourly"
    tasks = dag["tasks"]
    assert {task_id: task["upstream"] for task_id, task in tasks.items()} == {
        "ingest": [], "enrich": ["ingest"], "publish": ["enrich"],
    }
    assert tasks["publish"]["outlets"] == ["postgres://warehouse:5432/voc/mart/customer_story"]


def test_one_ingestion_dag_per_enabled_source_on_its_schedule_announcing_new_feedback(dags):
    for config in load_sources(EXAMPLE_SOURCES):
        dag = dags.get(f"voc_ingest_{config.name}")
        if not config.enabled:
            assert dag is None, config.name
            continue
        assert dag["schedule"] == str(config.schedule), config.name
        assert {"voc", "ingest", config.kind} <= set(dag["tags"])
        assert {task_id: task["outlets"] for task_id, task in dag["tasks"].items()} == {"ingest": [FEEDBACK_URI]}
        assert config.name in dag["doc_md"]


def test_enrich_is_scheduled_on_new_feedback_and_maps_claims_in_the_nlp_pool(dags):
    dag = dags["voc_enrich"]
    assert FEEDBACK_URI in dag["schedule"] and dag["timetable"] == "AssetTriggeredTimetable"
    tasks = dag["tasks"]
    assert {task_id: task["upstream"] for task_id, task in tasks.items()} == {
        "plan": [], "enrich": ["plan"], "publish": ["enrich"], "check_items": ["publish"]}
    assert tasks["enrich"]["mapped"] and tasks["enrich"]["pool"] == "voc_nlp"
    assert tasks["publish"]["trigger_rule"] == "none_failed" and tasks["publish"]["outlets"] == [STORY_URI]


def test_trends_run_per_daily_interval_with_catchup_from_the_configured_start(dags, tmp_path):
    dag = dags["voc_complaint_trends_daily"]
    assert dag["timetable"] == "CronDataIntervalTimetable"
    assert dag["start_date"] == "2026-01-01T00:00:00+00:00"
    assert {task_id: task["upstream"] for task_id, task in dag["tasks"].items()} == {
        "build_trends": [], "check_trends": ["build_trends"], "write_extract": ["check_trends"]}
    assert dag["tasks"]["build_trends"]["outlets"] == [TRENDS_URI]

    folder = tmp_path / "dags"
    folder.mkdir()
    for name in ("voc_complaint_trends_daily.py", "_voc_common.py", "_voc_assets.py"):
        shutil.copy(DAGS / name, folder)
    moved = parse(folder, tmp_path, VOC_TRENDS_START_DATE="2026-09-01")
    assert moved["files"]["voc_complaint_trends_daily.py"]["dags"]["voc_complaint_trends_daily"][
        "start_date"] == "2026-09-01T00:00:00+00:00"
    bad = parse(folder, tmp_path, VOC_TRENDS_START_DATE="1st of May")
    assert "VOC_TRENDS_START_DATE='1st of May' is not a date" in "".join(
        bad["files"]["voc_complaint_trends_daily.py"]["import_errors"].values())


def test_maintenance_retags_in_the_nlp_pool_before_the_quality_sweep(dags):
    tasks = dags["voc_maintenance"]["tasks"]
    assert {task_id: task["upstream"] for task_id, task in tasks.items()} == {
        "retag_outdated": [], "quality_sweep": ["retag_outdated"], "retention": []}
    assert tasks["retag_outdated"]["pool"] == "voc_nlp"


@pytest.mark.parametrize("setting", ["unset", "missing file"])
def test_without_a_sources_file_no_ingestion_dag_is_built_and_nothing_fails(tmp_path, setting):
    folder = tmp_path / "dags"
    folder.mkdir()
    for name in ("voc_ingest_sources.py", "_voc_common.py", "_voc_assets.py"):
        shutil.copy(DAGS / name, folder)
    settings = {} if setting == "unset" else {"VOC_SOURCES_CONFIG": str(tmp_path / "no-such-sources.yaml")}
    parsed = parse(folder, tmp_path, **settings)["files"]["voc_ingest_sources.py"]
    assert parsed == {"import_errors": {}, "warnings": {}, "dags": {}}


def test_a_malformed_sources_file_is_an_import_error_naming_file_line_and_key(tmp_path):
    folder = tmp_path / "dags"
    folder.mkdir()
    for name in ("voc_ingest_sources.py", "_voc_common.py", "_voc_assets.py"):
        shutil.copy(DAGS / name, folder)
    sources = tmp_path / "sources.yaml"
    sources.write_text("version: 1\nsources:\n  - name: x\n    kind: chat\n    location: drop\n", encoding="utf-8")
    parsed = parse(folder, tmp_path, VOC_SOURCES_CONFIG=str(sources))["files"]["voc_ingest_sources.py"]
    assert f"{sources}:4: sources[0].kind: must be one of" in "".join(parsed["import_errors"].values())


def test_ruff_airflow_rules_pass_on_the_dags_folder():
    ruff = shutil.which("ruff", path=str(Path(sys.executable).parent)) or shutil.which("ruff")
    if ruff is None:
        pytest.skip("ruff is not installed")
    proc = subprocess.run([ruff, "check", "--no-cache", "--select", "AIR", str(DAGS)], capture_output=True,
                          text=True, timeout=60)
    assert proc.returncode == 0, proc.stdout + proc.stderr


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
