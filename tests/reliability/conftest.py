"""Fixtures of the reliability suites: the scale, the ledger and its summary table, hypothesis settings, a
scaled sample for every channel, fresh databases, and a fork server that runs the pipeline in children."""

from __future__ import annotations

import multiprocessing
import time

import pytest
from hypothesis import HealthCheck, settings
from hypothesis.database import DirectoryBasedExampleDatabase

from tests.helpers import REPO
from tests.reliability import summary
from tests.reliability.harness import Databases, make_sample, scale, spawn

SCALE = scale()
settings.register_profile(
    "voc-reliability",
    max_examples=25 * SCALE,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
    database=None if SCALE == 1 else DirectoryBasedExampleDatabase(str(REPO / ".voc" / "hypothesis")),
    print_blob=True,
    derandomize=SCALE == 1,  # CI runs the same examples every time; `make reliability` explores afresh
)
settings.load_profile("voc-reliability")

def pytest_terminal_summary(terminalreporter, exitstatus, config):
    if not summary.LEDGER.rows:
        return
    data = summary.LEDGER.as_dict()
    path = summary.write(data)
    terminalreporter.write_line("")
    for line in summary.render(data).splitlines():
        terminalreporter.write_line(line)
    terminalreporter.write_line(f"(written to {path.relative_to(REPO)})")


@pytest.fixture(scope="session")
def ledger() -> summary.Ledger:
    return summary.LEDGER


@pytest.fixture(autouse=True)
def clock(ledger):
    """Add each test's wall time (with its function-scoped fixtures) to the suites it recorded cases for."""
    before = {suite: row["cases"] for suite, row in ledger.rows.items()}
    started = time.monotonic()
    yield
    touched = [suite for suite, row in list(ledger.rows.items()) if row["cases"] != before.get(suite, 0)]
    for suite in touched:
        ledger.add(suite, seconds=(time.monotonic() - started) / len(touched))


@pytest.fixture(autouse=True)
def own_data_docs(tmp_path_factory, monkeypatch):
    """The quality gate writes a Data Docs page per batch and rebuilds the site's index from earlier runs: into a
    folder of each test (not the checkout's, where the index grows with every run and each batch gets slower)."""
    folder = tmp_path_factory.mktemp("data_docs")
    monkeypatch.setenv("VOC_DATA_DOCS_DIR", str(folder))
    return folder


@pytest.fixture(scope="session")
def sample(tmp_path_factory):
    """The bundled sample, every channel cut to 6 x scale records plus its deliberately broken ones; at CI size
    four inputs (survey CSV, X pages, a mailbox, a ticket export), at larger sizes all seven."""
    return make_sample(tmp_path_factory.mktemp("reliability-sample"), per_channel=6 * SCALE,
                       every_source=SCALE > 1)


@pytest.fixture(scope="session")
def fresh_db(server_url, template_db):
    """``with fresh_db() as url``: an empty, migrated warehouse database, emptied and reused afterwards."""
    return Databases(server_url, template_db)


@pytest.fixture
def db_url(fresh_db):
    """Overrides the root fixture: a pooled warehouse database, emptied afterwards rather than dropped (each
    dropped database costs PostgreSQL a checkpoint at the end of the run)."""
    with fresh_db() as url:
        yield url


@pytest.fixture(scope="session")
def forkserver():
    """A multiprocessing context whose children fork from a server that has the pipeline and tagger loaded."""
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload(["tests.reliability.preload"])
    return ctx


@pytest.fixture(scope="session")
def baseline(sample, fresh_db, forkserver, tmp_path_factory):
    """An uninterrupted run of the pipeline on the sample, one phase after the other: its snapshot, the database
    operations (ticks) of each phase, cumulative and per phase, and the warehouse as each later phase starts
    (so a crash test in enrichment need not ingest again before it gets there)."""
    from tests.reliability.harness import PHASES, dump_state, snapshot
    from voc.pipeline.db import get_engine

    run_dir = tmp_path_factory.mktemp("baseline")
    phase_ticks, states, seconds = {}, {}, 0.0
    with fresh_db() as url:
        for phase in PHASES:
            if phase != PHASES[0]:
                states[phase] = dump_state(url)
            result = spawn(forkserver, url, sample, run_dir / phase, phases=(phase,), exports=str(run_dir / "exports"))
            assert result["exitcode"] == 0, result
            phase_ticks[phase] = result["result"]["ticks"][phase]
            seconds += result["result"]["ended"] - result["result"]["started"]
        engine = get_engine(url)
        snap = snapshot(engine)
        engine.dispose()
    cumulative, total = {}, 0
    for phase in PHASES:
        total += phase_ticks[phase]
        cumulative[phase] = total
    return {"snapshot": snap, "ticks": cumulative, "phase_ticks": phase_ticks, "states": states,
            "seconds": seconds, "exports": run_dir / "exports"}
