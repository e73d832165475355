"""Bring a warehouse to the current schema: Alembic migrations for tables, then the views in ``sql/``.

Safe to run twice and from several processes at once (a PostgreSQL advisory lock serialises them).
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, text

_LOCK_KEY = 0x564F43  # "VOC": one advisory lock key for schema changes
VIEW_LAYERS = ("core", "mart")  # applied in this order; a layer's views may read the ones before it


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


def view_files() -> list[tuple[str, str]]:
    """Return (name, SQL) of every view file under ``sql/``, in layer then file-name order."""
    root = resources.files("voc.sql")
    out = []
    for layer in VIEW_LAYERS:
        folder = root / layer
        if not folder.is_dir():
            continue
        for entry in sorted(folder.iterdir(), key=lambda e: e.name):
            if entry.name.endswith(".sql"):
                out.append((f"{layer}/{entry.name}", entry.read_text(encoding="utf-8")))
    return out


def upgrade(engine: Engine) -> str:
    """Apply pending migrations and (re)create the views; return the revision reached."""
    with engine.begin() as conn:
        conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _LOCK_KEY})
        cfg = _alembic_config()
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")
        for _name, sql in view_files():
            conn.exec_driver_sql(sql)
        return MigrationContext.configure(conn).get_current_revision()
