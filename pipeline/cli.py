"""The ``voc`` command line: database, ingestion, enrichment, publishing and the demo.

Exit codes: 0 success, 1 the run failed (database or pipeline error), 2 bad input or usage.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer
from voc.pipeline import __version__

app = typer.Typer(help="voc-pipeline: every listening pipe in one customer story.", no_args_is_help=True,
                  pretty_exceptions_enable=False)
db_app = typer.Typer(help="The warehouse: migrations, connection URL, embedded server.", no_args_is_help=True)
ingest_app = typer.Typer(help="Load feedback files into raw and core.", no_args_is_help=True)
sample_app = typer.Typer(help="Generate realistic sample feedback files.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(ingest_app, name="ingest")
app.add_typer(sample_app, name="sample")

DatabaseOpt = Annotated[str | None, typer.Option("--database-url", envvar="VOC_DATABASE_URL",
                                                 help="PostgreSQL URL; unset: the embedded server.",
                                                 show_envvar=True)]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON.")]


def _engine(url: str | None, *, upgrade: bool = True):
    from voc.pipeline.db import get_engine
    from voc.pipeline.db.migrate import current_revision, head_revision
    from voc.pipeline.db.migrate import upgrade as do_upgrade

    engine = get_engine(url)
    if upgrade and current_revision(engine) != head_revision():
        do_upgrade(engine)
    return engine


def _fail(message: str, code: int = 2) -> None:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code)


@app.callback()
def _root(version: Annotated[bool, typer.Option("--version", help="Show the version and exit.")] = False) -> None:
    if version:
        typer.echo(f"voc-pipeline {__version__}")
        raise typer.Exit(0)


@db_app.command("upgrade")
def db_upgrade(database_url: DatabaseOpt = None) -> None:
    """Apply pending migrations and re-create the views (safe to run twice)."""
    from voc.pipeline.db.migrate import upgrade

    revision = upgrade(_engine(database_url, upgrade=False))
    typer.echo(f"warehouse at revision {revision}")


@db_app.command("url")
def db_url(database_url: DatabaseOpt = None) -> None:
    """Print the warehouse DSN for psql and BI tools (starts the embedded server if needed)."""
    from voc.pipeline.db import libpq_dsn, resolve_url

    typer.echo(libpq_dsn(resolve_url(database_url)))


@db_app.command("stop")
def db_stop() -> None:
    """Stop the embedded PostgreSQL server (its data stays under VOC_HOME)."""
    from voc.pipeline.db import embedded

    typer.echo("embedded PostgreSQL stopped" if embedded.stop() else "embedded PostgreSQL was not running")


@ingest_app.command("survey")
def ingest_survey(
    paths: Annotated[list[Path], typer.Argument(help="Survey exports (.csv, .json, .jsonl) or folders of them.")],
    source: Annotated[str, typer.Option(help="Source name recorded with every item.")] = "surveys",
    mapping: Annotated[
        Path | None, typer.Option(help="Column-mapping YAML; the default fits a typical NPS/CSAT export.")
    ] = None,
    database_url: DatabaseOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Load survey exports: valid rows to core, rejected rows to quarantine, with counts per file."""
    from voc.pipeline.connectors.mapping import MappingError
    from voc.pipeline.ingest import ingest_surveys

    try:
        reports = ingest_surveys(_engine(database_url), paths, source=source, mapping=mapping)
    except (MappingError, FileNotFoundError, ValueError) as exc:
        _fail(str(exc))
    _print_reports(reports, as_json)


def _print_reports(reports, as_json: bool) -> None:
    if as_json:
        typer.echo(json.dumps([r.as_dict() for r in reports], indent=2))
        return
    for report in reports:
        typer.echo(str(report))
    if not reports:
        typer.echo("no files found")


@app.command()
def enrich(
    batch_size: Annotated[int, typer.Option(min=1, help="Items claimed per transaction.")] = 1000,
    limit: Annotated[int | None, typer.Option(min=1, help="Stop after this many items.")] = None,
    database_url: DatabaseOpt = None,
) -> None:
    """Tag every item not yet enriched with the NLP pipeline."""
    from voc.pipeline.enrich import enrich_pending

    typer.echo(str(enrich_pending(_engine(database_url), batch_size=batch_size, limit=limit)))


@app.command()
def publish(database_url: DatabaseOpt = None, as_json: JsonOpt = False) -> None:
    """Bring the marts up to date and print the rows per layer."""
    from voc.pipeline.publish import publish as do_publish

    counts = do_publish(_engine(database_url))
    typer.echo(json.dumps(counts, indent=2) if as_json else "\n".join(f"{k:<22} {v:>8,}" for k, v in counts.items()))


@app.command()
def summary(database_url: DatabaseOpt = None) -> None:
    """Print rows per layer, the sentiment mix, recent quarantine reasons and a few story rows."""
    from voc.pipeline.summary import render

    typer.echo(render(_engine(database_url)))


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


@app.command()
def demo(
    out: Annotated[Path, typer.Option(help="Where the sample exports are written.")] = Path(".voc/sample"),
    database_url: DatabaseOpt = None,
) -> None:
    """Generate the bundled sample, run ingest, enrich and publish, and print a summary."""
    from voc.pipeline.enrich import enrich_pending
    from voc.pipeline.ingest import ingest_surveys
    from voc.pipeline.publish import publish as do_publish
    from voc.pipeline.sample import generate_surveys
    from voc.pipeline.summary import render

    engine = _engine(database_url)
    typer.echo("== ingest")
    for source, (folder, mapping) in generate_surveys(out).items():
        _print_reports(ingest_surveys(engine, [folder], source=source, mapping=mapping), False)
    typer.echo("== enrich")
    typer.echo(str(enrich_pending(engine)))
    typer.echo("== publish")
    do_publish(engine)
    typer.echo(render(engine))
    from voc.pipeline.db import libpq_dsn, resolve_url

    typer.echo(f"\nQuery it yourself:  psql \"{libpq_dsn(resolve_url(database_url))}\" "
               "-c 'select count(*) from mart.customer_story'")


def main() -> None:
    """Console-script entry point: run the CLI and turn database errors into exit code 1."""
    from psycopg2 import OperationalError as PgOperationalError
    from sqlalchemy.exc import OperationalError

    try:
        app()
    except (OperationalError, PgOperationalError) as exc:
        typer.echo(f"error: cannot reach the warehouse: {str(exc).splitlines()[0]}", err=True)
        sys.exit(1)


if __name__ == "__main__":
    main()
