"""The ``voc`` command as users run it: a real process, real exit codes, real PostgreSQL."""

import os
import re
import subprocess
import sys

import psycopg2
import pytest

VOC = [sys.executable, "-m", "voc.pipeline.cli"]


def voc(*args, env, cwd=None, check=True):
    result = subprocess.run([*VOC, *args], env=env, cwd=cwd, capture_output=True, text=True, timeout=300)
    if check and result.returncode != 0:
        raise AssertionError(f"voc {' '.join(args)} exited {result.returncode}:\n{result.stdout}\n{result.stderr}")
    return result


def _layer_counts(output: str) -> dict[str, int]:
    return {m[0]: int(m[1].replace(",", "")) for m in re.findall(r"^\s+((?:raw|core|mart)\.\w+)\s+([\d,]+)$",
                                                                 output, re.M)}


def test_demo_runs_end_to_end_and_twice_gives_the_same_tables(db_env, tmp_path):
    first = voc("demo", "--out", str(tmp_path / "sample"), "--exports", str(tmp_path / "exports"), env=db_env)
    counts = _layer_counts(first.stdout)
    assert counts["mart.customer_story"] == counts["core.feedback_item"] == counts["core.enrichment"] > 500
    assert counts["raw.quarantine"] == 13  # broken on purpose: 3 survey rows, 10 across the other channels
    assert counts["mart.complaint_trend_daily"] > 0
    assert (tmp_path / "exports" / "complaint_trends" / "2026-10-31" / "report.html").exists()
    assert re.search(r"surveys\s+3\s+surveys_nps_csat.csv:\d+: ", first.stdout)
    assert "Sentiment mix" in first.stdout
    second = voc("demo", "--out", str(tmp_path / "sample"), "--exports", str(tmp_path / "exports"), env=db_env)
    assert _layer_counts(second.stdout) == counts
    assert "loaded 0, duplicate 490, quarantined 3" in second.stdout


def test_db_url_prints_a_dsn_psql_accepts(db_env):
    dsn = voc("db", "url", env=db_env).stdout.strip()
    assert dsn.startswith("postgresql://")
    voc("db", "upgrade", env=db_env)
    with psycopg2.connect(dsn) as conn, conn.cursor() as cur:
        cur.execute("SELECT count(*) FROM mart.customer_story")
        assert cur.fetchone() == (0,)


def test_ingest_reports_counts_as_json(db_env, tmp_path):
    csv = tmp_path / "s.csv"
    csv.write_text("response_id,submitted_at,nps,comment\nA,2026-10-01,9,Nice\nB,2026-10-01,12,Bad score\n")
    out = voc("ingest", "survey", str(csv), "--source", "web_nps", "--json", env=db_env).stdout
    assert '"loaded": 1' in out and '"quarantined": 1' in out and '"source": "web_nps"' in out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["ingest", "survey", "/no/such/folder"], "/no/such/folder: no such file or folder"),
        (["ingest", "survey", ".", "--mapping", "/no/such.yaml"], "cannot read mapping file"),
    ],
)
def test_bad_input_exits_2_with_a_message(db_env, args, message):
    result = voc(*args, env=db_env, check=False)
    assert result.returncode == 2
    assert message in result.stderr


def test_unreachable_database_exits_1_without_leaking_the_password(tmp_path):
    env = {**os.environ, "VOC_DATABASE_URL": "postgresql://voc:s3cret-pw@127.0.0.1:1/voc"}
    result = voc("publish", env=env, check=False)
    assert result.returncode == 1
    assert "cannot reach the warehouse" in result.stderr
    assert "s3cret-pw" not in result.stderr + result.stdout


def test_help_everywhere():
    env = dict(os.environ)
    for args in ([], ["db"], ["ingest"], ["ingest", "survey"], ["enrich"], ["demo"], ["sample", "surveys"]):
        assert "Usage" in voc(*args, "--help", env=env).stdout
