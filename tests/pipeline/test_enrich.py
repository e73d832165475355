"""Enrichment: every item tagged once, score-only items get no sentiment, concurrent workers share the work."""

import re
import subprocess
import sys

from tests.helpers import count
from voc.pipeline.enrich import enrich_pending
from voc.pipeline.ingest import ingest_surveys
from voc.pipeline.sample import generate_surveys

HEADER = "response_id,submitted_at,survey_id,survey_type,language,customer_id,email,nps,csat,comment,improvement\n"


def test_items_are_tagged_with_sentiment_and_version(engine, tmp_path):
    path = tmp_path / "s.csv"
    path.write_text(HEADER + "A,2026-10-01,s,nps,en,C1,,10,,I love this shop!,\n"
                    "B,2026-10-01,s,nps,en,C2,,0,,\"Terrible, rude and slow.\",\n"
                    "C,2026-10-01,s,nps,en,C3,,7,,,\n", encoding="utf-8")
    ingest_surveys(engine, [path])
    report = enrich_pending(engine, batch_size=2)
    assert (report.enriched, report.batches) == (3, 2)
    with engine.connect() as conn:
        rows = dict(conn.exec_driver_sql(
            "SELECT nps, sentiment_label FROM mart.customer_story ORDER BY nps"
        ).all())
        versions = conn.exec_driver_sql("SELECT DISTINCT nlp_version FROM core.enrichment").scalars().all()
    assert rows == {0: "negative", 7: None, 10: "positive"}
    assert versions == ["voc-nlp-0.1"]
    assert enrich_pending(engine).enriched == 0


def test_limit_stops_early(engine, tmp_path):
    folder, _ = generate_surveys(tmp_path)["surveys"]
    ingest_surveys(engine, [folder])
    assert enrich_pending(engine, batch_size=40, limit=100).enriched == 100
    assert count(engine, "core.enrichment") == 100


def test_two_concurrent_workers_never_tag_the_same_item(engine, db_env, tmp_path):
    folder, _ = generate_surveys(tmp_path, responses=1500)["surveys"]
    ingest_surveys(engine, [folder])
    items = count(engine, "core.feedback_item")
    cmd = [sys.executable, "-m", "voc.pipeline.cli", "enrich", "--batch-size", "25"]
    workers = [subprocess.Popen(cmd, env=db_env, stdout=subprocess.PIPE, text=True) for _ in range(2)]
    outputs = [w.communicate(timeout=300)[0] for w in workers]
    assert [w.returncode for w in workers] == [0, 0]
    done = [int(re.search(r"enriched (\d+) items", out).group(1)) for out in outputs]
    assert sum(done) == items == count(engine, "core.enrichment")
    assert all(n > 0 for n in done), f"both workers should have claimed work: {done}"
