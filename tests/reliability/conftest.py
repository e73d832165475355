"""Fixtures of the reliability suites: the scale, the ledger and its summary table, hypothesis settings, a
scaled sample for every channel, fresh databases, and a fork server that runs the pipeline in children."""

from __future__ import annotations

import itertools
import multiprocessing
import time

import pytest
from hypothesis import HealthCheck, settings
from hypothesis.database import DirectoryBasedExampleDatabase

from tests.helpers import REPO
from tests.reliability import summary
from tests.reliability.harness import make_sample, new_database, scale, spawn

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

_labels = itertools.count()


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


@pytest.fixture
def timed(ledger):
    """``with timed("suite"):`` adds the block's wall time to the suite's row."""
    from contextlib import contextmanager

    @contextmanager
    def block(suite: str):
        started = time.monotonic()
        try:
            yield
        finally:
            ledger.add(suite, seconds=time.monotonic() - started)

    return block


@pytest.fixture(scope="session")
def sample(tmp_path_factory):
    """The bundled sample, every channel cut to 6 x scale records plus its deliberately broken ones."""
    return make_sample(tmp_path_factory.mktemp("reliability-sample"), per_channel=6 * SCALE)


@pytest.fixture(scope="session")
def fresh_db(server_url, template_db):
    """A function returning the URL of a new, migrated, empty warehouse database."""
    return lambda: new_database(server_url, template_db, f"rel_{next(_labels)}")


@pytest.fixture(scope="session")
def forkserver():
    """A multiprocessing context whose children fork from a server that has the pipeline and tagger loaded."""
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload(["tests.reliability.preload"])
    return ctx


@pytest.fixture(scope="session")
def baseline(sample, fresh_db, forkserver, tmp_path_factory):
    """An uninterrupted run of every phase on the sample: its snapshot and the ticks at each phase end."""
    from tests.reliability.harness import dsn, snapshot
    from voc.pipeline.db import get_engine

    url = fresh_db()
    run_dir = tmp_path_factory.mktemp("baseline")
    result = spawn(forkserver, url, sample, run_dir)
    assert result["exitcode"] == 0, result
    engine = get_engine(url)
    snap = snapshot(engine)
    engine.dispose()
    return {"url": dsn(url), "snapshot": snap, "ticks": result["result"]["ticks"],
            "seconds": result["result"]["ended"] - result["result"]["started"], "exports": run_dir / "exports"}
