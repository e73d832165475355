"""The benchmark's ingest stage and its dlt reference alone, on the files of a ``voc sample`` folder.

What ``voc bench`` does for issue 8's ingest target without the other stages: a fresh database on the
embedded server under ``--home``, ``stages.ingest`` with ``--workers`` spawned processes, then
``references.run_dlt`` on the same files into the same server. Prints one JSON line: records/s, the
ratio to dlt, the pool's CPU seconds (spawn and imports included) and the server's. Alternate runs of two
code versions (``PYTHONPATH=<other tree>``) to compare them on a shared machine.

Run: ``.venv/bin/python benchmarks/ingest_stage.py DIR [--workers 2] [--no-dlt] [--home .voc/ingest-stage]``.
"""

from __future__ import annotations

import argparse
import json
import resource
import uuid
from pathlib import Path

KINDS = [("survey", "survey/surveys.csv"), ("social", "social/social.jsonl"), ("ticket", "ticket/tickets.csv"),
         ("email", "email/inbox.mbox"), ("review", "review/reviews.jsonl")]


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sample", type=Path, help="a folder written by `voc sample`")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--no-dlt", action="store_true")
    parser.add_argument("--home", type=Path, default=Path(".voc/ingest-stage"), help="embedded server's home")
    args = parser.parse_args()

    from server_cpu import postmaster_of, server_cpu

    from voc.pipeline.bench import references, stages
    from voc.pipeline.bench.run import BenchDatabase
    from voc.pipeline.db import get_engine
    from voc.pipeline.db.migrate import upgrade

    files = [(f"bench_{kind}", kind, args.sample / path) for kind, path in KINDS]
    db = BenchDatabase(None, args.home)  # the embedded server under HOME/pg, a database of its own
    engine = get_engine(db.url)
    try:
        upgrade(engine)
        postmaster = postmaster_of(engine)
        pool_cpu, pg_cpu = _children_cpu(), server_cpu(postmaster)
        result = stages.ingest(db.url_string, files, args.workers)
        pool_cpu, pg_cpu = _children_cpu() - pool_cpu, server_cpu(postmaster) - pg_cpu
        rate = result["records"] / result["seconds"]
        out = {"seconds": round(result["seconds"], 2), "records": result["records"], "items": result["items"],
               "loaded": result["loaded"], "duplicate": result["duplicate"], "quarantined": result["quarantined"],
               "records_per_s": round(rate), "gate_s": result["quality_seconds"],
               "workers_cpu_s": round(pool_cpu, 1), "server_cpu_s": round(pg_cpu, 1),
               "per_file": [(f["kind"], round(f["seconds"], 2)) for f in result["per_file"]]}
        if not args.no_dlt and references.dlt_available():
            dlt = references.run_dlt(db.libpq_dsn(), files, args.home / f"dlt-{uuid.uuid4().hex[:6]}")
            out["dlt_records_per_s"] = round(dlt["records_per_s"])
            out["ingest_to_dlt"] = round(rate / dlt["records_per_s"], 3)
        print(json.dumps(out))
    finally:
        engine.dispose()
        db.drop()


if __name__ == "__main__":
    main()
