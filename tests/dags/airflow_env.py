"""Environments for the Airflow subprocesses of the DAG tests: nothing inherited from the shell leaks in."""

from __future__ import annotations

import os
from importlib.util import find_spec
from pathlib import Path

import pytest

from tests.helpers import REPO

DAGS = REPO / "dags"
HERE = Path(__file__).resolve().parent
# A Unix socket that cannot exist: any database connection attempted through it fails at once, offline.
NOWHERE = "/nonexistent/voc-test-socket"
UNREACHABLE_WAREHOUSE = f"postgresql://nobody@/voc?host={NOWHERE}"

needs_airflow = pytest.mark.skipif(find_spec("airflow") is None, reason="needs the airflow extra")


def isolated_env(airflow_home: Path, **settings: str) -> dict[str, str]:
    """Return os.environ without any AIRFLOW*/VOC_* setting, plus an Airflow home on ``dags/`` and ``settings``.

    The metadata database defaults to an unreachable PostgreSQL (never SQLite); callers that need a real
    one pass ``AIRFLOW__DATABASE__SQL_ALCHEMY_CONN``. The async metadata engine is switched off because
    the project does not depend on an async PostgreSQL driver (asyncpg); ``dag.test()`` does not need it.
    """
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "VOC_", "_AIRFLOW"))}
    env.update(
        AIRFLOW_HOME=str(airflow_home),
        AIRFLOW__CORE__DAGS_FOLDER=str(DAGS),
        AIRFLOW__CORE__LOAD_EXAMPLES="False",
        AIRFLOW__DATABASE__SQL_ALCHEMY_CONN=f"postgresql+psycopg2://nobody@/airflow?host={NOWHERE}",
        AIRFLOW__DATABASE__SQL_ALCHEMY_CONN_ASYNC="",
    )
    env.update(settings)
    return env
