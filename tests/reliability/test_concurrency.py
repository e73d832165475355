"""Two processes at once - ingesting the same sources, enriching the same items, refreshing the same marts, or
running the whole pipeline side by side - leave exactly the warehouse one process leaves, and no item is
tagged twice (advisory locks per source, per trend day and for identity; ``FOR UPDATE SKIP LOCKED`` claims)."""

from __future__ import annotations

from tests.reliability.harness import compare, explain, finish, scale, snapshot, spawn
from voc.pipeline.db import get_engine

SUITE = "concurrency: 2 processes"


def _pair(forkserver, url, sample, run_dir, phases, exports):
    """Start two children on the same database, released together by one event; return both outcomes.

    Enrichment claims one item per transaction here, so both children really take turns (typically a
    30/17 split of the items), rather than the first one tagging everything before the second starts."""
    go = forkserver.Event()
    children = [spawn(forkserver, url, sample, run_dir / f"{phases[0]}-{n}", phases=phases, batch_size=1,
                      exports=str(exports), start_event=go, wait=False) for n in (1, 2)]
    go.set()
    return [finish(c["process"], c["run_dir"]) for c in children]


def _check(baseline, url, outcomes, label):
    assert [o["exitcode"] for o in outcomes] == [0, 0], (label, [o["error"] for o in outcomes])
    engine = get_engine(url)
    try:
        snap = snapshot(engine)
    finally:
        engine.dispose()
    lost, duplicates, differing = compare(baseline["snapshot"], snap)
    return lost, duplicates, differing, [explain(baseline["snapshot"], snap, t) for t in differing]


def test_two_processes_at_once_leave_what_one_leaves(baseline, sample, fresh_db, forkserver, tmp_path, ledger):
    items = len(baseline["snapshot"]["core.feedback_item"])
    results = []
    for round_ in range(scale()):
        # the same phase in two processes, phase after phase
        with fresh_db() as url:
            exports, tagged = tmp_path / f"r{round_}" / "exports", 0
            for phase in ("ingest", "enrich", "marts"):
                outcomes = _pair(forkserver, url, sample, tmp_path / f"r{round_}", (phase,), exports)
                assert [o["exitcode"] for o in outcomes] == [0, 0], (phase, [o["error"] for o in outcomes])
                if phase == "enrich":
                    tagged = sum(o["result"]["reports"]["enrich"]["enriched"] for o in outcomes)
            results.append(("phase by phase", tagged, *_check(baseline, url, outcomes, "phase by phase")))
        # two whole pipelines side by side
        with fresh_db() as url:
            outcomes = _pair(forkserver, url, sample, tmp_path / f"w{round_}", ("ingest", "enrich", "marts"),
                             tmp_path / f"w{round_}" / "exports")
            tagged = sum(o["result"]["reports"]["enrich"]["enriched"] for o in outcomes if o["result"])
            results.append(("whole pipelines", tagged, *_check(baseline, url, outcomes, "whole pipelines")))
    for _, tagged, lost, duplicates, _, _ in results:
        ledger.add(SUITE, cases=1, lost=lost, duplicates=duplicates + max(0, tagged - items))
    for label, tagged, lost, duplicates, differing, why in results:
        assert tagged == items, f"{label}: {tagged} items tagged for {items} items (tagged twice or not at all)"
        assert (lost, duplicates, differing) == (0, 0, []), (label, why)
