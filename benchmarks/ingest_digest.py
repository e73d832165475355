"""Digests of what the ingest stage stores: every table of the ``raw`` and ``core`` schemas after loading a sample.

Loads each file of a ``voc sample`` folder with ``ingest_files`` (quality gate included) into a fresh database on
the embedded server under ``--home``, one file after the other in this process (so serial ids are the same from
run to run), then prints one JSON line: per table, its row count and the md5 of its rows (each row as jsonb text,
rows sorted), without the columns that hold the time of the run (``*_at`` stamps, the gate's run ids and Data Docs
page names). Two code versions stored the same rows when their lines are equal
(``PYTHONPATH=<other tree> .venv/bin/python benchmarks/ingest_digest.py DIR``).

Run: ``.venv/bin/voc sample --items 50000 --out DIR`` then ``.venv/bin/python benchmarks/ingest_digest.py DIR``.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from psycopg2 import sql

FILES = {"survey": "survey/surveys.csv", "social": "social/social.jsonl", "ticket": "ticket/tickets.csv",
         "email": "email/inbox.mbox", "review": "review/reviews.jsonl"}
# columns that say when the run happened, not what it stored
# the time of the run also sits in one check's arguments: the latest timestamp not in the future (arrival + 1 h)
ROW = {"raw.quality_result": "(to_jsonb(t) - %(volatile)s::text[]) || jsonb_build_object('kwargs', CASE WHEN"
                             " t.check_name = 'timestamps not in the future' THEN t.kwargs - 'max_value'"
                             " ELSE t.kwargs END)"}
VOLATILE = ["started_at", "finished_at", "received_at", "quarantined_at", "loaded_at", "updated_at", "checked_at",
            "published_at", "first_seen_at", "resolved_at", "merged_at", "run_id", "data_docs_page"]


def digests(engine, rows_to: Path | None = None) -> dict[str, list]:
    """Row count and md5 of the sorted rows (jsonb text, volatile columns removed) of every raw and core table;
    with ``rows_to``, the rows themselves are written there too, one per line after their table's name."""
    out = {}
    rows_file = rows_to.open("w") if rows_to else None
    with engine.connect() as conn:
        cur = conn.connection.cursor()
        cur.execute("SELECT table_schema, table_name FROM information_schema.tables WHERE table_schema IN"
                    " ('raw', 'core') AND table_type = 'BASE TABLE' ORDER BY 1, 2")
        for schema, table in cur.fetchall():
            row = sql.SQL(ROW.get(f"{schema}.{table}", "to_jsonb(t) - %(volatile)s::text[]"))
            cur.execute(sql.SQL("SELECT count(*), md5(coalesce(string_agg(j, E'\\n' ORDER BY j), ''))"
                                " FROM (SELECT ({})::text AS j FROM {} AS t) AS rows").format(
                                    row, sql.Identifier(schema, table)), {"volatile": VOLATILE})
            out[f"{schema}.{table}"] = list(cur.fetchone())
            if rows_file:
                cur.execute(sql.SQL("SELECT ({})::text AS j FROM {} AS t ORDER BY 1").format(
                    row, sql.Identifier(schema, table)), {"volatile": VOLATILE})
                rows_file.writelines(f"{schema}.{table} {row}\n" for (row,) in cur)
    if rows_file:
        rows_file.close()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sample", type=Path, help="a folder written by `voc sample`")
    parser.add_argument("--home", type=Path, default=Path(".voc/ingest-digest"), help="embedded server's home")
    parser.add_argument("--rows", type=Path, help="also write every digested row to this file (to diff two runs)")
    args = parser.parse_args()

    from voc.pipeline.bench.run import BenchDatabase
    from voc.pipeline.db import get_engine
    from voc.pipeline.db.migrate import upgrade
    from voc.pipeline.ingest import ingest_files

    db = BenchDatabase(None, args.home)  # the embedded server under HOME/pg, a database of its own
    engine = get_engine(db.url)
    try:
        upgrade(engine)
        for kind, path in FILES.items():
            ingest_files(engine, kind, [args.sample / path], source=f"bench_{kind}")
        print(json.dumps(digests(engine, args.rows)))
    finally:
        engine.dispose()
        db.drop()


if __name__ == "__main__":
    main()
