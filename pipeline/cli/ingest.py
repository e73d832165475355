"""``voc ingest``: load feedback files into raw and core, with counts per file."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from voc.pipeline.cli.common import DatabaseOpt, JsonOpt, engine, fail

app = typer.Typer(help="Load feedback files into raw and core.", no_args_is_help=True)


@app.command("survey")
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
        reports = ingest_surveys(engine(database_url), paths, source=source, mapping=mapping)
    except (MappingError, FileNotFoundError, ValueError) as exc:
        fail(str(exc))
    print_reports(reports, as_json)


def print_reports(reports, as_json: bool = False) -> None:
    """Print one line per load report, or all of them as JSON."""
    if as_json:
        typer.echo(json.dumps([r.as_dict() for r in reports], indent=2))
        return
    for report in reports:
        typer.echo(str(report))
    if not reports:
        typer.echo("no files found")
