"""Fixtures for the DAG tests: an Airflow metadata database on the test PostgreSQL, and a ``dag.test()`` runner.

Airflow runs only in subprocesses, so its configuration never touches the pytest process. The metadata
database is created once per session (``airflow db migrate`` takes a few seconds) and dropped at the end;
each test gets one ``dag.test()`` process per DAG, which runs as many logical dates as the test asks for.
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
from tests.dags.dag_test_run import DONE_MARKER


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
    """What one ``dag.test()`` run did: its report (None if the runner crashed) and its share of the output."""

    report: dict | None
    output: str

    @property
    def succeeded(self) -> bool:
        return self.report is not None and self.report["state"] == "success"

    @property
    def states(self) -> dict[str, str]:
        return {task_id: ti["state"] for task_id, ti in self.report["tasks"].items()}

    @property
    def tries(self) -> dict[str, int]:
        return {task_id: ti["try_number"] for task_id, ti in self.report["tasks"].items()}


class DagSession:
    """One ``dag_test_run.py`` process for one DAG: ``run()`` as many logical dates as a test needs."""

    def __init__(self, dag_id: str, env: dict[str, str], folder, dag_file: str | None = None):
        self.folder, self.runs = folder, 0
        self.proc = subprocess.Popen(
            [sys.executable, str(HERE / "dag_test_run.py"), str(DAGS / f"{dag_file or dag_id}.py"), dag_id],
            env=env, cwd=folder, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            text=True, bufsize=1,
        )

    def run(self, logical_date: str, env: dict[str, str] | None = None, *, retries: int | None = None,
            retry_delay: float | None = None) -> DagRunResult:
        """Run ``dag.test()`` for ``logical_date`` with ``env`` set for this run only; return its report."""
        out = self.folder / f"dag-run-{self.runs}.json"
        self.runs += 1
        command = {"logical_date": logical_date, "out": str(out), "env": env or {}, "retries": retries,
                   "retry_delay": retry_delay}
        self.proc.stdin.write(json.dumps(command) + "\n")
        self.proc.stdin.flush()
        lines = []
        for line in self.proc.stdout:  # the runner's output up to its marker is this run's
            if line.strip() == DONE_MARKER:
                break
            lines.append(line)
        report = json.loads(out.read_text(encoding="utf-8")) if out.exists() else None
        return DagRunResult(report, "".join(lines))

    def close(self) -> None:
        # Every report is on disk by now; Airflow's orderly shutdown would only add seconds.
        self.proc.kill()
        self.proc.wait()
        self.proc.stdin.close()
        self.proc.stdout.close()


@pytest.fixture
def dag_session(airflow_env, tmp_path):
    """Return ``start(dag_id, env, dag_file=None) -> DagSession``: a ``dag.test()`` runner in a subprocess.

    ``env`` holds the parse-time settings of the process (e.g. ``VOC_SOURCES_CONFIG``); ``dag_file`` is the
    file under ``dags/`` (without ``.py``) when it is not named after the DAG.
    """
    sessions = []

    def start(dag_id: str, env: dict[str, str] | None = None, dag_file: str | None = None) -> DagSession:
        folder = tmp_path / f"dag-session-{len(sessions)}"
        folder.mkdir()
        sessions.append(DagSession(dag_id, {**airflow_env, **(env or {})}, folder, dag_file))
        return sessions[-1]

    yield start
    for session in sessions:
        session.close()
