"""Task-time settings shared by the voc DAGs: which warehouse to write and which drop folder to read.

Every function here is called inside a task, never at parse time, so parsing a DAG file reads no
connection, variable or environment. Module-level imports stay light (standard library only).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

WAREHOUSE_CONN_ID = "voc_warehouse"


def warehouse_url() -> str:
    """Return the warehouse URL: the Airflow connection ``voc_warehouse`` if defined, else ``VOC_DATABASE_URL``.

    The connection can come from any secrets backend, e.g. ``AIRFLOW_CONN_VOC_WAREHOUSE=postgresql://...``.
    Neither set is an error: a worker must never fall back to a private embedded database.
    """
    from airflow.sdk import BaseHook
    from airflow.sdk.exceptions import AirflowNotFoundException

    try:
        return BaseHook.get_connection(WAREHOUSE_CONN_ID).get_uri()
    except AirflowNotFoundException:
        pass  # not configured as a connection: the environment variable is the documented fallback
    url = os.environ.get("VOC_DATABASE_URL", "").strip()
    if not url:
        raise RuntimeError(
            f"no warehouse configured: define the Airflow connection {WAREHOUSE_CONN_ID!r} "
            "(e.g. AIRFLOW_CONN_VOC_WAREHOUSE=postgresql://user:password@host:5432/voc) or set VOC_DATABASE_URL"
        )
    return url


def warehouse_engine():
    """Return a pooled SQLAlchemy engine on the configured warehouse."""
    from voc.pipeline.db import get_engine

    return get_engine(warehouse_url())


@dataclass(frozen=True)
class SurveyDrop:
    """Where a source's survey exports arrive, the source name they load under, and their mapping."""

    folder: Path
    source: str
    mapping: Path | None


def survey_drop() -> SurveyDrop:
    """Read the drop folder settings from the environment.

    ``VOC_SURVEY_DROP_DIR`` (required) folder of .csv/.json/.jsonl exports;
    ``VOC_SURVEY_SOURCE`` source name, default ``surveys``; ``VOC_SURVEY_MAPPING`` optional mapping YAML.
    """
    folder = os.environ.get("VOC_SURVEY_DROP_DIR", "").strip()
    if not folder:
        raise RuntimeError("VOC_SURVEY_DROP_DIR is not set: point it at the folder the survey exports land in")
    mapping = os.environ.get("VOC_SURVEY_MAPPING", "").strip()
    return SurveyDrop(
        folder=Path(folder).expanduser(),
        source=os.environ.get("VOC_SURVEY_SOURCE", "").strip() or "surveys",
        mapping=Path(mapping).expanduser() if mapping else None,
    )
