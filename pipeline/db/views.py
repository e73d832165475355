"""The plain-SQL views under ``sql/``: found by layer, ordered by what they read, applied idempotently."""

from __future__ import annotations

import re
from importlib import resources

from sqlalchemy import Connection

VIEW_LAYERS = ("core", "mart")  # a layer's views may read the layers before it
_REFERENCE = re.compile(r"\b(core|mart)\.(\w+)\b")


def view_files() -> list[tuple[str, str]]:
    """Return (``layer.view``, SQL) for every file under ``sql/<layer>/``, each after the views it reads."""
    found: dict[str, str] = {}
    root = resources.files("voc.sql")
    for layer in VIEW_LAYERS:
        folder = root / layer
        if folder.is_dir():
            for entry in sorted(folder.iterdir(), key=lambda e: e.name):
                if entry.name.endswith(".sql"):
                    found[f"{layer}.{entry.name[:-4]}"] = entry.read_text(encoding="utf-8")
    ordered: list[str] = []

    def visit(name: str, path: tuple[str, ...]) -> None:
        if name in ordered:
            return
        if name in path:
            raise ValueError(f"views read each other in a cycle: {' -> '.join((*path, name))}")
        for ref in dict.fromkeys(".".join(m) for m in _REFERENCE.findall(found[name])):
            if ref in found and ref != name:
                visit(ref, (*path, name))
        ordered.append(name)

    for name in found:
        visit(name, ())
    return [(name, found[name]) for name in ordered]


def apply_views(conn: Connection) -> list[str]:
    """Create or replace every view in dependency order; a view whose columns changed is dropped and
    re-created (with the views that read it, which come later in the order). Returns the view names."""
    names = []
    for name, sql in view_files():
        savepoint = conn.begin_nested()
        try:
            conn.exec_driver_sql(sql)
            savepoint.commit()
        except Exception as exc:  # columns renamed or reordered: CREATE OR REPLACE cannot do that
            savepoint.rollback()
            if "cannot" not in str(exc) and "column" not in str(exc):
                raise
            conn.exec_driver_sql(f"DROP VIEW IF EXISTS {name} CASCADE")
            conn.exec_driver_sql(sql)
        names.append(name)
    return names
