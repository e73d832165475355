"""``voc quarantine list`` and ``replay``: rejected records are visible and load after a mapping fix."""

import json
import subprocess
import sys

from tests.helpers import count

VOC = [sys.executable, "-m", "voc.pipeline.cli"]


def _voc(*args, env):
    result = subprocess.run([*VOC, *args], env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, f"{result.stdout}\n{result.stderr}"
    return result.stdout


def test_list_then_replay_after_fixing_the_mapping(db_env, engine, tmp_path):
    path = tmp_path / "reviews.csv"
    path.write_text("id,when,stars,text\nR1,2026-10-01,4,Nice\nR2,2026-10-02,1,Broken on arrival\n"
                    "R3,not a date,2,Slow\n", encoding="utf-8")
    wrong = tmp_path / "wrong.yaml"
    wrong.write_text("columns: {id: id, occurred_at: date, rating: stars, text: text}\n", encoding="utf-8")
    _voc("ingest", "review", str(path), "--source", "store", "--mapping", str(wrong), env=db_env)
    assert count(engine, "raw.quarantine") == 3 and count(engine, "core.feedback_item") == 0

    listed = json.loads(_voc("quarantine", "list", "--json", env=db_env))
    assert {(r["source"], r["kind"], r["location"]) for r in listed} == \
        {("store", "review", f"reviews.csv:{n}") for n in (2, 3, 4)}
    assert {r["reason"] for r in listed} == {"occurred_at: column 'date' is missing or empty"}
    assert "reason:  occurred_at: column 'date' is missing or empty" in _voc("quarantine", "list", env=db_env)

    fixed = tmp_path / "fixed.yaml"
    fixed.write_text("columns: {id: id, occurred_at: when, rating: stars, text: text}\n", encoding="utf-8")
    out = _voc("quarantine", "replay", "--source", "store", "--mapping", str(fixed), env=db_env)
    assert "store: replayed 3, resolved 2, still quarantined 1" in out
    assert count(engine, "core.feedback_item") == 2
    still = json.loads(_voc("quarantine", "list", "--json", env=db_env))
    assert [(r["location"], r["reason"]) for r in still] == [
        ("reviews.csv:4", "occurred_at: 'not a date' in column 'when' is not a date-time")]
    assert len(json.loads(_voc("quarantine", "list", "--all", "--json", env=db_env))) == 4
    # replaying again changes nothing
    assert "resolved 0, still quarantined 1" in _voc("quarantine", "replay", "--source", "store", "--mapping",
                                                     str(fixed), env=db_env)
    assert count(engine, "core.feedback_item") == 2


def test_a_replay_whose_batch_the_quality_gate_holds_exits_3_and_loses_nothing(db_env, engine, tmp_path):
    """Replayed records that pass the mapping but fail a quality gate (here: every ticket id twice) are stored in
    raw and held, not published; the command says so and exits 3 (a gate held data), and after the batch is
    released a second replay marks the quarantined records resolved."""
    from tests.pipeline.quality.batches import ticket_file
    from voc.pipeline.ingest import ingest_files
    from voc.pipeline.quality import BatchesHeld

    path = ticket_file(tmp_path / "tickets.csv", [n for n in range(1, 16) for _ in (0, 1)])
    wrong = tmp_path / "wrong.yaml"
    wrong.write_text("columns: {occurred_at: Created}\n", encoding="utf-8")
    try:
        ingest_files(engine, "ticket", [path], source="desk", mapping=wrong)
    except BatchesHeld:
        pass  # a batch of nothing but rejects may be held too: it is not what this test is about
    assert count(engine, "raw.quarantine") == 30 and count(engine, "raw.record") == 0

    fixed = tmp_path / "fixed.yaml"
    fixed.write_text("columns: {occurred_at: Created at}\n", encoding="utf-8")
    replay = [*VOC, "quarantine", "replay", "--source", "desk", "--mapping", str(fixed)]
    done = subprocess.run(replay, env=db_env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 3, (done.stdout, done.stderr)
    error = done.stderr[done.stderr.index("error: "):]  # after the gate's own log line
    assert error.startswith("error: desk: the quality gate held 1 batch(es)") and "ids unique" in error, error
    assert "voc quality release" in done.stderr and "Traceback" not in done.stderr, done.stderr
    with engine.connect() as conn:
        [(load_id, status, loaded)] = conn.exec_driver_sql(
            "SELECT load_id, status, loaded_count FROM raw.load_batch WHERE location = 'quarantine replay of desk'"
        ).all()
    assert (status, loaded) == ("held", 30)
    assert count(engine, "raw.record") == 30 and count(engine, "core.feedback_item") == 0  # held, not lost
    assert len(json.loads(_voc("quarantine", "list", "--json", env=db_env))) == 30  # still open: not resolved

    _voc("quality", "release", str(load_id), "--by", "analyst", "--note", "duplicates are re-sent tickets",
         env=db_env)
    assert count(engine, "core.feedback_item") > 0
    assert "desk: replayed 30, resolved 30, still quarantined 0" in _voc(*replay[3:], env=db_env)
    assert json.loads(_voc("quarantine", "list", "--json", env=db_env)) == []


def test_oversize_records_replay_truncated_when_asked(db_env, engine, tmp_path):
    """A text over 50,000 characters is quarantined by default; ``replay --oversize truncate`` keeps it, flagged."""
    path = tmp_path / "long.jsonl"
    post = {"id": "1", "text": "late " * 12_000, "author_id": "9", "created_at": "2026-10-20T10:00:00Z"}
    path.write_text(json.dumps({"data": [post]}) + "\n", encoding="utf-8")
    _voc("ingest", "social", str(path), "--source", "x", env=db_env)
    [rejected] = json.loads(_voc("quarantine", "list", "--json", env=db_env))
    assert rejected["reason"].startswith("oversize text: 59,999 characters")
    assert "replayed 1, resolved 0, still quarantined 1" in _voc("quarantine", "replay", "--source", "x", env=db_env)
    out = _voc("quarantine", "replay", "--source", "x", "--oversize", "truncate", env=db_env)
    assert "x: replayed 1, resolved 1, still quarantined 0" in out, out
    with engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT length(text), is_truncated FROM core.feedback_item").one() == (50_000, True)
