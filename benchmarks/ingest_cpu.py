"""CPU per record of the ingest stage, per channel: the loader's own process and the PostgreSQL server's.

Loads each file of a ``voc sample`` folder with ``ingest_files`` (quality gate included) into a fresh
database on the embedded server under ``--home``, one file after the other in this process, and reports
microseconds of CPU per record read: this process (``py_us``: reading, contracts, redaction, hashing,
COPY encoding, the gate's Python) and every process of the PostgreSQL server (``pg_us``). CPU seconds
move far less than wall time on a shared machine; alternate runs of two code versions to compare them
(``PYTHONPATH=<other tree> .venv/bin/python benchmarks/ingest_cpu.py ...``). Great Expectations is
imported before the first file and reported apart (a once-per-process cost).

Run: ``.venv/bin/voc sample --items 50000 --out DIR`` then
``.venv/bin/python benchmarks/ingest_cpu.py DIR [--kinds survey,social] [--home .voc/ingest-cpu]``.
"""

from __future__ import annotations

import argparse
import json
import time
import uuid
from pathlib import Path

FILES = {"survey": "survey/surveys.csv", "social": "social/social.jsonl", "ticket": "ticket/tickets.csv",
         "email": "email/inbox.mbox", "review": "review/reviews.jsonl"}


def _server_cpu(postmaster: int) -> float:
    """CPU seconds of the server's postmaster and all its children so far, those that exited included."""
    import psutil

    root = psutil.Process(postmaster)
    reaped = root.cpu_times()
    total = reaped.children_user + reaped.children_system  # backends of closed connections (the gate's)
    for proc in [root, *root.children(recursive=True)]:
        try:
            times = proc.cpu_times()
        except psutil.NoSuchProcess:
            continue
        total += times.user + times.system
    return total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sample", type=Path, help="a folder written by `voc sample`")
    parser.add_argument("--kinds", default=",".join(FILES), help="channels to load, in order")
    parser.add_argument("--home", type=Path, default=Path(".voc/ingest-cpu"), help="embedded server's home")
    args = parser.parse_args()

    import psutil
    import psycopg2

    from voc.pipeline.db import embedded, get_engine
    from voc.pipeline.db.migrate import upgrade
    from voc.pipeline.ingest import ingest_files

    args.home.mkdir(parents=True, exist_ok=True)
    server = embedded.server_url(database="postgres", home=args.home)
    name = f"ingest_cpu_{uuid.uuid4().hex[:8]}"

    def admin(statement: str) -> None:
        conn = psycopg2.connect(dbname="postgres", user=server.username, host=server.query["host"])
        try:
            conn.autocommit = True
            with conn.cursor() as cur:
                cur.execute(statement)
        finally:
            conn.close()

    admin(f'CREATE DATABASE "{name}"')
    engine = get_engine(server.set(database=name))
    try:
        upgrade(engine)
        with engine.connect() as conn:
            postmaster = psutil.Process(conn.exec_driver_sql("SELECT pg_backend_pid()").scalar_one()).ppid()
        started = time.process_time()
        import voc.pipeline.quality.runner  # noqa: F401 - Great Expectations, once per process

        out: dict = {"gx_import_cpu_s": round(time.process_time() - started, 2)}
        for kind in args.kinds.split(","):
            wall, cpu, pg = time.perf_counter(), time.process_time(), _server_cpu(postmaster)
            report = ingest_files(engine, kind, [args.sample / FILES[kind]], source=f"bench_{kind}")[0]
            wall, cpu, pg = time.perf_counter() - wall, time.process_time() - cpu, _server_cpu(postmaster) - pg
            out[kind] = {"records": report.read, "py_us": round(cpu / report.read * 1e6),
                         "pg_us": round(pg / report.read * 1e6), "wall_us": round(wall / report.read * 1e6),
                         "gate_s": report.quality_seconds, "loaded": report.loaded, "duplicate": report.duplicate,
                         "quarantined": report.quarantined, "items": report.items}
        print(json.dumps(out))
    finally:
        engine.dispose()
        admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


if __name__ == "__main__":
    main()
