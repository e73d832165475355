"""The gates on real broken batches: each is held in raw with the right reason, a good batch flows through."""

import gc
import re
import time

import pytest

from tests.helpers import count
from tests.pipeline.quality.batches import social_file, survey_file, ticket_file
from voc.pipeline.ingest import ingest_files
from voc.pipeline.quality import BatchesHeld, QualityGate, release


def _batch(engine, load_id):
    with engine.connect() as conn:
        return dict(conn.exec_driver_sql(
            "SELECT status, held_reason, item_count, released_by FROM raw.load_batch WHERE load_id = %s",
            (load_id,)).mappings().one())


def _in_story(engine, load_id) -> int:
    """Items of the batch analysts can see."""
    with engine.connect() as conn:
        return conn.exec_driver_sql(
            "SELECT count(*) FROM mart.customer_story WHERE item_id IN"
            " (SELECT item_id FROM raw.staged_item WHERE load_id = %s)", (load_id,)).scalar_one()


def _held(engine, kind, path, **kw):
    with pytest.raises(BatchesHeld) as info:
        ingest_files(engine, kind, [path], **kw)
    [held] = info.value.held
    [report] = info.value.reports
    assert (report.status, report.load_id) == ("held", held.load_id)
    assert _in_story(engine, held.load_id) == 0  # analysts never see it
    return held, report


def _failed_checks(engine, load_id) -> set[tuple[str, str]]:
    with engine.connect() as conn:
        return set(conn.exec_driver_sql(
            "SELECT check_name, severity FROM raw.quality_result WHERE load_id = %s AND NOT success",
            (load_id,)).all())


def test_a_good_batch_flows_through_untouched(engine, tmp_path, docs_dir):
    [report] = ingest_files(engine, "survey", [survey_file(tmp_path / "good.csv", 40)])
    assert (report.status, report.items, report.warnings, report.held_reason) == ("published", 40, [], None)
    assert _in_story(engine, report.load_id) == 40 == count(engine, "core.feedback_item")
    with engine.connect() as conn:
        story = conn.exec_driver_sql("SELECT nps, text FROM mart.customer_story ORDER BY text").all()
        staged = conn.exec_driver_sql("SELECT nps, text FROM raw.staged_item ORDER BY text").all()
        results = conn.exec_driver_sql(
            "SELECT count(*), bool_and(success), min(suite), min(data_docs_page) FROM raw.quality_result"
            " WHERE load_id = %s", (report.load_id,)).one()
    assert story == staged  # published exactly as staged
    assert results[0] >= 12 and results[1] is True and results[2] == "survey_batch"
    assert (docs_dir / results[3]).is_file() and (docs_dir / "index.html").is_file()
    assert _batch(engine, report.load_id)["status"] == "published"


def test_a_survey_file_with_nps_11_is_held_with_the_reason_and_released_after_review(engine, tmp_path, docs_dir):
    path = survey_file(tmp_path / "nps.csv", 40, nps=lambda n: 11 if n % 4 == 0 else 7)
    held, report = _held(engine, "survey", path)
    # every NPS 11 row is quarantined on its own, and the batch gate sees them too
    assert (report.read, report.loaded, report.quarantined) == (40, 30, 10)
    assert count(engine, "raw.quarantine") == 10 and count(engine, "core.feedback_item") == 0
    assert "scores within scales: nps 10 of 40 rows (25.0%) outside 0..10, e.g. 11" in held.reason
    assert _failed_checks(engine, held.load_id) == {
        ("records rejected", "error"), ("records rejected", "warning"), ("scores within scales", "error")}
    with engine.connect() as conn:  # the reason is queryable in SQL
        reason = conn.exec_driver_sql("SELECT held_reason FROM raw.load_batch WHERE status = 'held'").scalar_one()
        page, observed = conn.exec_driver_sql(
            "SELECT data_docs_page, sample_unexpected FROM raw.quality_result WHERE load_id = %s AND NOT success"
            " AND column_name = 'nps'", (held.load_id,)).one()
    assert "nps" in reason and "11" in reason and observed[0] == 11
    html = (docs_dir / page).read_text(encoding="utf-8")  # the Data Docs page of the run, as a browser shows it
    html = " ".join(re.sub(r"<[^>]+>", " ", html).split())
    assert "values must be greater than or equal to 0.0 and less than or equal to 10.0" in html
    assert "10 unexpected values found" in html and "Failed" in html
    # nothing is lost: the staged items wait in raw, a release publishes them
    assert count(engine, "raw.staged_item") == 30
    verdict = release(engine, held.load_id, by="reviewer", note="export fixed upstream, scores 0-10 verified")
    assert (verdict.status, verdict.items) == ("published", 30)
    assert _in_story(engine, held.load_id) == 30
    batch = _batch(engine, held.load_id)
    assert (batch["status"], batch["released_by"], batch["item_count"]) == ("published", "reviewer", 30)
    assert "nps" in batch["held_reason"]  # the history of the hold is kept
    with pytest.raises(ValueError, match="is published, not held"):
        release(engine, held.load_id, by="reviewer")


def test_a_ticket_export_with_duplicate_ids_is_held(engine, tmp_path):
    ids = [n for n in range(1, 16) for _ in (0, 1)]  # every ticket twice, with different descriptions
    held, report = _held(engine, "ticket", ticket_file(tmp_path / "tickets.csv", ids), source="zendesk_export")
    assert (report.read, report.loaded) == (30, 30)
    assert held.reason.startswith("ids unique: item_id 30 of 30 rows (100.0%) not unique in the batch")
    assert _failed_checks(engine, held.load_id) == {("ids unique", "error")}


def test_a_social_file_of_empty_texts_is_held_with_its_good_posts(engine, tmp_path):
    texts = [""] * 24 + ["A real post about a late parcel", "Another real post"]
    held, report = _held(engine, "social", social_file(tmp_path / "x.jsonl", texts), source="x")
    assert (report.read, report.quarantined, report.loaded) == (26, 24, 2)
    assert "text not empty: text_length 24 of 26 rows (92.3%) below 1" in held.reason
    assert count(engine, "core.feedback_item") == 0 and count(engine, "raw.staged_item") == 2


def test_a_batch_a_tenth_of_the_usual_volume_is_held(engine, tmp_path, docs_dir):
    for n in range(3):
        ingest_files(engine, "survey", [survey_file(tmp_path / f"day{n}.csv", 50, start=100 * n)])
    held, report = _held(engine, "survey", survey_file(tmp_path / "short.csv", 5, start=900))
    assert held.reason == "volume: read_count 5, expected >= 13 (median of the last 3 inputs: 50)"
    assert count(engine, "core.feedback_item") == 150
    assert _failed_checks(engine, held.load_id) == {("volume", "error")}
    index = (docs_dir / "index.html").read_text(encoding="utf-8")  # the front page lists every run, each its page
    assert all(f"load-{n}" in index for n in range(1, 5))


def test_a_warning_publishes_and_is_recorded(engine, tmp_path):
    path = survey_file(tmp_path / "mostly.csv", 60, nps=lambda n: 11 if n == 7 else 8,
                       when=lambda n: "last tuesday" if n == 9 else "2026-10-02 09:00:00")
    [report] = ingest_files(engine, "survey", [path])
    assert (report.status, report.items, report.quarantined) == ("published", 58, 2)
    assert report.warnings == [
        "records rejected: reject_reason 2 of 60 rows (3.3%) not null, e.g. nps: 11 is greater than the maximum"
        " of 10 | occurred_at: 'last tuesday' in column 'submitted_at' is not an ISO 8601 date-time"
        " (at most 2% allowed)"]
    assert _failed_checks(engine, report.load_id) == {("records rejected", "warning")}


def test_a_handful_of_bad_rows_is_a_warning_not_a_hold(engine, tmp_path):
    [report] = ingest_files(engine, "survey", [survey_file(tmp_path / "tiny.csv", 4, nps=lambda n: 11)])
    assert (report.status, report.quarantined) == ("published", 4)
    with engine.connect() as conn:
        notes = conn.exec_driver_sql("SELECT DISTINCT note FROM raw.quality_result WHERE NOT success AND note IS NOT"
                                     " NULL").scalars().all()
    assert notes == ["4 rows, fewer than the 20 a rate is judged on: recorded as a warning"]


def test_a_run_loads_every_input_then_fails_and_reruns_add_nothing(engine, tmp_path):
    folder = tmp_path / "drop"
    folder.mkdir()
    survey_file(folder / "a_good.csv", 30)
    survey_file(folder / "b_bad.csv", 30, start=100, nps=lambda n: 12)
    survey_file(folder / "c_good.csv", 30, start=200)
    with pytest.raises(BatchesHeld) as info:
        ingest_files(engine, "survey", [folder])
    assert [r.status for r in info.value.reports] == ["published", "held", "published"]
    assert "b_bad.csv" in str(info.value) and "voc quality release" in str(info.value)
    assert count(engine, "core.feedback_item") == 60
    again = ingest_files(engine, "survey", [folder])  # a held file read again is no new batch, and stays held
    assert all(r.load_id is None for r in again)
    assert count(engine, "core.feedback_item") == 60


def test_a_load_that_stopped_before_the_gate_is_finished_by_the_next_run(engine, tmp_path, monkeypatch):
    path = survey_file(tmp_path / "s.csv", 30)

    def crash(self, load_id):
        raise RuntimeError("worker lost")

    with monkeypatch.context() as patch:
        patch.setattr(QualityGate, "judge", crash)
        with pytest.raises(RuntimeError, match="worker lost"):
            ingest_files(engine, "survey", [path], skip_unchanged=True)
    assert _batch(engine, 1)["status"] == "pending" and count(engine, "core.feedback_item") == 0
    assert count(engine, "raw.staged_item") == 30  # stored, not lost, not visible
    [skipped] = ingest_files(engine, "survey", [path], skip_unchanged=True)  # the pending batch is judged first
    assert skipped.skipped and _batch(engine, 1)["status"] == "published"
    assert count(engine, "core.feedback_item") == 30


def test_a_batch_released_late_never_overwrites_a_newer_version(engine, tmp_path):
    held, _ = _held(engine, "survey", survey_file(tmp_path / "v1.csv", 40, nps=lambda n: 11 if n % 4 == 0 else 2))
    ingest_files(engine, "survey", [survey_file(tmp_path / "v2.csv", 40, nps=lambda n: 9)])  # corrected export
    release(engine, held.load_id, by="reviewer")
    with engine.connect() as conn:
        scores = conn.exec_driver_sql("SELECT DISTINCT nps FROM core.feedback_item").scalars().all()
    assert scores == [9] and count(engine, "core.feedback_item") == 40


def test_the_same_content_under_two_ids_in_one_input_is_published_once(engine, tmp_path, monkeypatch):
    import voc.pipeline.load as load

    monkeypatch.setattr(load, "CHUNK", 5)  # the two copies land in different chunks of the input
    path = survey_file(tmp_path / "s.csv", 25, when=lambda n: "2026-10-02 10:00:00")
    path.write_text(path.read_text().replace("R12,2026-10-02 10:00:00,relationship,nps,en,C12,,1,,Comment R number 12",
                                             "R12,2026-10-02 10:00:00,relationship,nps,en,C1,,1,,Comment R number 1"))
    [report] = ingest_files(engine, "survey", [path])
    assert report.status == "published" and count(engine, "core.feedback_item") == 24
    with engine.connect() as conn:
        keys = conn.exec_driver_sql("SELECT source_item_key FROM core.feedback_item WHERE text = 'Comment R number 1'"
                                    ).scalars().all()
    assert keys == ["R1#comment"]  # the first in the input wins


def _connections(engine, settle: float = 5.0) -> int:
    """Other sessions on the test database (the engine's own pool is disposed first, so it holds none). A closed
    connection's server process exits a moment later, so wait up to ``settle`` seconds for the count to reach 0;
    a leaked idle connection stays and is counted."""
    engine.dispose()
    deadline = time.monotonic() + settle
    with engine.connect() as conn:
        while True:
            count = conn.exec_driver_sql("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                                         " AND pid <> pg_backend_pid()").scalar_one()
            if count == 0 or time.monotonic() > deadline:
                return count
            time.sleep(0.1)


def test_closing_the_gate_leaves_no_idle_connection_behind(engine, tmp_path):
    """Runner.close() disposes the SQL engine Great Expectations validated with, not a fresh one it creates: after
    a load (whose gate is closed when it is done) no session is left on the database. The garbage collector is
    off, so a pool nobody disposed would still be there."""
    assert _connections(engine) == 0
    gc.disable()
    try:
        for n in range(2):
            [report] = ingest_files(engine, "survey", [survey_file(tmp_path / f"s{n}.csv", 30, prefix=f"R{n}_")])
            assert report.status == "published"
            assert _connections(engine) == 0
    finally:
        gc.enable()
