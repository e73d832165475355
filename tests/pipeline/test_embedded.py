"""Without VOC_DATABASE_URL, voc runs an embedded PostgreSQL under VOC_HOME, reuses it, and stops it."""

import os
import subprocess
import sys

import psycopg2

from voc.pipeline.db.embedded import SETTINGS
from voc.pipeline.db.migrate import head_revision

VOC = [sys.executable, "-m", "voc.pipeline.cli"]


def test_embedded_server_lifecycle(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "VOC_DATABASE_URL"}
    env["VOC_HOME"] = str(tmp_path / "home")
    run = lambda *a: subprocess.run([*VOC, *a], env=env, capture_output=True, text=True, timeout=120, check=True)  # noqa: E731
    try:
        assert f"revision {head_revision()}" in run("db", "upgrade").stdout
        dsn = run("db", "url").stdout.strip()
        assert str(tmp_path / "home" / "pgdata") in dsn.replace("%2F", "/")
        with psycopg2.connect(dsn) as conn, conn.cursor() as cur:
            cur.execute("SELECT count(*) FROM core.feedback_item")
            assert cur.fetchone() == (0,)
            cur.execute("SHOW max_wal_size")  # embedded.SETTINGS, applied without a restart
            assert cur.fetchone() == (SETTINGS["max_wal_size"],)
        conn.close()
        assert run("db", "url").stdout.strip() == dsn  # reused, same server
    finally:
        stopped = run("db", "stop").stdout
    assert "stopped" in stopped
    assert not (tmp_path / "home" / "pgdata" / "postmaster.pid").exists()
    assert "was not running" in run("db", "stop").stdout
