"""``voc identity``: explicit CRM links and customer resolution across channels."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from voc.pipeline.cli.common import DatabaseOpt, engine, fail

app = typer.Typer(help="One customer across channels: CRM links and resolution.", no_args_is_help=True)


@app.command("link")
def identity_link(
    path: Annotated[Path, typer.Argument(help="CRM export: CSV whose columns are identifier kinds "
                                              "(customer_id, account_id, email, phone, handle, external_id).")],
    source: Annotated[str, typer.Option(help="Name recorded as the links' source.")] = "crm",
    database_url: DatabaseOpt = None,
) -> None:
    """Link the identifiers on each row of a CRM export (contact details stored hashed)."""
    from voc.pipeline.customers import load_crm_links

    try:
        added = load_crm_links(engine(database_url), path, source=source)
    except (OSError, ValueError) as exc:
        fail(str(exc))
    typer.echo(f"{added} new links from {path}")


@app.command("resolve")
def identity_resolve(database_url: DatabaseOpt = None) -> None:
    """Resolve every identifier to one customer key and re-key the feedback items."""
    from voc.pipeline.customers import resolve_customers

    typer.echo(str(resolve_customers(engine(database_url))))
