"""The ``voc`` command line. One module per command group; this one assembles them.

Exit codes: 0 success, 1 the run failed (database or pipeline error), 2 bad input or usage, 3 a quality gate held data.
"""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from voc.pipeline import __version__
from voc.pipeline.cli import bench, db, demo, extract, forget, identity, ingest, nlp, quality, quarantine

app = typer.Typer(help="voc-pipeline: every listening pipe in one customer story.", no_args_is_help=True,
                  pretty_exceptions_enable=False)
app.add_typer(db.app, name="db")
app.add_typer(ingest.app, name="ingest")
app.add_typer(quarantine.app, name="quarantine")
app.add_typer(quality.app, name="quality")
app.add_typer(identity.app, name="identity")
nlp.register(app)
demo.register(app)
extract.register(app)
forget.register(app)
bench.register(app)


@app.callback()
def _root(version: Annotated[bool, typer.Option("--version", help="Show the version and exit.")] = False) -> None:
    if version:
        typer.echo(f"voc-pipeline {__version__}")
        raise typer.Exit(0)


def main() -> None:
    """Console-script entry point: run the CLI; an unusable warehouse URL exits 2, database errors exit 1."""
    from psycopg2 import OperationalError as PgOperationalError
    from sqlalchemy.exc import OperationalError

    from voc.pipeline.db import DatabaseUrlError

    try:
        app()
    except DatabaseUrlError as exc:  # commands that resolve the URL without common.engine (voc db url, demo)
        typer.echo(f"error: {exc}", err=True)
        sys.exit(2)
    except (OperationalError, PgOperationalError) as exc:
        typer.echo(f"error: cannot reach the warehouse: {str(exc).splitlines()[0]}", err=True)
        sys.exit(1)
