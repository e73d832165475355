"""``voc forget``: erase one person from the warehouse, the quarantine and the CX extracts (a data-subject request)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from voc.pipeline.cli.common import DatabaseOpt, JsonOpt, engine, fail


def register(app: typer.Typer) -> None:
    """Add ``voc forget`` to the root ``voc`` app."""
    app.command()(forget)


def forget(
    customer: Annotated[str | None, typer.Option("--customer", metavar="KEY",
                                                 help="The person's customer key (mart.customer_story.customer_key).")]
    = None,
    email: Annotated[str | None, typer.Option("--email", metavar="ADDR", help="The person's e-mail address.")] = None,
    exports: Annotated[Path | None, typer.Option(
        help="Folder of the CX extracts (as for voc extract --out); the affected days are re-written.",
        file_okay=False)] = Path("exports"),
    reference: Annotated[str | None, typer.Option(
        help="Your reference for the request (a ticket id), kept in the audit log. Not the person's details.")]
    = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Show what would be erased; change nothing.")] = False,
    database_url: DatabaseOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Erase a person across raw, core, marts, the quarantine and the extracts; record an audit entry.

    Safe to run again: a second run finds nothing. Exit 1 if any trace of the person is left.
    """
    from voc.pipeline.forget import ForgetError
    from voc.pipeline.forget import forget as do_forget

    try:
        report = do_forget(engine(database_url), customer=customer, email=email,
                           exports=None if dry_run else exports, reference=reference, dry_run=dry_run)
    except ForgetError as exc:
        fail(str(exc))
    if as_json:
        typer.echo(json.dumps({"erasure_id": report.erasure_id, "found": report.found, "counts": report.counts,
                               "dry_run": dry_run, "exports_rewritten": [str(p) for p in report.exports_rewritten],
                               "traces": report.traces}, indent=2))
    else:
        typer.echo(("dry run, nothing changed: " if dry_run else "") + str(report))
    if report.traces:
        typer.echo("error: traces of the person remain in " + ", ".join(report.traces)
                   + "; erase them by hand and run voc forget again", err=True)
        raise typer.Exit(1)
