"""``voc bench``: the throughput benchmark (ingest, enrichment, marts) against the ceiling, the textbook way and dlt."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from voc.pipeline.cli.common import DatabaseOpt, fail


def register(app: typer.Typer) -> None:
    """Add ``voc bench`` to the root ``voc`` app."""
    app.command()(bench)


def bench(
    items: Annotated[int, typer.Option(min=100, help="Feedback items to generate and run through the pipeline.")]
    = 1_000_000,
    json_out: Annotated[Path | None, typer.Option("--json", metavar="OUT",
                                                  help="Write the full result (stages, references, ratios, "
                                                       "targets) as JSON to this file.")] = None,
    work_dir: Annotated[Path, typer.Option(help="Folder for the generated files, dlt's state and the embedded "
                                                "server's data.")] = Path(".voc/bench"),
    workers: Annotated[int, typer.Option(min=0, help="Processes for ingest and enrichment; 0: every core.")] = 0,
    batch_size: Annotated[int, typer.Option(min=1, help="Items each enrichment transaction claims.")] = 2_000,
    reference_items: Annotated[int, typer.Option(min=1, help="Texts the ceiling runs over (an even sample).")]
    = 100_000,
    textbook_items: Annotated[int, typer.Option(min=1, help="Items the textbook reference runs over.")] = 2_000,
    seed: Annotated[int, typer.Option(help="Seed of the generated sample.")] = 42,
    dlt: Annotated[bool, typer.Option("--dlt/--no-dlt", help="Measure dlt (needs the bench extra).")] = True,
    keep_database: Annotated[bool, typer.Option(help="Keep the run's database afterwards.")] = False,
    strict: Annotated[bool, typer.Option(help="Exit 3 when a target fails.")] = False,
    database_url: DatabaseOpt = None,
) -> None:
    """Generate N items, ingest, enrich and refresh the marts in a fresh database; print rates, ratios, targets.

    Exit codes: 0 the run finished (targets are reported, not enforced unless --strict), 1 it failed,
    3 a target failed under --strict.
    """
    from voc.pipeline.bench.run import BenchOptions, run, summary, write_json

    if json_out is not None and json_out.exists() and json_out.is_dir():
        fail(f"{json_out} is a folder: give a file name for --json")
    options = BenchOptions(items=items, work_dir=work_dir.resolve(), seed=seed, workers=workers,
                           batch_size=batch_size, reference_items=reference_items, textbook_items=textbook_items,
                           dlt=dlt, keep_database=keep_database, database_url=database_url)
    result = run(options, log=lambda message: typer.echo(message, err=True))
    if json_out is not None:
        write_json(result, json_out)
    typer.echo(summary(result))
    if strict and any(t["result"] == "FAIL" for t in result["targets"].values()):
        raise typer.Exit(3)
