"""Settings shared by the voc DAGs: task defaults, the warehouse, the sources file, the drop folder, the extract.

Functions marked *task time* are called inside tasks, never while a file is parsed. The two marked
*parse time* read only the environment and local files (the sources file names the DAGs to build; the
trend start date is part of a DAG's shape); neither touches a database, a connection or a variable.
Module-level imports stay light (standard library only).
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

WAREHOUSE_CONN_ID = "voc_warehouse"
NLP_POOL = "voc_nlp"  # caps how many NLP taggers run at once across all DAGs; see docs/airflow.md
OWNER = "voc-data"


def task_defaults(timeout: timedelta, retries: int = 2) -> dict:
    """Default args of every voc task: an owner, retries with exponential backoff, and a timeout."""
    return {
        "owner": OWNER,
        "retries": retries,
        "retry_delay": timedelta(minutes=2),
        "retry_exponential_backoff": 2.0,
        "max_retry_delay": timedelta(minutes=30),
        "execution_timeout": timeout,
    }


def warehouse_url() -> str:
    """Task time: the Airflow connection ``voc_warehouse`` if defined, else ``VOC_DATABASE_URL``.

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
    """Task time: a pooled SQLAlchemy engine on the configured warehouse."""
    from voc.pipeline.db import get_engine

    return get_engine(warehouse_url())


def sources_file() -> Path | None:
    """Parse time: the sources file named by ``VOC_SOURCES_CONFIG``, or None when unset or not a file."""
    name = os.environ.get("VOC_SOURCES_CONFIG", "").strip()
    path = Path(name).expanduser() if name else None
    return path if path is not None and path.is_file() else None


def configured_sources() -> list:
    """Parse time: the enabled sources of ``VOC_SOURCES_CONFIG`` (none when unset or missing).

    A malformed file raises ``SourcesError`` naming file, line and key: Airflow shows it as an import error.
    """
    path = sources_file()
    if path is None:
        return []
    from voc.pipeline.sources import load_sources

    return [config for config in load_sources(path) if config.enabled]


def source_config(name: str):
    """Task time: the current configuration of source ``name`` (the file may have changed since parsing)."""
    from voc.pipeline.sources import SourcesError, load_sources

    path = sources_file()
    if path is None:
        raise SourcesError(f"source {name!r}: VOC_SOURCES_CONFIG is unset or not a file on this worker")
    for config in load_sources(path):
        if config.name == name:
            if not config.enabled:
                raise SourcesError(f"{config.origin}: source {name!r} is disabled; pause or delete its DAG")
            return config
    raise SourcesError(f"{path}: no source named {name!r} any more; its DAG is stale until the next parse")


def airflow_connection(conn_id: str) -> dict:
    """Task time: an Airflow connection as the plain dict ``voc.pipeline.sources.resolve_secrets`` expects."""
    from airflow.sdk import BaseHook

    conn = BaseHook.get_connection(conn_id)
    return {"login": conn.login, "password": conn.password, "host": conn.host, "port": conn.port,
            "schema": conn.schema, "extra": conn.extra_dejson}


def trends_start_date() -> date:
    """Parse time: first day the daily trend DAG covers, ``VOC_TRENDS_START_DATE`` (YYYY-MM-DD), default 2026-01-01."""
    value = os.environ.get("VOC_TRENDS_START_DATE", "").strip() or "2026-01-01"
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ValueError(f"VOC_TRENDS_START_DATE={value!r} is not a date (YYYY-MM-DD)") from None


def extract_dir() -> Path:
    """Task time: the folder the CX extract is written under, ``VOC_EXTRACT_DIR`` (required)."""
    folder = os.environ.get("VOC_EXTRACT_DIR", "").strip()
    if not folder:
        raise RuntimeError("VOC_EXTRACT_DIR is not set: point it at the folder the CX extract is written under")
    return Path(folder).expanduser()


def positive_int_setting(name: str, default: int) -> int:
    """Task time: the positive integer in environment variable ``name``, or ``default`` when unset."""
    value = os.environ.get(name, "").strip() or str(default)
    if not value.isdigit() or int(value) < 1:
        raise ValueError(f"{name}={value!r} must be a positive integer")
    return int(value)


@dataclass(frozen=True)
class EnrichSettings:
    """How ``voc_enrich`` splits its work: at most ``partitions`` mapped tasks, each tagging in batches."""

    partitions: int
    batch_size: int


def enrich_settings() -> EnrichSettings:
    """Task time: ``VOC_ENRICH_PARTITIONS`` (default 2) and ``VOC_ENRICH_BATCH_SIZE`` (default 500)."""
    return EnrichSettings(partitions=positive_int_setting("VOC_ENRICH_PARTITIONS", 2),
                          batch_size=positive_int_setting("VOC_ENRICH_BATCH_SIZE", 500))


def partition_limits(pending: int, settings: EnrichSettings) -> list[int]:
    """Split ``pending`` items into at most ``partitions`` equal claims, and no more claims than batches.

    Each mapped task claims up to its limit with ``FOR UPDATE SKIP LOCKED``, so the claims never overlap; a
    claim that comes up short (items tagged meanwhile) just ends early, and whatever arrives later is the
    next run's.
    """
    if pending <= 0:
        return []
    count = min(settings.partitions, math.ceil(pending / settings.batch_size))
    share = math.ceil(pending / count)
    return [share] * count


@dataclass(frozen=True)
class SurveyDrop:
    """Where a source's survey exports arrive, the source name they load under, and their mapping."""

    folder: Path
    source: str
    mapping: Path | None


def survey_drop() -> SurveyDrop:
    """Task time: the drop folder settings of ``voc_survey_pipeline``.

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
