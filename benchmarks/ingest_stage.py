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


def _server_cpu(postmaster: int) -> float:
    """CPU seconds of the server's postmaster and all its children so far, those that exited included."""
    import psutil

    root = psutil.Process(postmaster)
    reaped = root.cpu_times()
    total = reaped.children_user + reaped.children_system
    for proc in [root, *root.children(recursive=True)]:
        try:
            times = proc.cpu_times()
        except psutil.NoSuchProcess:
            continue
        total += times.user + times.system
    return total


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

    import psutil
    import psycopg2

    from voc.pipeline.bench import references, stages
    from voc.pipeline.db import embedded, get_engine
    from voc.pipeline.db.migrate import upgrade

    files = [(f"bench_{kind}", kind, args.sample / path) for kind, path in KINDS]
    args.home.mkdir(parents=True, exist_ok=True)
    server = embedded.server_url(database="postgres", home=args.home)
    name = f"ingest_stage_{uuid.uuid4().hex[:8]}"

    def admin(statement: str) -> None:
        conn = psycopg2.connect(dbname="postgres", user=server.username, host=server.query["host"])
        try:
            conn.autocommit = True
            with conn.cursor() as cur:
                cur.execute(statement)
        finally:
            conn.close()

    admin(f'CREATE DATABASE "{name}"')
    url = server.set(database=name)
    engine = get_engine(url)
    try:
        upgrade(engine)
        with engine.connect() as conn:
            postmaster = psutil.Process(conn.exec_driver_sql("SELECT pg_backend_pid()").scalar_one()).ppid()
        pool_cpu, server_cpu = _children_cpu(), _server_cpu(postmaster)
        result = stages.ingest(url.render_as_string(hide_password=False), files, args.workers)
        pool_cpu, server_cpu = _children_cpu() - pool_cpu, _server_cpu(postmaster) - server_cpu
        rate = result["records"] / result["seconds"]
        out = {"seconds": round(result["seconds"], 2), "records": result["records"], "items": result["items"],
               "loaded": result["loaded"], "duplicate": result["duplicate"], "quarantined": result["quarantined"],
               "records_per_s": round(rate), "gate_s": result["quality_seconds"],
               "workers_cpu_s": round(pool_cpu, 1), "server_cpu_s": round(server_cpu, 1),
               "per_file": [(f["kind"], round(f["seconds"], 2)) for f in result["per_file"]]}
        if not args.no_dlt and references.dlt_available():
            dsn = f"postgresql://postgres:@localhost/{name}?host={server.query['host']}"
            dlt = references.run_dlt(dsn, files, args.home / f"dlt-{uuid.uuid4().hex[:6]}")
            out["dlt_records_per_s"] = round(dlt["records_per_s"])
            out["ingest_to_dlt"] = round(rate / dlt["records_per_s"], 3)
        print(json.dumps(out))
    finally:
        engine.dispose()
        admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


if __name__ == "__main__":
    main()
