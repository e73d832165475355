"""``voc enrich`` (and the other NLP commands): tag feedback items in the company's common language."""

from __future__ import annotations

from typing import Annotated

import typer

from voc.pipeline.cli.common import DatabaseOpt, engine


def register(app: typer.Typer) -> None:
    """Add the NLP commands to the root ``voc`` app."""
    app.command()(enrich)


def enrich(
    batch_size: Annotated[int, typer.Option(min=1, help="Items claimed per transaction.")] = 1000,
    limit: Annotated[int | None, typer.Option(min=1, help="Stop after this many items.")] = None,
    database_url: DatabaseOpt = None,
) -> None:
    """Tag every item not yet enriched with the NLP pipeline."""
    from voc.pipeline.enrich import enrich_pending

    typer.echo(str(enrich_pending(engine(database_url), batch_size=batch_size, limit=limit)))
