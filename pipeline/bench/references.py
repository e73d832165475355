"""The references the product is compared with, measured in the same run on the same texts and files.

1. ``ceiling``: spaCy's blank tokenizer plus stock VADER over the texts enrichment saw, no database,
   in as many processes as enrichment used (what the NLP cannot beat). Beside it, ``pipeline_nlp``: the
   product's own tagger over the same texts without the database, to show where the gap is.
2. ``textbook``: one ``nlp(text)`` call (the product's own pipeline) and one ``INSERT`` per item, one
   process, one commit at the end (kinder than a commit per row), on a sample, rate extrapolated.
3. ``dlt``: dlt (the ``bench`` extra) loading the same files into the same PostgreSQL, with stdlib
   readers per format (csv, json lines, mailbox), default settings.
"""

from __future__ import annotations

import json
import multiprocessing
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from sqlalchemy import Engine


def export_texts(engine: Engine, out: Path, limit: int) -> dict:
    """Write at most ``limit`` item texts, spread evenly over the items enriched, one JSON line each.

    Reads ``core.feedback_item`` (grain: item) with a server-side cursor; writes ``out``. Returns counts.
    """
    raw_conn = engine.raw_connection()
    try:
        with raw_conn.cursor() as cur:
            cur.execute("SELECT count(*) FROM core.feedback_item")
            total = cur.fetchone()[0]
        step = max(1, -(-total // max(1, limit)))
        written = 0
        with raw_conn.cursor(name="voc_bench_texts") as cur, out.open("w", encoding="utf-8") as fh:
            cur.itersize = 10_000
            cur.execute("SELECT item_id::text, text, channel, survey_id FROM core.feedback_item ORDER BY item_id")
            for n, (item_id, text, channel, survey_id) in enumerate(cur):
                if n % step == 0 and written < limit:
                    fh.write(json.dumps([item_id, text, channel, survey_id], ensure_ascii=False) + "\n")
                    written += 1
        raw_conn.commit()
    finally:
        raw_conn.close()
    return {"items": total, "sampled": written, "step": step}


def _texts(path: Path, part: int = 0, parts: int = 1):
    with path.open(encoding="utf-8") as fh:
        for n, line in enumerate(fh):
            if n % parts == part:
                yield json.loads(line)


def _ceiling_worker(path: str, part: int, parts: int) -> dict:
    """Worker: stream its share of the texts through the blank tokenizer and VADER; time the loop only."""
    import spacy
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    blank, vader = spacy.blank("en"), SentimentIntensityAnalyzer()
    texts = (row[1] or "" for row in _texts(Path(path), part, parts))
    count = 0
    start = time.perf_counter()
    for doc in blank.pipe(texts, batch_size=256):
        vader.polarity_scores(doc.text)
        count += 1
    return {"texts": count, "seconds": time.perf_counter() - start}


def _in_processes(worker, texts: Path, workers: int) -> dict:
    """Run ``worker`` over its share of ``texts`` in ``workers`` spawned processes at once; rate = texts / slowest."""
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        results = [f.result() for f in [pool.submit(worker, str(texts), n, workers) for n in range(workers)]]
    count, seconds = sum(r["texts"] for r in results), max(r["seconds"] for r in results)
    return {"texts": count, "seconds": seconds, "workers": workers, "items_per_s": count / seconds if seconds else None}


def ceiling(texts: Path, workers: int) -> dict:
    """Tokenizer + VADER over ``texts`` in ``workers`` processes at once; rate = texts / slowest worker."""
    return _in_processes(_ceiling_worker, texts, workers)


def _pipeline_worker(path: str, part: int, parts: int) -> dict:
    """Worker: the product's own tagger over its share of the texts, no database; time the loop only."""
    from voc.nlp import Item, Tagger
    from voc.pipeline.enrich import taxonomy_from_env

    tagger = Tagger(taxonomy_from_env())
    items = (Item(text=t, id=i, channel=c, survey_id=s) for i, t, c, s in _texts(Path(path), part, parts))
    count = 0
    start = time.perf_counter()
    for _ in tagger.tag(items):
        count += 1
    return {"texts": count, "seconds": time.perf_counter() - start}


def pipeline_nlp(texts: Path, workers: int) -> dict:
    """The product's NLP alone (no database) over ``texts`` in ``workers`` processes: splits the gap to the
    ceiling into what the NLP costs and what storing costs."""
    return _in_processes(_pipeline_worker, texts, workers)


TEXTBOOK_TABLE = """
CREATE SCHEMA IF NOT EXISTS bench;
DROP TABLE IF EXISTS bench.textbook_enrichment;
CREATE TABLE bench.textbook_enrichment (
    item_id uuid PRIMARY KEY, sentiment double precision, sentiment_label text, topics jsonb,
    journey_stage text, intents text[], is_complaint boolean
)
"""


def textbook(engine: Engine, texts: Path, sample: int) -> dict:
    """One ``nlp(text)`` and one INSERT per item for the first ``sample`` texts; rate extrapolated."""
    from voc.nlp.pipeline import build_nlp
    from voc.pipeline.enrich import taxonomy_from_env

    nlp = build_nlp(taxonomy_from_env())
    raw_conn = engine.raw_connection()
    count = 0
    try:
        with raw_conn.cursor() as cur:
            cur.execute(TEXTBOOK_TABLE)
            raw_conn.commit()
            start = time.perf_counter()
            for item_id, text, channel, survey_id in _texts(texts):
                if count >= sample:
                    break
                doc = nlp.make_doc(text or "")
                doc._.channel, doc._.survey_id = channel, survey_id
                doc = nlp(doc)
                cur.execute(
                    "INSERT INTO bench.textbook_enrichment VALUES (%s, %s, %s, %s, %s, %s, %s)",
                    (item_id, doc._.sentiment, doc._.sentiment_label,
                     json.dumps([{"theme": h.theme, "topic": h.topic} for h in doc._.topics]),
                     doc._.journey_stage, list(doc._.intents), doc._.is_complaint))
                count += 1
            raw_conn.commit()
            seconds = time.perf_counter() - start
            cur.execute("DROP SCHEMA bench CASCADE")
        raw_conn.commit()
    finally:
        raw_conn.close()
    return {"items": count, "seconds": seconds, "items_per_s": count / seconds if seconds else None,
            "extrapolated": True, "note": f"rate measured on {count} items, one process"}


def dlt_available() -> bool:
    try:
        import dlt  # noqa: F401
    except ImportError:
        return False
    return True


def _dlt_resources(files: list[tuple[str, str, str]]):
    import csv
    import mailbox

    import dlt

    def jsonl(path):
        with open(path, encoding="utf-8") as fh:
            for line in fh:
                try:
                    yield json.loads(line)
                except ValueError:
                    continue

    def rows(path):
        with open(path, newline="", encoding="utf-8") as fh:
            yield from csv.DictReader(fh)

    def messages(path):
        for message in mailbox.mbox(path, create=False):
            body = message.get_payload(decode=True) or b""
            yield {"message_id": message["Message-ID"], "from": message["From"], "subject": message["Subject"],
                   "date": message["Date"], "body": body.decode("utf-8", "replace")}

    readers = {".csv": rows, ".jsonl": jsonl, ".mbox": messages}
    return [dlt.resource(readers[Path(path).suffix](path), name=f"{kind}_{n}", write_disposition="append")
            for n, (_source, kind, path) in enumerate(files)]


def _dlt_worker(dsn: str, files: list[tuple[str, str, str]], pipelines_dir: str, dataset: str) -> dict:
    """Worker: run one dlt pipeline over every file; return records loaded and step timings."""
    import dlt

    pipeline = dlt.pipeline(pipeline_name="voc_bench_dlt", destination=dlt.destinations.postgres(dsn),
                            dataset_name=dataset, pipelines_dir=pipelines_dir)
    start = time.perf_counter()
    pipeline.run(_dlt_resources(files))
    seconds = time.perf_counter() - start
    steps = {}
    trace = pipeline.last_trace
    for step in trace.steps if trace else []:
        if step.finished_at and step.started_at:
            steps[step.step] = (step.finished_at - step.started_at).total_seconds()
    with pipeline.sql_client() as client:
        tables = [f"{kind}_{n}" for n, (_s, kind, _p) in enumerate(files)]
        records = sum(client.execute_sql(f"SELECT count(*) FROM {client.make_qualified_table_name(t)}")[0][0]
                      for t in tables)
        client.execute_sql(f"DROP SCHEMA {client.fully_qualified_dataset_name()} CASCADE")
    return {"records": records, "seconds": seconds, "steps": steps}


def run_dlt(dsn: str, files: list[tuple[str, str, Path]], work_dir: Path) -> dict:
    """dlt loading ``files`` into the database at ``dsn`` (libpq URL), in a child process of its own."""
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=1, mp_context=context) as pool:
        result = pool.submit(_dlt_worker, dsn, [(s, k, str(p)) for s, k, p in files], str(work_dir / "dlt"),
                             "bench_dlt").result()
    result["records_per_s"] = result["records"] / result["seconds"] if result["seconds"] else None
    import dlt

    result["version"] = dlt.__version__
    return result
