"""``voc quality``: run the data-quality gates, see their results, release a held batch after review.

Exit codes: 0 every check passed (warnings allowed), 1 the run failed (database, a check could not
run), 2 bad input or usage, 3 a gate failed: a batch is held, or an error-level check on the core items
or a trend day failed. ``voc ingest`` itself exits 2 when the gate holds one of its inputs.
"""

from __future__ import annotations

import getpass
import json
from datetime import datetime
from typing import Annotated

import typer

from voc.pipeline.cli.common import DatabaseOpt, JsonOpt, engine, fail

app = typer.Typer(help="Data-quality gates: check batches, core items and trend days; results; release.",
                  no_args_is_help=True)

GATE_FAILED = 3


def _verdict_line(v) -> str:
    head = f"load {v.load_id} {v.source} {v.location}: {v.status}"
    if v.status == "held":
        return f"{head}: {v.reason}"
    if not v.judged:
        return f"{head} (already judged)"
    extra = f", {v.items} items to core" if v.items else ""
    warns = f"; {len(v.warnings)} warning(s): " + "; ".join(v.warnings) if v.warnings else ""
    return head + extra + warns


@app.command("check")
def check(
    batches: Annotated[list[int] | None, typer.Argument(help="Batch (load) ids to check.", show_default=False)] = None,
    all_pending: Annotated[bool, typer.Option("--all-pending", help="Judge every pending batch.")] = False,
    core: Annotated[bool, typer.Option("--core", help="Check the core items after enrichment.")] = False,
    since: Annotated[datetime | None, typer.Option(help="With --core: only items loaded or enriched since then.",
                                                   show_default=False)] = None,
    trend_day: Annotated[datetime | None, typer.Option("--trend-day", formats=["%Y-%m-%d"], show_default=False,
                                                       help="Check one day of mart.complaint_trend_daily.")] = None,
    database_url: DatabaseOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Run the gates. A pending batch is published or held; a judged batch is checked again, its status unchanged."""
    from voc.pipeline.quality import QualityGate, QualityGateError, check_core_items, check_trend_day

    if not (batches or all_pending or core or trend_day):
        fail("name batches to check, or use --all-pending, --core or --trend-day")
    if since is not None and not core:
        fail("--since applies to --core")
    eng = engine(database_url)
    verdicts, failures, runs = [], [], {}
    with QualityGate(eng) as gate:
        try:
            if all_pending:
                verdicts += gate.finish_pending()
            for load_id in batches or []:
                status = _status(eng, load_id)
                verdicts.append(gate.judge(load_id) if status == "pending" else gate.recheck(load_id))
        except LookupError as exc:
            fail(str(exc))
        for name, call in (("core", (lambda: check_core_items(eng, since=since, gate=gate)) if core else None),
                           ("trend_day", (lambda: check_trend_day(eng, trend_day.date(), gate=gate))
                            if trend_day else None)):
            if call is None:
                continue
            try:
                run = call()
                runs[name] = {"passed": True, "warnings": [r.describe() for r in run.failed],
                              "data_docs_page": run.data_docs_page}
            except QualityGateError as exc:
                failures.append(str(exc))
                runs[name] = {"passed": False, "error": str(exc)}
    held = [v for v in verdicts if v.status == "held"]
    failing = [v for v in verdicts if v.status != "held" and v.reason]  # a published batch that fails a re-check
    if as_json:
        typer.echo(json.dumps({"batches": [v.as_dict() for v in verdicts], **runs}, indent=2, default=str))
    else:
        for v in verdicts:
            typer.echo(_verdict_line(v))
        if all_pending and not verdicts:
            typer.echo("no pending batches")
        for name, result in runs.items():
            if result["passed"]:
                typer.echo(f"{name}: passed" + (f"; warnings: {'; '.join(result['warnings'])}"
                                                 if result["warnings"] else ""))
    for message in failures:
        typer.echo(f"error: {message}", err=True)
    if held:
        typer.echo(f"error: {len(held)} batch(es) held; see `voc quality results {held[0].load_id}`, release "
                   "after review with `voc quality release`", err=True)
    if failing:
        typer.echo(f"error: {len(failing)} published batch(es) fail a re-check", err=True)
    if held or failing or failures:
        raise typer.Exit(GATE_FAILED)


def _status(eng, load_id: int) -> str:
    with eng.connect() as conn:
        status = conn.exec_driver_sql("SELECT status FROM raw.load_batch WHERE load_id = %s", (load_id,)).scalar()
    if status is None:
        fail(f"no batch {load_id} in raw.load_batch")
    return status


@app.command("release")
def release_cmd(
    batches: Annotated[list[int], typer.Argument(help="Held batch (load) ids to publish.", show_default=False)],
    by: Annotated[str | None, typer.Option(help="Who reviewed it (default: the current user).")] = None,
    note: Annotated[str | None, typer.Option(help="Why it may be published.")] = None,
    database_url: DatabaseOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Publish held batches after review: their staged items go to core and the marts; the reason is kept."""
    from voc.pipeline.quality import QualityGateError, release

    eng = engine(database_url)
    reviewer = by or getpass.getuser()
    done = []
    for load_id in batches:
        try:
            done.append(release(eng, load_id, by=reviewer, note=note))
        except (LookupError, QualityGateError) as exc:
            fail(str(exc))
    if as_json:
        typer.echo(json.dumps([v.as_dict() for v in done], indent=2, default=str))
        return
    for v in done:
        typer.echo(f"load {v.load_id} {v.source} {v.location}: released by {reviewer}, {v.items} items published")


RESULTS_SQL = """
SELECT r.load_id, b.source, b.status, r.suite, r.check_name, r.column_name, r.severity, r.success,
       r.observed_value, r.unexpected_percent, r.sample_unexpected, r.note, r.data_docs_page, r.checked_at
FROM raw.quality_result AS r
LEFT JOIN raw.load_batch AS b ON b.load_id = r.load_id
WHERE r.run_id = (SELECT run_id FROM raw.quality_result WHERE load_id = %(load)s ORDER BY checked_at DESC, result_id
                  DESC LIMIT 1)
ORDER BY r.success, r.severity, r.result_id
"""

BATCHES_SQL = """
SELECT b.load_id, b.source, b.location, b.status, b.held_reason, b.released_at, b.released_by,
       count(r.*) FILTER (WHERE NOT r.success AND r.severity = 'warning') AS warnings, max(r.data_docs_page) AS page
FROM raw.load_batch AS b
LEFT JOIN raw.quality_result AS r ON r.load_id = b.load_id
WHERE b.status <> 'published' OR b.checked_at IS NOT NULL
GROUP BY b.load_id
ORDER BY (b.status = 'held') DESC, b.load_id DESC
LIMIT %(limit)s
"""


@app.command("results")
def results(
    batch: Annotated[int | None, typer.Argument(help="A batch: every check of its latest run.",
                                                show_default=False)] = None,
    limit: Annotated[int, typer.Option(min=1, help="At most this many batches, held first.")] = 50,
    database_url: DatabaseOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Show held and recently checked batches, or every check of one batch, with the Data Docs page."""
    from voc.pipeline.quality.settings import data_docs_dir

    eng = engine(database_url)
    with eng.connect() as conn:
        if batch is None:
            rows = [dict(r) for r in conn.exec_driver_sql(BATCHES_SQL, {"limit": limit}).mappings()]
        else:
            rows = [dict(r) for r in conn.exec_driver_sql(RESULTS_SQL, {"load": batch}).mappings()]
            if not rows:
                fail(f"no quality results for batch {batch}")
    if as_json:
        typer.echo(json.dumps(rows, indent=2, default=str))
        return
    docs = data_docs_dir()
    if batch is None:
        if not rows:
            typer.echo("no batches checked yet")
        for r in rows:
            state = r["status"] + (f" (released by {r['released_by']})" if r["released_at"] else "")
            line = f"load {r['load_id']} {r['source']} {r['location']}: {state}"
            if r["status"] == "held" or r["released_at"]:
                line += f"\n    reason: {r['held_reason']}"
            if r["warnings"]:
                line += f"\n    {r['warnings']} warning(s)"
            typer.echo(line)
        return
    head = rows[0]
    typer.echo(f"load {batch} {head['source']}: {head['status']}, suite {head['suite']}, checked {head['checked_at']}")
    for r in rows:
        mark = "ok  " if r["success"] else ("FAIL" if r["severity"] == "error" else "warn")
        seen = r["observed_value"] if r["observed_value"] is not None else (
            f"{r['unexpected_percent']:.1f}% unexpected" if r["unexpected_percent"] is not None else "")
        sample = f" e.g. {r['sample_unexpected'][:3]}" if r["sample_unexpected"] and not r["success"] else ""
        note = f" ({r['note']})" if r["note"] else ""
        typer.echo(f"  {mark} {r['severity']:<7} {r['check_name']} [{r['column_name'] or '-'}]: {seen}{sample}{note}")
    if head["data_docs_page"]:
        typer.echo(f"Data Docs: {docs / head['data_docs_page']}")


@app.command("docs")
def docs_cmd() -> None:
    """Print where the Data Docs site is (open its index.html in a browser)."""
    from voc.pipeline.quality.settings import data_docs_dir

    index = data_docs_dir() / "index.html"
    if not index.exists():
        fail(f"no Data Docs yet at {index}: they are built when the first batch is checked", code=1)
    typer.echo(index.as_uri())
