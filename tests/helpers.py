"""Small helpers shared by tests."""

from __future__ import annotations

from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
# Real, externally labelled feedback beside the project (never copied into the repo).
SHARED_DATA = REPO.parent / "shared" / "data" / "dev"


def count(engine, table: str) -> int:
    """Return the number of rows of a table or view."""
    with engine.connect() as conn:
        return conn.exec_driver_sql(f"SELECT count(*) FROM {table}").scalar_one()


def table_counts(engine) -> dict[str, int]:
    """Return the row count of every table in raw, core and mart (views included)."""
    with engine.connect() as conn:
        names = conn.exec_driver_sql(
            "SELECT table_schema || '.' || table_name FROM information_schema.tables"
            " WHERE table_schema IN ('raw', 'core', 'mart') ORDER BY 1"
        ).scalars().all()
        return {name: conn.exec_driver_sql(f"SELECT count(*) FROM {name}").scalar_one() for name in names}
