"""``voc ingest KIND PATH...`` for every channel, as users run it: a real process and real exit codes."""

import json
import os
import subprocess
import sys

import pytest

from voc.pipeline.sample import generate_all

VOC = [sys.executable, "-m", "voc.pipeline.cli"]


def _voc(*args, env, check=True):
    result = subprocess.run([*VOC, *args], env=env, capture_output=True, text=True, timeout=300)
    if check and result.returncode != 0:
        raise AssertionError(f"voc {' '.join(args)} exited {result.returncode}:\n{result.stdout}\n{result.stderr}")
    return result


def test_every_kind_loads_its_sample_folder(db_env, tmp_path):
    totals = {}
    for source, kind, folder, mapping in generate_all(tmp_path):
        args = ["ingest", kind, str(folder), "--source", source, "--json"]
        if mapping:
            args += ["--mapping", str(mapping)]
        reports = json.loads(_voc(*args, env=db_env).stdout)
        totals[source] = (sum(r["loaded"] for r in reports), sum(r["quarantined"] for r in reports))
    assert totals == {"surveys": (490, 3), "support_ces": (110, 0), "social_x": (195, 3), "support_email": (72, 3),
                      "zendesk_export": (91, 2), "reviews": (120, 2)}
    listed = _voc("quarantine", "list", "--source", "social_x", env=db_env).stdout
    assert "reason:  id: the post has no id" in listed


@pytest.mark.parametrize(("args", "message"), [
    (["ingest", "ticket", "tickets.json"], "unsupported ticket file type '.json'"),
    (["ingest", "social", "/no/such/folder"], "/no/such/folder: no such file or folder"),
    (["ingest", "review", ".", "--mapping", "/no/such.yaml"], "cannot read mapping file"),
    (["ingest", "--config", "/no/sources.yaml"], "cannot read the sources file"),
])
def test_bad_input_exits_2_with_a_message(db_env, tmp_path, args, message):
    (tmp_path / "tickets.json").write_text("{}")
    result = subprocess.run([*VOC, *args], env=db_env, cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert result.returncode == 2, result.stderr
    assert message in result.stderr


def test_help_for_every_kind():
    env = dict(os.environ)
    for args in (["ingest"], *(["ingest", k] for k in ("survey", "social", "email", "ticket", "review")),
                 ["quarantine"], ["quarantine", "list"], ["quarantine", "replay"]):
        assert "Usage" in _voc(*args, "--help", env=env).stdout


def test_oversize_truncate_keeps_a_long_text_flagged_and_says_so(db_env, engine, tmp_path):
    path = tmp_path / "long.jsonl"
    post = {"id": "1", "text": "late " * 12_000, "author_id": "9", "created_at": "2026-10-20T10:00:00Z"}
    path.write_text(json.dumps({"data": [post]}) + "\n", encoding="utf-8")
    out = _voc("ingest", "social", str(path), "--source", "x", "--oversize", "truncate", env=db_env).stdout
    assert "read 1, loaded 1, duplicate 0, quarantined 0 (1 items, 1 truncated to 50,000 characters)" in out, out
    with engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT is_truncated FROM core.feedback_item").scalar_one() is True
    bad = _voc("ingest", "social", str(path), "--oversize", "cut", env=db_env, check=False)
    assert bad.returncode == 2 and "--oversize" in bad.stderr
