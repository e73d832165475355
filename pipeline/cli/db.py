"""``voc db``: migrations, the connection URL, the embedded server."""

from __future__ import annotations

import typer
from voc.pipeline.cli.common import DatabaseOpt, engine

app = typer.Typer(help="The warehouse: migrations, connection URL, embedded server.", no_args_is_help=True)


@app.command("upgrade")
def db_upgrade(database_url: DatabaseOpt = None) -> None:
    """Apply pending migrations and re-create the views (safe to run twice)."""
    from voc.pipeline.db.migrate import upgrade

    revision = upgrade(engine(database_url, upgrade=False))
    typer.echo(f"warehouse at revision {revision}")


@app.command("url")
def db_url(database_url: DatabaseOpt = None) -> None:
    """Print the warehouse DSN for psql and BI tools (starts the embedded server if needed)."""
    from voc.pipeline.db import libpq_dsn, resolve_url

    typer.echo(libpq_dsn(resolve_url(database_url)))


@app.command("stop")
def db_stop() -> None:
    """Stop the embedded PostgreSQL server (its data stays under VOC_HOME)."""
    from voc.pipeline.db import embedded

    typer.echo("embedded PostgreSQL stopped" if embedded.stop() else "embedded PostgreSQL was not running")
