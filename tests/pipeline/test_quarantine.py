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
