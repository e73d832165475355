"""SIGKILL the pipeline at random points of ingest, enrichment and the mart refresh; a plain re-run must give
exactly the warehouse an uninterrupted run gives: every item once, enriched once, same counts and checksums.

Most kill points are database operations (the child kills itself just before or just after its N-th
``execute`` or ``commit``, N drawn within a phase of the uninterrupted run; a kill in enrichment or the
marts starts from the warehouse as the uninterrupted run left it when that phase began), the rest a
timer (the parent kills the child at a random moment of a whole run, wherever it is: parsing, tagging,
writing the extract). The re-run is always the whole pipeline.
``VOC_RELIABILITY_SEED`` replays a run's choice of points.
"""

from __future__ import annotations

import csv
import random
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from tests.reliability.harness import PHASES, compare, explain, restore_state, scale, seed, snapshot, spawn
from voc.pipeline.db import get_engine

SUITE = "crash: SIGKILL + re-run"
DAY = "2026-10-31"


def _kill_points(baseline: dict, rng: random.Random) -> list[tuple[str, str, float]]:
    """(phase, how, where): 20 x scale database points (7 in ingest, 7 in enrichment, 6 in the marts, per scale;
    ``where`` counts from the start of the phase) and 1 x scale timer point (seconds into a whole run)."""
    points = []
    for phase, n in (("ingest", 7), ("enrich", 7), ("marts", 6)):
        points += [(phase, "tick", rng.randint(1, baseline["phase_ticks"][phase])) for _ in range(n * scale())]
    points += [("any", "timer", round(rng.uniform(0.02, baseline["seconds"] + 0.3), 3)) for _ in range(scale())]
    return points


def _trend_csv(exports: Path) -> list[list[str]]:
    """The extract's CSV without its built_at column (the time the trend day was built differs per run)."""
    path = exports / "complaint_trends" / DAY / f"complaint_trends_{DAY}.csv"
    with path.open(newline="", encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    drop = rows[0].index("built_at")
    return sorted(row[:drop] + row[drop + 1:] for row in rows)


PROGRESS = ("raw.record", "core.feedback_item", "core.enrichment", "core.customer_identifier",
            "mart.complaint_trend_daily")


def _progress(engine) -> tuple[int, ...]:
    with engine.connect() as conn:
        return tuple(conn.exec_driver_sql(f"SELECT count(*) FROM {t}").scalar_one() for t in PROGRESS)


def _progress_of(snap: dict) -> tuple[int, ...]:
    return tuple(len(snap[t]) for t in PROGRESS)


def _case(point, *, baseline, sample, fresh_db, forkserver, root: Path) -> dict:
    with fresh_db() as url:
        return _run_case(point, url, baseline=baseline, sample=sample, forkserver=forkserver, root=root)


def _run_case(point, url, *, baseline, sample, forkserver, root: Path) -> dict:
    phase, how, where = point
    case_dir = root / f"{phase}-{how}-{where}"
    exports = case_dir / "exports"
    if how == "tick":  # a kill in a later phase starts from the warehouse as that phase starts
        if phase in baseline["states"]:
            restore_state(url, baseline["states"][phase])
        crashed = spawn(forkserver, url, sample, case_dir / "crash", kill_at=int(where), exports=str(exports),
                        phases=PHASES[PHASES.index(phase):])
    else:
        crashed = spawn(forkserver, url, sample, case_dir / "crash", kill_after=where, exports=str(exports))
    engine = get_engine(url)
    try:
        partial = _progress(engine) != _progress_of(baseline["snapshot"])
        rerun = spawn(forkserver, url, sample, case_dir / "rerun", exports=str(exports))
        snap = snapshot(engine)
    finally:
        engine.dispose()
    lost, duplicates, differing = compare(baseline["snapshot"], snap)
    leftovers = sorted(p.name for p in (exports / "complaint_trends").iterdir()
                       if ".tmp-" in p.name or ".old-" in p.name)
    return {"point": point, "killed": crashed["exitcode"] == -9, "partial": partial, "crash_exit": crashed["exitcode"],
            "rerun_exit": rerun["exitcode"], "rerun_error": rerun["error"], "lost": lost, "duplicates": duplicates,
            "differing": differing, "explain": [explain(baseline["snapshot"], snap, t) for t in differing],
            "leftovers": leftovers, "csv_equal": _trend_csv(exports) == _trend_csv(baseline["exports"])}


def test_sigkill_at_random_points_then_a_plain_rerun_equals_an_uninterrupted_run(
        baseline, sample, fresh_db, forkserver, tmp_path, ledger):
    chosen = seed()
    points = _kill_points(baseline, random.Random(chosen))
    assert len([p for p in points if p[1] == "tick"]) >= 20
    with ThreadPoolExecutor(max_workers=2) as pool:
        outcomes = list(pool.map(lambda p: _case(p, baseline=baseline, sample=sample, fresh_db=fresh_db,
                                                 forkserver=forkserver, root=tmp_path), points))
    for outcome in outcomes:
        ledger.add(SUITE, cases=1, faults=int(outcome["killed"]), lost=outcome["lost"],
                   duplicates=outcome["duplicates"])
    where = f"(VOC_RELIABILITY_SEED={chosen})"
    ticks = [o for o in outcomes if o["point"][1] == "tick"]
    assert all(o["killed"] for o in ticks), [(o["point"], o["crash_exit"]) for o in ticks if not o["killed"]]
    assert {o["point"][0] for o in ticks if o["killed"]} == {"ingest", "enrich", "marts"}
    assert sum(o["partial"] for o in ticks) >= len(ticks) // 2  # the kills land mid-run, not after it
    bad = [o for o in outcomes if o["rerun_exit"] != 0 or o["lost"] or o["duplicates"] or o["differing"]
           or o["leftovers"] or not o["csv_equal"]]
    assert not bad, f"{where} " + "\n".join(
        f"{o['point']}: re-run exit {o['rerun_exit']} {o['rerun_error'] and o['rerun_error']['message']}; "
        f"lost {o['lost']}, duplicates {o['duplicates']}, leftovers {o['leftovers']}, csv equal {o['csv_equal']}\n"
        + "\n".join(o["explain"]) for o in bad)


def test_the_comparison_sees_a_lost_item_a_doubled_item_and_a_changed_row(baseline):
    expected = baseline["snapshot"]
    items = expected["core.feedback_item"]
    lost = {**expected, "core.feedback_item": items[1:]}
    doubled = {**expected, "core.feedback_item": [*items, items[0]]}
    changed = {**expected, "mart.complaint_trend_daily": [r.replace('"item_count": 1', '"item_count": 2')
                                                          for r in expected["mart.complaint_trend_daily"]]}
    assert compare(expected, expected) == (0, 0, [])
    assert compare(expected, lost)[:2] == (1, 0)
    assert compare(expected, doubled)[:2] == (0, 1)
    assert compare(expected, changed)[2] == ["mart.complaint_trend_daily"]
