"""Enrichment: every item tagged once in the common language, concurrent workers share the work,
and ``--reprocess`` re-tags exactly the items whose versions changed."""

import re
import subprocess
import sys

from tests.helpers import count
from voc.nlp import NLP_VERSION, Tagger, load_taxonomy
from voc.pipeline.enrich import enrich_pending
from voc.pipeline.ingest import ingest_surveys
from voc.pipeline.sample import generate_surveys
from voc.schemas.taxonomies import bundled_path

HEADER = "response_id,submitted_at,survey_id,survey_type,language,customer_id,email,nps,csat,comment,improvement\n"


def _survey(tmp_path, rows: str):
    path = tmp_path / "s.csv"
    path.write_text(HEADER + rows, encoding="utf-8")
    return path


def test_items_are_tagged_with_sentiment_topics_stage_and_versions(engine, tmp_path):
    path = _survey(tmp_path, "A,2026-10-01,relationship_nps,nps,en,C1,,10,,I love this shop!,\n"
                             "B,2026-10-01,relationship_nps,nps,en,C2,,0,,\"My parcel is late again, rude staff.\",\n"
                             "C,2026-10-01,post_purchase_csat,csat,en,C3,,,4,,\n")
    ingest_surveys(engine, [path])
    report = enrich_pending(engine, batch_size=2)
    assert (report.enriched, report.batches) == (3, 2)
    with engine.connect() as conn:
        rows = {r.nps if r.nps is not None else "csat": r for r in conn.exec_driver_sql(
            "SELECT f.nps, e.* FROM core.enrichment e JOIN core.feedback_item f USING (item_id)").all()}
        labels = dict(conn.exec_driver_sql("SELECT nps, sentiment_label FROM mart.customer_story").all())
    assert labels == {0: "negative", None: None, 10: "positive"}
    late = rows[0]
    assert late.is_complaint and "complaint" in late.intents and late.language == "en"
    assert {t["topic"] for t in late.topics} >= {"late_delivery", "staff_attitude"}
    evidence = next(t for t in late.topics if t["topic"] == "late_delivery")["evidence"]
    assert evidence[0]["text"] == "late" and evidence[0]["rule"] == "phrase:late"
    assert (late.journey_stage, late.stage_reason) == ("delivery", "topic late_delivery")
    assert late.sentences and all({"start", "end", "score"} <= set(s) for s in late.sentences)
    score_only = rows["csat"]  # no text: no sentiment, stage from the survey
    assert score_only.sentiment_label is None and score_only.topics == []
    assert (score_only.journey_stage, score_only.stage_reason) == ("purchase", "survey post_purchase_csat")
    default = load_taxonomy(bundled_path())
    assert {(r.nlp_version, r.taxonomy_version) for r in rows.values()} == {(NLP_VERSION, default.version_tag)}
    assert enrich_pending(engine).enriched == 0


def test_limit_stops_early(engine, tmp_path):
    folder, _ = generate_surveys(tmp_path)["surveys"]
    ingest_surveys(engine, [folder])
    assert enrich_pending(engine, batch_size=40, limit=100).enriched == 100
    assert count(engine, "core.enrichment") == 100


def test_reprocess_retags_exactly_the_items_a_taxonomy_change_affects(engine, tmp_path):
    folder, _ = generate_surveys(tmp_path / "sample")["surveys"]
    ingest_surveys(engine, [folder])
    original = tmp_path / "acme.yaml"
    original.write_text(bundled_path().read_text(encoding="utf-8"), encoding="utf-8")
    enrich_pending(engine, taxonomy=original)
    with engine.connect() as conn:
        before = dict(conn.exec_driver_sql("SELECT item_id, topics FROM core.enrichment").all())
    # a phrase moves topic and a new one appears, without bumping `version`: the content hash still changes
    edited = tmp_path / "acme-edited.yaml"
    text = original.read_text(encoding="utf-8").replace("[price, prices, expensive,", "[price, prices, kettle,")
    edited.write_text(text, encoding="utf-8")
    new_tagger = Tagger(edited)
    assert new_tagger.taxonomy_version != load_taxonomy(original).version_tag

    assert enrich_pending(engine, taxonomy=edited).enriched == 0, "without --reprocess nothing is re-tagged"
    report = enrich_pending(engine, tagger=new_tagger, reprocess=True, batch_size=100)
    assert report.retagged == len(before) and report.enriched == 0
    with engine.connect() as conn:
        after = dict(conn.exec_driver_sql("SELECT item_id, topics FROM core.enrichment").all())
        versions = conn.exec_driver_sql("SELECT DISTINCT taxonomy_version FROM core.enrichment").scalars().all()
    assert versions == [new_tagger.taxonomy_version]
    changed = {item for item in before if before[item] != after[item]}
    kettle_items = {item for item, topics in after.items()
                    if any(e["text"].lower() == "kettle" for t in topics for e in t["evidence"])}
    assert kettle_items and changed == kettle_items
    assert enrich_pending(engine, tagger=new_tagger, reprocess=True).retagged == 0, "a second backfill is a no-op"


def test_cli_reprocess_and_taxonomy_option(engine, db_env, tmp_path):
    path = _survey(tmp_path, "A,2026-10-01,s,nps,en,C1,,3,,The kettle was late.,\n")
    ingest_surveys(engine, [path])
    cmd = [sys.executable, "-m", "voc.pipeline.cli", "enrich"]
    first = subprocess.run(cmd + ["--taxonomy", "airline"], env=db_env, capture_output=True, text=True, check=True)
    assert "enriched 1 items" in first.stdout and "airline-example@1" in first.stdout
    again = subprocess.run(cmd + ["--reprocess"], env=db_env, capture_output=True, text=True, check=True)
    assert "enriched 0 items" in again.stdout and "re-tagged 1 items" in again.stdout
    bad = subprocess.run(cmd + ["--taxonomy", str(tmp_path / "missing.yaml")], env=db_env, capture_output=True,
                         text=True)
    assert bad.returncode == 2 and "no such file" in bad.stderr


def test_two_concurrent_workers_never_tag_the_same_item(engine, db_env, tmp_path):
    import time

    folder, _ = generate_surveys(tmp_path, responses=1500)["surveys"]
    ingest_surveys(engine, [folder])
    items = count(engine, "core.feedback_item")
    cmd = [sys.executable, "-m", "voc.pipeline.cli", "enrich", "--batch-size", "25"]
    # Both workers must be at work at once, whichever starts first: a SHARE lock on core.enrichment lets each
    # claim and tag a batch but holds its write, until both are waiting on it; a worker that started seconds
    # before the other can no longer tag every item alone.
    gate = engine.raw_connection()
    try:
        gate.cursor().execute("LOCK TABLE core.enrichment IN SHARE MODE")
        workers = [subprocess.Popen(cmd, env=db_env, stdout=subprocess.PIPE, text=True) for _ in range(2)]
        deadline = time.monotonic() + 240
        with engine.connect() as conn:
            while conn.exec_driver_sql("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                                       " AND wait_event_type = 'Lock'"
                                       " AND (query ILIKE 'COPY%%enrichment%%'"
                                       "      OR query ILIKE '%%INSERT INTO%%enrichment%%')").scalar_one() < 2:
                assert time.monotonic() < deadline, "the two workers never both reached their first write"
                assert all(w.poll() is None for w in workers), "a worker ended before writing"
                conn.rollback()
                time.sleep(0.2)
    finally:
        gate.rollback()
        gate.close()
    outputs = [w.communicate(timeout=300)[0] for w in workers]
    assert [w.returncode for w in workers] == [0, 0]
    done = [int(re.search(r"enriched (\d+) items", out).group(1)) for out in outputs]
    assert sum(done) == items == count(engine, "core.enrichment")
    assert all(n > 0 for n in done), f"both workers should have claimed work: {done}"


# The statement enrichment stored rows with before it moved to COPY + merge (``copy_merge``): the reference
# the stored rows are compared with.
OLD_UPSERT_SQL = """
INSERT INTO core.enrichment_reference (item_id, sentiment_compound, sentiment_label, topics, journey_stage,
    stage_reason, nlp_version, language, is_complaint, intents, taxonomy_version, sentences)
VALUES %s
"""
OLD_ROW_TEMPLATE = "(%s, %s, %s, %s, %s, %s, %s, %s, %s, %s::text[], %s, %s)"


def test_rows_stored_through_copy_equal_the_execute_values_rows(engine, tmp_path):
    from psycopg2.extras import Json, execute_values

    from voc.nlp import Item

    folder, _ = generate_surveys(tmp_path / "sample", responses=300)["surveys"]
    ingest_surveys(engine, [folder])
    ingest_surveys(engine, [_survey(tmp_path, (
        'A,2026-10-01,relationship_nps,nps,en,C1,,1,,"Très déçu 😡: the \\"late\\" parcel\tand a back\\\\slash,'
        ' rude staff",\n'
        'B,2026-10-01,relationship_nps,nps,en,C2,,9,,"Line one\nline two: great price, I\'ll be back!",\n'))])
    tagger = Tagger()
    assert enrich_pending(engine, tagger=tagger, batch_size=97).enriched == count(engine, "core.feedback_item")

    with engine.connect() as conn:
        items = [Item(text=t, id=i, channel=c, survey_id=s) for i, t, c, s in conn.exec_driver_sql(
            "SELECT item_id, text, channel, survey_id FROM core.feedback_item ORDER BY item_id").all()]
    rows = []
    for item, tags in zip(items, tagger.tag(items), strict=True):
        sentiment = tags["sentiment"]
        rows.append((item.id, sentiment["score"] if sentiment else None, sentiment["label"] if sentiment else None,
                     Json(tags["topics"]), tags["journey_stage"], tags["stage_reason"], tagger.nlp_version,
                     tags["language"], tags["is_complaint"], tags["intents"], tagger.taxonomy_version,
                     Json(tags["sentences"])))
    columns = ("item_id, sentiment_compound, sentiment_label, topics, journey_stage, stage_reason, nlp_version,"
               " language, is_complaint, intents, taxonomy_version, sentences")
    raw_conn = engine.raw_connection()
    try:
        with raw_conn.cursor() as cur:
            cur.execute("CREATE TABLE core.enrichment_reference (LIKE core.enrichment INCLUDING DEFAULTS)")
            execute_values(cur, OLD_UPSERT_SQL, rows, template=OLD_ROW_TEMPLATE)
            # compared as stored values, column by column (jsonb, real and text[] equality), enriched_at aside
            cur.execute(f"SELECT {columns} FROM core.enrichment EXCEPT SELECT {columns} FROM core.enrichment_reference")
            only_new = cur.fetchall()
            cur.execute(f"SELECT {columns} FROM core.enrichment_reference EXCEPT SELECT {columns} FROM core.enrichment")
            only_old = cur.fetchall()
            cur.execute("SELECT count(*) FROM core.enrichment WHERE topics::text LIKE '%%\"evidence\": [{%%'"
                        " AND intents <> '{}' AND sentences <> '[]'")
            rich = cur.fetchone()[0]
        raw_conn.rollback()
    finally:
        raw_conn.close()
    assert (only_new, only_old) == ([], [])
    assert rich > 50, "the comparison should cover items with topics, evidence, intents and sentences"
