"""The pipeline as a child process runs it: ingest every sample source, enrich, then refresh the marts
(resolve customers, build the complaint trends, write the CX extract) - with optional self-inflicted faults.

Children are forked from a fork server that imported this module and built the tagger once, so a run
costs the pipeline's work, not Python's start-up. Fault hooks count database operations (every
``execute``, every ``commit``, a tick before and after each) through a psycopg2 connection class:

* ``kill_at=N``: at tick N the child sends itself SIGKILL - no cleanup, no rollback, no atexit;
* ``pause_at=N``: at tick N the child touches ``<run_dir>/paused`` and waits for ``<run_dir>/resume``
  (the parent restarts PostgreSQL meanwhile).

A run writes ``<run_dir>/result.json`` when it ends normally: the ticks at each phase boundary and the
enrichment reports; a failed run writes ``error.json`` and exits 1.
"""

from __future__ import annotations

import json
import os
import signal
import time
import traceback
from datetime import date
from pathlib import Path

import psycopg2.extensions

from tests.reliability.harness import PHASES

_TICKS = 0
_KILL_AT: int | None = None
_PAUSE_AT: int | None = None
_RUN_DIR: Path | None = None
_TAGGER = None


def tagger():
    """The default tagger, built once per process (in the fork server, before any child is forked)."""
    global _TAGGER
    if _TAGGER is None:
        from voc.nlp import Tagger

        _TAGGER = Tagger()
    return _TAGGER


def _tick() -> None:
    global _TICKS
    _TICKS += 1
    if _KILL_AT is not None and _TICKS == _KILL_AT:
        os.kill(os.getpid(), signal.SIGKILL)
    if _PAUSE_AT is not None and _TICKS == _PAUSE_AT:
        (_RUN_DIR / "paused").touch()
        deadline = time.monotonic() + 60
        while not (_RUN_DIR / "resume").exists() and time.monotonic() < deadline:
            time.sleep(0.02)


class _Cursor(psycopg2.extensions.cursor):
    def execute(self, query, vars=None):  # noqa: A002 - the DB-API name
        _tick()
        result = super().execute(query, vars)
        _tick()
        return result

    def executemany(self, query, vars_list):
        _tick()
        result = super().executemany(query, vars_list)
        _tick()
        return result


class _Connection(psycopg2.extensions.connection):
    def cursor(self, *args, **kwargs):
        kwargs.setdefault("cursor_factory", _Cursor)
        return super().cursor(*args, **kwargs)

    def commit(self):
        _tick()
        super().commit()
        _tick()


def _engine(url: str):
    from sqlalchemy import create_engine

    return create_engine(url, pool_pre_ping=True, connect_args={"connection_factory": _Connection})


def run_phase(engine, phase: str, sample: dict, exports: Path, batch_size: int) -> dict:
    """Run one phase; return what it reported."""
    if phase == "ingest":
        from tests.reliability.harness import ingest_all

        return {"held": [h.load_id for h in ingest_all(engine, sample["sources"])]}
    if phase == "enrich":
        from voc.pipeline.enrich import enrich_pending

        report = enrich_pending(engine, batch_size=batch_size, tagger=tagger())
        return {"enriched": report.enriched, "batches": report.batches}
    if phase == "marts":
        from voc.pipeline import trends
        from voc.pipeline.customers import load_crm_links, resolve_customers
        from voc.pipeline.extract.report import write_extract

        load_crm_links(engine, Path(sample["crm"]))
        resolve_customers(engine)
        last = date.fromisoformat(sample["last_day"])
        trends.build_range(engine, date.fromisoformat(sample["first_day"]), last)
        write_extract(engine, last, exports)
        return {}
    raise ValueError(f"unknown phase {phase!r}")


def run(url: str, sample: dict, run_dir: str, *, phases: tuple[str, ...] = PHASES, kill_at: int | None = None,
        pause_at: int | None = None, batch_size: int = 8, exports: str | None = None, start_event=None) -> None:
    """The child's body: run ``phases`` against ``url``; write result.json, or error.json and exit 1."""
    global _TICKS, _KILL_AT, _PAUSE_AT, _RUN_DIR
    _TICKS, _KILL_AT, _PAUSE_AT, _RUN_DIR = 0, kill_at, pause_at, Path(run_dir)
    _RUN_DIR.mkdir(parents=True, exist_ok=True)
    exports = Path(exports or _RUN_DIR / "exports")
    # one installation per case: its own Data Docs folder (the quality gate writes a page per batch)
    os.environ["VOC_DATA_DOCS_DIR"] = str(exports.parent / "data_docs")
    engine = _engine(url)
    result = {"ticks": {}, "reports": {}, "started": time.time()}
    try:
        if start_event is not None:
            start_event.wait(30)
        for phase in phases:
            result["reports"][phase] = run_phase(engine, phase, sample, exports, batch_size)
            result["ticks"][phase] = _TICKS
            result.setdefault("phase_ended", {})[phase] = time.time()
    except Exception as exc:
        (_RUN_DIR / "error.json").write_text(json.dumps({
            "type": f"{type(exc).__module__}.{type(exc).__name__}", "message": str(exc),
            "traceback": traceback.format_exc(), "ticks": _TICKS}))
        os._exit(1)
    finally:
        engine.dispose()
    result["ended"] = time.time()
    (_RUN_DIR / "result.json").write_text(json.dumps(result))
