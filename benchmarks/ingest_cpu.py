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
from pathlib import Path

FILES = {"survey": "survey/surveys.csv", "social": "social/social.jsonl", "ticket": "ticket/tickets.csv",
         "email": "email/inbox.mbox", "review": "review/reviews.jsonl"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sample", type=Path, help="a folder written by `voc sample`")
    parser.add_argument("--kinds", default=",".join(FILES), help="channels to load, in order")
    parser.add_argument("--home", type=Path, default=Path(".voc/ingest-cpu"), help="embedded server's home")
    args = parser.parse_args()

    from server_cpu import postmaster_of, server_cpu

    from voc.pipeline.bench.run import BenchDatabase
    from voc.pipeline.db import get_engine
    from voc.pipeline.db.migrate import upgrade
    from voc.pipeline.ingest import ingest_files

    db = BenchDatabase(None, args.home)  # the embedded server under HOME/pg, a database of its own
    engine = get_engine(db.url)
    try:
        upgrade(engine)
        postmaster = postmaster_of(engine)
        started = time.process_time()
        import voc.pipeline.quality.runner  # noqa: F401 - Great Expectations, once per process

        out: dict = {"gx_import_cpu_s": round(time.process_time() - started, 2)}
        for kind in args.kinds.split(","):
            wall, cpu, pg = time.perf_counter(), time.process_time(), server_cpu(postmaster)
            report = ingest_files(engine, kind, [args.sample / FILES[kind]], source=f"bench_{kind}")[0]
            wall, cpu, pg = time.perf_counter() - wall, time.process_time() - cpu, server_cpu(postmaster) - pg
            out[kind] = {"records": report.read, "py_us": round(cpu / report.read * 1e6),
                         "pg_us": round(pg / report.read * 1e6), "wall_us": round(wall / report.read * 1e6),
                         "gate_s": report.quality_seconds, "loaded": report.loaded, "duplicate": report.duplicate,
                         "quarantined": report.quarantined, "items": report.items}
        print(json.dumps(out))
    finally:
        engine.dispose()
        db.drop()


if __name__ == "__main__":
    main()
