"""The product's stages as the benchmark runs them: ingest, enrichment and mart refresh, on every core.

Each worker is a fresh process (``spawn``) that builds its own engine from the URL, as a mapped
Airflow task does, and returns plain dicts. Ingest spreads the files over the workers (largest
first; each file stays one batch and one transaction, and loaders of different sources run at
once); enrichment runs ``enrich_pending`` in every worker, which claim disjoint batches with
``FOR UPDATE SKIP LOCKED`` until nothing is left.
"""

from __future__ import annotations

import multiprocessing
import time
from concurrent.futures import ProcessPoolExecutor
from datetime import date
from pathlib import Path

from sqlalchemy import Engine

# relative cost of a byte of file per kind (loader and PostgreSQL CPU per record / bytes per record), measured on
# the 50k and 200k samples after the per-record work was cut (docs/benchmarks.md): social API pages are the cheapest
# per byte, e-mail the dearest
COST = {"email": 2.3, "survey": 2.0, "review": 2.0, "ticket": 1.8, "social": 1.0}


def _pool(workers: int) -> ProcessPoolExecutor:
    return ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn"))


def _ingest_file(url: str, source: str, kind: str, path: str) -> list[dict]:
    """Worker: load one file; return its load reports (a held batch is reported, not raised)."""
    from voc.pipeline.db import get_engine
    from voc.pipeline.ingest import ingest_files
    from voc.pipeline.quality.errors import BatchesHeld

    start = time.perf_counter()
    try:
        reports = ingest_files(get_engine(url), kind, [path], source=source)
    except BatchesHeld as exc:
        reports = exc.reports
    seconds = time.perf_counter() - start
    return [{**r.as_dict(), "kind": kind, "seconds": seconds} for r in reports]


def schedule(files: list[tuple[str, str, Path]]) -> list[tuple[str, str, Path]]:
    """Order files by estimated cost, dearest first, so two workers finish close together."""
    return sorted(files, key=lambda f: -f[2].stat().st_size * COST.get(f[1], 1.0))


def ingest(url: str, files: list[tuple[str, str, Path]], workers: int) -> dict:
    """Load every file with ``workers`` processes; return records, items, batch statuses and wall time."""
    start = time.perf_counter()
    with _pool(workers) as pool:
        futures = [pool.submit(_ingest_file, url, source, kind, str(path)) for source, kind, path in schedule(files)]
        reports = [r for f in futures for r in f.result()]
    seconds = time.perf_counter() - start
    return {
        "seconds": seconds,
        "files": len(files),
        "workers": workers,
        "records": sum(r["read"] for r in reports),
        "loaded": sum(r["loaded"] for r in reports),
        "duplicate": sum(r["duplicate"] for r in reports),
        "quarantined": sum(r["quarantined"] for r in reports),
        "items": sum(r["items"] for r in reports),
        "held": [r["location"] for r in reports if r["status"] == "held"],
        "quality_seconds": round(sum(r["quality_seconds"] or 0 for r in reports), 3),
        "per_file": [{k: r[k] for k in ("kind", "read", "items", "seconds", "quality_seconds", "status")}
                     for r in reports],
    }


def _enrich_worker(url: str, batch_size: int) -> dict:
    """Worker: build the tagger, then tag batches until none is left; return counts and timings."""
    from voc.nlp import Tagger
    from voc.pipeline.db import get_engine
    from voc.pipeline.enrich import enrich_pending, taxonomy_from_env

    started = time.perf_counter()
    tagger = Tagger(taxonomy_from_env())
    ready = time.perf_counter()
    report = enrich_pending(get_engine(url), batch_size=batch_size, tagger=tagger)
    return {"enriched": report.enriched, "batches": report.batches, "startup_seconds": ready - started,
            "tagging_seconds": time.perf_counter() - ready, "cpu_seconds": time.process_time()}


def enrich(url: str, workers: int, batch_size: int) -> dict:
    """Enrich every pending item with ``workers`` processes; return counts and wall time.

    ``seconds`` is the stage's wall time, process start-up and tagger build included; ``working_seconds``
    is the slowest worker's time in ``enrich_pending`` alone, the basis the NLP references are timed on.
    """
    start = time.perf_counter()
    with _pool(workers) as pool:
        results = [f.result() for f in [pool.submit(_enrich_worker, url, batch_size) for _ in range(workers)]]
    seconds = time.perf_counter() - start
    return {"seconds": seconds, "working_seconds": max(r["tagging_seconds"] for r in results), "workers": workers,
            "batch_size": batch_size, "items": sum(r["enriched"] for r in results), "per_worker": results}


def mart(engine: Engine) -> dict:
    """Resolve identities (``publish``) and rebuild the daily trends over the items' whole span, both at once.

    They run side by side, as their two DAGs may (``voc_enrich`` publishes; ``voc_complaint_trends_daily``
    builds trends): the trends read tags and items, never customer keys, and publish's re-keying is one
    statement on one core, so the rebuild takes the other (200k items: 16.3-18.8 s one after the other, 10.9-14.2 s
    side by side; docs/benchmarks.md). ``publish_seconds`` and ``trends_seconds`` are each one's own wall time.
    """
    from concurrent.futures import ThreadPoolExecutor

    from voc.pipeline.customers import resolve_customers
    from voc.pipeline.publish import layer_counts
    from voc.pipeline.trends import build_range

    def timed(func, *args):
        began = time.perf_counter()
        return func(*args), time.perf_counter() - began

    start = time.perf_counter()
    with engine.connect() as conn:
        first, last = conn.exec_driver_sql(
            "SELECT (min(occurred_at) AT TIME ZONE 'UTC')::date, (max(occurred_at) AT TIME ZONE 'UTC')::date"
            " FROM core.feedback_item").one()  # trend days are UTC days, whatever the session's time zone
    with ThreadPoolExecutor(max_workers=2) as pool:  # each waits on its own server connection
        published = pool.submit(timed, resolve_customers, engine)  # what ``publish`` does before counting
        trended = pool.submit(timed, build_range, engine, first, last) if first else None
        publish_seconds = published.result()[1]
        reports, trends_seconds = trended.result() if trended else ([], 0.0)
    counts = layer_counts(engine)  # publish's counts, taken after both so that the trend rows are in them
    seconds = time.perf_counter() - start
    return {"seconds": seconds, "publish_seconds": publish_seconds, "trends_seconds": trends_seconds,
            "days": len(reports), "first_day": _iso(first), "last_day": _iso(last),
            "trend_rows": sum(r.rows for r in reports), "layer_counts": counts}


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day else None
