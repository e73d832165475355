"""``voc demo``, ``voc sample``, ``voc publish`` and ``voc summary``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from voc.pipeline.cli.common import DatabaseOpt, JsonOpt, engine
from voc.pipeline.cli.ingest import print_reports

sample_app = typer.Typer(help="Generate realistic sample feedback files.", invoke_without_command=True)


def register(app: typer.Typer) -> None:
    """Add these commands to the root ``voc`` app."""
    app.command()(demo)
    app.command()(publish)
    app.command()(summary)
    app.add_typer(sample_app, name="sample")


def publish(database_url: DatabaseOpt = None, as_json: JsonOpt = False) -> None:
    """Bring the marts up to date and print the rows per layer."""
    from voc.pipeline.publish import publish as do_publish

    counts = do_publish(engine(database_url))
    typer.echo(json.dumps(counts, indent=2) if as_json else "\n".join(f"{k:<22} {v:>8,}" for k, v in counts.items()))


def summary(database_url: DatabaseOpt = None) -> None:
    """Print rows per layer, the sentiment mix, recent quarantine reasons and a few story rows."""
    from voc.pipeline.summary import render

    typer.echo(render(engine(database_url)))


@sample_app.callback()
def sample_scaled(
    ctx: typer.Context,
    items: Annotated[int | None, typer.Option(min=1, help="Feedback items to generate across all channels.")] = None,
    out: Annotated[Path, typer.Option(help="Folder to write the files into.")] = Path(".voc/bench-sample"),
    seed: Annotated[int, typer.Option()] = 42,
) -> None:
    """With --items N: write N items of multi-channel feedback for benchmarks (fixed seed, streamed)."""
    if ctx.invoked_subcommand is not None:
        return
    if items is None:
        typer.echo(ctx.get_help())
        raise typer.Exit(0)
    from voc.pipeline.bench.sample import generate

    for source, kind, path in generate(out, items, seed=seed):
        typer.echo(f"{source} ({kind}): {path}")


@sample_app.command("surveys")
def sample_surveys(
    out: Annotated[Path, typer.Option(help="Folder to write the exports into.")] = Path(".voc/sample"),
    responses: Annotated[int, typer.Option(min=1)] = 600,
    seed: Annotated[int, typer.Option()] = 7,
) -> None:
    """Write sample survey exports (fixed seed) with a few deliberately broken rows."""
    from voc.pipeline.sample import generate_surveys

    for source, (folder, mapping) in generate_surveys(out, responses=responses, seed=seed).items():
        typer.echo(f"{source}: {folder}" + (f" (mapping {mapping})" if mapping else ""))


def demo(
    out: Annotated[Path, typer.Option(help="Where the sample exports are written.")] = Path(".voc/sample"),
    exports: Annotated[Path, typer.Option(help="Where the CX extract is written.")] = Path("exports"),
    database_url: DatabaseOpt = None,
) -> None:
    """Generate the bundled multi-channel sample, run ingest, enrich, publish, trends and the CX extract."""
    from datetime import timedelta

    from voc.pipeline import trends
    from voc.pipeline.customers import load_crm_links, resolve_customers
    from voc.pipeline.db import libpq_dsn, resolve_url
    from voc.pipeline.enrich import enrich_pending
    from voc.pipeline.extract.report import write_extract
    from voc.pipeline.ingest import ingest_files
    from voc.pipeline.sample import DAYS, END, generate_all, generate_crm_links
    from voc.pipeline.summary import render

    eng = engine(database_url)
    typer.echo("== ingest")
    for source, kind, folder, mapping in generate_all(out):
        print_reports(ingest_files(eng, kind, [folder], source=source, mapping=mapping))
    typer.echo("== enrich")
    typer.echo(str(enrich_pending(eng)))
    typer.echo("== publish")
    links = load_crm_links(eng, generate_crm_links(out))
    typer.echo(f"{links} new identity links from the CRM export")
    typer.echo(str(resolve_customers(eng)))
    last_day = (END - timedelta(seconds=1)).date()
    built = trends.build_range(eng, last_day - timedelta(days=DAYS), last_day)
    typer.echo(f"complaint trends built for {len(built)} days ({sum(r.spikes for r in built)} spikes)")
    extract = write_extract(eng, last_day, exports)
    typer.echo(render(eng))
    typer.echo(f"\nCX extract for {last_day}:\n  {extract.csv_path}\n  {extract.html_path}")
    typer.echo(f"\nQuery it yourself:  psql \"{libpq_dsn(resolve_url(database_url))}\" "
               "-c 'select count(*) from mart.customer_story'")
