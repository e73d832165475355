"""Loading survey exports: idempotent, nothing lost, rejects quarantined with reasons, corrections applied."""

import json

import pytest

from tests.helpers import count, table_counts
from voc.pipeline.enrich import enrich_pending
from voc.pipeline.ingest import ingest_surveys
from voc.pipeline.sample import generate_surveys

HEADER = "response_id,submitted_at,survey_id,survey_type,language,customer_id,email,nps,csat,comment,improvement\n"


@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    return generate_surveys(tmp_path_factory.mktemp("sample"))


def _ingest_sample(engine, sample):
    reports = []
    for source, (folder, mapping) in sample.items():
        reports += ingest_surveys(engine, [folder], source=source, mapping=mapping)
    return reports


def test_every_record_is_accounted_for(engine, sample):
    reports = _ingest_sample(engine, sample)
    for r in reports:
        assert r.read == r.loaded + r.duplicate + r.quarantined, r
    assert sum(r.loaded for r in reports) == count(engine, "raw.record")
    assert sum(r.quarantined for r in reports) == count(engine, "raw.quarantine") == 3
    assert sum(r.items for r in reports) == count(engine, "core.feedback_item")
    with engine.connect() as conn:
        batches = conn.exec_driver_sql(
            "SELECT read_count, loaded_count, duplicate_count, quarantined_count FROM raw.load_batch ORDER BY load_id"
        ).all()
    assert [tuple(b) for b in batches] == [(r.read, r.loaded, r.duplicate, r.quarantined) for r in reports]


def test_loading_twice_changes_no_table(engine, sample):
    _ingest_sample(engine, sample)
    enrich_pending(engine)
    before = table_counts(engine)
    again = _ingest_sample(engine, sample)
    assert all(r.loaded == 0 and r.items == 0 and r.load_id is None for r in again)
    assert sum(r.duplicate for r in again) == before["raw.record"]
    assert table_counts(engine) == before


def test_broken_rows_are_quarantined_with_reason_file_and_line(engine, sample):
    _ingest_sample(engine, sample)
    with engine.connect() as conn:
        rows = conn.exec_driver_sql(
            "SELECT q.source, q.location, q.reason, q.payload, b.location FROM raw.quarantine q"
            " JOIN raw.load_batch b USING (load_id) ORDER BY q.location"
        ).all()
    assert {r[0] for r in rows} == {"surveys"}
    reasons = sorted(r[2] for r in rows)
    assert reasons == [
        "nps: 11 is greater than the maximum of 10",
        "occurred_at: 'last tuesday' in column 'submitted_at' is not an ISO 8601 date-time",
        "occurred_at: column 'submitted_at' is missing or empty",
    ]
    assert all(r[1].startswith("surveys_nps_csat.csv:") for r in rows)
    assert all(r[4].endswith("surveys_nps_csat.csv") for r in rows)
    assert {json.loads(r[3])["response_id"] for r in rows} == {"R-BROKEN-1", "R-BROKEN-2", "R-BROKEN-3"}
    # the good rows of the same file loaded
    assert count(engine, "core.feedback_item") > 500


def test_personal_data_stays_in_raw(engine, tmp_path):
    path = tmp_path / "pii.csv"
    path.write_text(HEADER + "P1,2026-10-01,s,nps,en,C9,Jane.Doe@Example.com,2,,"
                    "Call me on +44 20 7946 0958 or jane.doe@example.com,\n", encoding="utf-8")
    ingest_surveys(engine, [path])
    with engine.connect() as conn:
        text, ids, key = conn.exec_driver_sql("SELECT text, customer_ids, customer_key FROM core.feedback_item").one()
        raw = conn.exec_driver_sql("SELECT payload::text FROM raw.record").scalar_one()
    assert text == "Call me on [phone] or [email]"
    assert ids["email"].startswith("sha256:") and "example" not in json.dumps(ids).lower()
    assert key == "customer_id:C9"
    assert "Jane.Doe@Example.com" in raw  # the original survives only in raw


def test_a_corrected_export_updates_the_item_and_queues_it_again(engine, tmp_path):
    first = tmp_path / "v1.csv"
    first.write_text(HEADER + "X1,2026-10-01,s,nps,en,C1,,2,,Awful wait,\n", encoding="utf-8")
    ingest_surveys(engine, [first])
    enrich_pending(engine)
    second = tmp_path / "v2.csv"
    second.write_text(HEADER + "X1,2026-10-01,s,nps,en,C1,,9,,Lovely service,\n", encoding="utf-8")
    [report] = ingest_surveys(engine, [second])
    assert (report.loaded, report.items) == (1, 1)
    assert count(engine, "core.feedback_item") == 1
    assert count(engine, "core.enrichment") == 0  # stale tags removed
    enrich_pending(engine)
    with engine.connect() as conn:
        nps, label = conn.exec_driver_sql("SELECT nps, sentiment_label FROM mart.customer_story").one()
    assert (nps, label) == (9, "positive")


def test_duplicate_rows_within_one_file_count_once(engine, tmp_path):
    path = tmp_path / "dup.csv"
    row = "D1,2026-10-01,s,nps,en,C1,,5,,Same words,\n"
    path.write_text(HEADER + row + row + "D2,2026-10-01,s,nps,en,C1,,5,,Other words,\n", encoding="utf-8")
    [report] = ingest_surveys(engine, [path])
    assert (report.read, report.loaded, report.duplicate, report.quarantined) == (3, 2, 1, 0)
    assert count(engine, "core.feedback_item") == 2


def test_truncate_text_cuts_at_a_character_boundary():
    from voc.pipeline.load import truncate_text

    assert truncate_text("abc", 5) == "abc" and truncate_text("abcdef", 3) == "abc"
    assert truncate_text("abcde\u0301f", 5) == "abcd"  # e + combining acute: both go
    assert truncate_text("ab\U0001f44d\U0001f3fdc", 3) == "ab"  # thumbs up + skin tone
    assert truncate_text("ab\U0001f468\u200d\U0001f469x", 4) == "ab"  # a joined emoji sequence
    assert len(truncate_text("x" * 60_000)) == 50_000


def test_an_unknown_oversize_policy_is_refused_before_anything_is_stored(engine, tmp_path):
    from voc.pipeline.load import load_records

    with pytest.raises(ValueError, match="oversize policy must be one of quarantine, truncate, got 'cut'"):
        load_records(engine, source="s", kind="survey", location="x", content_sha256="0", records=[],
                     to_items=lambda r: [], oversize="cut")
    assert count(engine, "raw.load_batch") == 0


def test_a_load_freezes_the_older_objects_only_while_it_runs(engine, sample, monkeypatch):
    """The collector skips the objects alive before a load while it runs (``load_records``), and gets them back
    after it, whether it returns or raises; a freeze the caller made itself is left as it was."""
    import gc

    from voc.pipeline import load

    seen = []
    real = load._Chunk.load

    def spy(self, chunk):
        seen.append(gc.get_freeze_count())
        return real(self, chunk)

    monkeypatch.setattr(load._Chunk, "load", spy)
    assert gc.get_freeze_count() == 0
    _ingest_sample(engine, sample)
    assert seen and all(n > 0 for n in seen) and gc.get_freeze_count() == 0

    failing = load._old_objects_left_out_of_collections(lambda: 1 / 0)
    with pytest.raises(ZeroDivisionError):
        failing()
    assert gc.get_freeze_count() == 0
    gc.freeze()
    try:
        frozen = gc.get_freeze_count()
        assert load._old_objects_left_out_of_collections(gc.get_freeze_count)() == frozen
        assert gc.get_freeze_count() == frozen
    finally:
        gc.unfreeze()
