"""Fixtures for the DAG tests: an Airflow metadata database on the test PostgreSQL, and a ``dag.test()`` runner.

Airflow runs only in subprocesses, so its configuration never touches the pytest process. The metadata
database is created once per session (``airflow db migrate`` takes a few seconds) and dropped at the end.
"""

from __future__ import annotations

import json
import subprocess
import sys
import uuid
from dataclasses import dataclass
from importlib.util import find_spec

import psycopg2
import pytest
from sqlalchemy.engine import URL

from tests.dags.airflow_env import DAGS, HERE, isolated_env


def _admin(server_url: URL):
    """Return an autocommit psycopg2 connection to the server's maintenance database."""
    params = {"dbname": "postgres", "user": server_url.username, "password": server_url.password,
              "host": server_url.query.get("host", server_url.host), "port": server_url.port}
    conn = psycopg2.connect(**{k: v for k, v in params.items() if v is not None})
    conn.autocommit = True
    return conn


@pytest.fixture(scope="session")
def airflow_env(server_url: URL, tmp_path_factory) -> dict[str, str]:
    """Environment of an Airflow whose metadata database is a fresh, migrated PostgreSQL database."""
    if find_spec("airflow") is None:
        pytest.skip("needs the airflow extra")
    name = f"airflow_{uuid.uuid4().hex[:8]}"
    admin = _admin(server_url)
    with admin.cursor() as cur:
        cur.execute(f'CREATE DATABASE "{name}"')
    try:
        metadata_url = server_url.set(drivername="postgresql+psycopg2", database=name)
        env = isolated_env(
            tmp_path_factory.mktemp("airflow_home"),
            AIRFLOW__DATABASE__SQL_ALCHEMY_CONN=metadata_url.render_as_string(hide_password=False),
        )
        migrate = subprocess.run([sys.executable, "-m", "airflow", "db", "migrate"], env=env,
                                 capture_output=True, text=True, timeout=600)
        assert migrate.returncode == 0, f"airflow db migrate failed:\n{migrate.stdout[-3000:]}{migrate.stderr[-3000:]}"
        yield env
    finally:
        with admin.cursor() as cur:
            cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


@dataclass
class DagRunResult:
    """What one ``dag.test()`` subprocess did: its exit code, its report (None if it crashed) and its output."""

    returncode: int
    report: dict | None
    output: str

    @property
    def states(self) -> dict[str, str]:
        return {task_id: ti["state"] for task_id, ti in self.report["tasks"].items()}


@pytest.fixture
def run_dag(airflow_env, tmp_path):
    """Return ``run(dag_id, logical_date, env, *options) -> DagRunResult`` running ``dag.test()`` in a subprocess."""
    runs = iter(range(1_000))

    def run(dag_id: str, logical_date: str, env: dict[str, str], *options: str) -> DagRunResult:
        out = tmp_path / f"dag-run-{next(runs)}.json"
        proc = subprocess.run(
            [sys.executable, str(HERE / "dag_test_run.py"), str(DAGS / f"{dag_id}.py"), dag_id, logical_date,
             str(out), *options],
            env={**airflow_env, **env}, cwd=tmp_path, capture_output=True, text=True, timeout=600,
        )
        report = json.loads(out.read_text(encoding="utf-8")) if out.exists() else None
        return DagRunResult(proc.returncode, report, proc.stdout + proc.stderr)

    return run
