"""``voc quality`` as users run it: a held batch fails ``voc ingest``, is explained, and released."""

import subprocess
import sys

from tests.helpers import count
from tests.pipeline.quality.batches import survey_file

VOC = [sys.executable, "-m", "voc.pipeline.cli"]


def _voc(*args, env, code=0):
    result = subprocess.run([*VOC, *args], env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == code, f"voc {' '.join(args)}: {result.returncode}\n{result.stdout}\n{result.stderr}"
    return result


def test_held_batch_fails_the_ingest_is_listed_checked_and_released(db_env, engine, tmp_path, docs_dir):
    env = {**db_env, "VOC_DATA_DOCS_DIR": str(docs_dir)}
    path = survey_file(tmp_path / "nps.csv", 30, nps=lambda n: 11 if n % 3 == 0 else 9)
    ingest = _voc("ingest", "survey", str(path), env=env, code=3)
    assert "read " in ingest.stdout  # the load report is still shown
    assert "the quality gate held 1 batch(es)" in ingest.stderr and "voc quality release 1" in ingest.stderr
    assert count(engine, "core.feedback_item") == 0

    listed = _voc("quality", "results", env=env).stdout
    assert listed.startswith(f"load 1 surveys {path}: held\n    reason: scores within scales: nps 10 of 30 rows")
    shown = _voc("quality", "results", "1", env=env).stdout
    assert "FAIL error   scores within scales [nps]" in shown and "FAIL error   records rejected" in shown
    assert "warn warning records rejected" in shown and f"Data Docs: {docs_dir}" in shown

    again = _voc("quality", "check", "1", env=env, code=3)  # still failing, still held
    assert "load 1 surveys" in again.stdout and "held" in again.stdout
    released = _voc("quality", "release", "1", "--by", "qa", "--note", "checked", env=env).stdout
    assert released.strip() == f"load 1 surveys {path}: released by qa, 20 items published"
    assert count(engine, "core.feedback_item") == 20
    assert "is published, not held" in _voc("quality", "release", "1", env=env, code=2).stderr
    assert _voc("quality", "check", "--all-pending", env=env).stdout.strip() == "no pending batches"
    assert _voc("quality", "docs", env=env).stdout.strip() == (docs_dir / "index.html").as_uri()


def test_help_for_every_quality_command(db_env):
    for args in (["quality"], ["quality", "check"], ["quality", "release"], ["quality", "results"],
                 ["quality", "docs"]):
        assert "Usage" in _voc(*args, "--help", env=db_env).stdout
    assert "name batches to check" in _voc("quality", "check", env=db_env, code=2).stderr
