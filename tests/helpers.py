"""Small helpers shared by tests."""

from __future__ import annotations

import os
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def _shared_data() -> Path:
    """Real, externally labelled feedback beside the project (never copied into the repo).

    ``VOC_DEV_DATA`` overrides; else ``../shared/data/dev`` beside the checkout, else the
    development machine's copy at ``/work/shared/data/dev``.
    """
    if os.environ.get("VOC_DEV_DATA"):
        return Path(os.environ["VOC_DEV_DATA"])
    beside = REPO.parent / "shared" / "data" / "dev"
    return beside if beside.exists() else Path("/work/shared/data/dev")


SHARED_DATA = _shared_data()


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
