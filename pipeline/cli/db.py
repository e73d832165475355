"""``voc db``: migrations, the connection URL, the embedded server, analyst logins."""

from __future__ import annotations

from typing import Annotated

import typer

from voc.pipeline.cli.common import DatabaseOpt, engine, fail

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


@app.command("grant-analyst")
def db_grant_analyst(
    name: Annotated[str, typer.Argument(help="Login name to create or update.")],
    password_env: Annotated[str | None, typer.Option(
        help="Environment variable holding the password (kept out of shell history); else one is generated.")] = None,
    database_url: DatabaseOpt = None,
) -> None:
    """Create a login that can read the marts and nothing with raw personal data, and write nothing."""
    import os

    from voc.pipeline.db.roles import grant_analyst

    password = None
    if password_env:
        password = os.environ.get(password_env)
        if not password:
            fail(f"environment variable {password_env} is not set")
    generated = grant_analyst(engine(database_url), name, password)
    typer.echo(f"login {name} can read schema mart (role voc_analyst)")
    if not password:
        typer.echo(f"generated password (shown once, store it now): {generated}")


@app.command("dictionary")
def db_dictionary(
    out: Annotated[str | None, typer.Option(help="Write to this file instead of standard output.")] = None,
    database_url: DatabaseOpt = None,
) -> None:
    """Print the analysts' data dictionary (every mart table and column, from COMMENT ON)."""
    from pathlib import Path

    from voc.pipeline.db.dictionary import render

    text = render(engine(database_url))
    if out:
        Path(out).write_text(text + "\n", encoding="utf-8")
        typer.echo(f"wrote {out}")
    else:
        typer.echo(text)
