"""Bring a warehouse to the current schema: Alembic migrations for tables, then the views in ``sql/``.

Safe to run twice and from several processes at once (a PostgreSQL advisory lock serialises them).
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, text

from voc.pipeline.db.roles import analyst_role_exists, grant_mart_reads
from voc.pipeline.db.views import apply_views

_LOCK_KEY = 0x564F43  # "VOC": one advisory lock key for schema changes


def _alembic_config() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(Path(__file__).parent / "migrations"))
    return cfg


def head_revision() -> str:
    """Return the newest migration revision shipped with this version."""
    return ScriptDirectory.from_config(_alembic_config()).get_current_head()


def current_revision(engine: Engine) -> str | None:
    """Return the revision the warehouse is at (None for an empty database)."""
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def upgrade(engine: Engine) -> str:
    """Apply pending migrations and (re)create the views; return the revision reached."""
    with engine.begin() as conn:
        conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _LOCK_KEY})
        cfg = _alembic_config()
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")
        apply_views(conn)
        if analyst_role_exists(conn):  # views re-created above must stay readable for analysts
            grant_mart_reads(conn)
        return MigrationContext.configure(conn).get_current_revision()
