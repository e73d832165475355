"""``voc ingest``: load feedback files or configured sources into raw and core, with counts per input.

``voc ingest KIND PATH...`` loads files ad hoc (KIND: survey, social, email, ticket, review);
``voc ingest --config sources.yaml [--source NAME]`` runs the configured sources incrementally.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from voc.pipeline.cli.common import DatabaseOpt, JsonOpt, Oversize, engine, fail
from voc.pipeline.quality.errors import BatchesHeld

app = typer.Typer(help="Load feedback files or configured sources into raw and core.", no_args_is_help=True)

PathsArg = Annotated[list[Path], typer.Argument(help="Export files or folders of them.")]
MappingOpt = Annotated[Path | None, typer.Option(help="Column-mapping YAML; the default fits a typical export.")]
OversizeOpt = Annotated[Oversize, typer.Option(
    "--oversize",
    help="A record over 1 MB or a text over 50,000 characters: quarantine it whole, or keep it with its text "
         "truncated to 50,000 characters and flagged is_truncated (the record as read stays in raw).")]


@app.callback(invoke_without_command=True)
def ingest_configured(
    ctx: typer.Context,
    config: Annotated[Path | None, typer.Option("--config", help="sources.yaml: run its sources.")] = None,
    source: Annotated[list[str] | None, typer.Option("--source", help="Run only this source (repeatable).")] = None,
    reread: Annotated[bool, typer.Option(help="Read files again even when their fingerprint is stored.")] = False,
    database_url: DatabaseOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Run the sources of a sources.yaml file; exit 1 if any source failed (the others still run)."""
    if ctx.invoked_subcommand is not None:
        if config is not None:
            fail("--config runs configured sources; do not combine it with a KIND command")
        return
    if config is None:
        typer.echo(ctx.get_help())
        raise typer.Exit(2)
    from voc.pipeline.connectors.columns import MappingError
    from voc.pipeline.ingest import run_source
    from voc.pipeline.sources import SourcesError, load_sources

    try:
        configs = load_sources(config)
    except SourcesError as exc:
        fail(str(exc))
    names = {c.name for c in configs}
    unknown = sorted(set(source or ()) - names)
    if unknown:
        fail(f"{config}: no source named {unknown[0]!r} (sources: {', '.join(sorted(names))})")
    selected = [c for c in configs if c.name in source] if source else [c for c in configs if c.enabled]
    eng = engine(database_url)
    results, failed = [], []
    for cfg in selected:
        try:
            reports = run_source(eng, cfg, skip_unchanged=not reread)
        except BatchesHeld as exc:  # loaded, but the gate held some batches: show everything, exit 3
            failed.append((cfg.name, str(exc), 3))
            reports = exc.reports
        except (SourcesError, MappingError, FileNotFoundError, ValueError) as exc:
            failed.append((cfg.name, str(exc), 2))
            reports = []
        except RuntimeError as exc:  # TicketApiError, ImapError: the source could not be read
            failed.append((cfg.name, str(exc), 1))
            reports = []
        results.append((cfg.name, reports))
        if not as_json:
            typer.echo(f"== {cfg.name} ({cfg.kind})")
            print_reports(reports)
    if as_json:
        typer.echo(json.dumps({"sources": {name: [r.as_dict() for r in reports] for name, reports in results},
                               "errors": {name: message for name, message, _ in failed}}, indent=2))
    for name, message, _ in failed:
        typer.echo(f"error: source {name}: {message}", err=True)
    if failed:
        raise typer.Exit(max(code for _, _, code in failed))


def _run(kind: str, paths, source, mapping, database_url, as_json, oversize: Oversize = Oversize.quarantine) -> None:
    from voc.pipeline.connectors.mapping import MappingError
    from voc.pipeline.ingest import ingest_files

    try:
        reports = ingest_files(engine(database_url), kind, paths, source=source, mapping=mapping,
                               oversize=Oversize(oversize).value)
    except BatchesHeld as exc:  # every input was loaded; the gate held some: show all reports, then fail
        print_reports(exc.reports, as_json)
        fail(f"{exc} (see `voc quality results`, release with `voc quality release BATCH`)", code=3)
    except (MappingError, FileNotFoundError, ValueError) as exc:
        fail(str(exc))
    print_reports(reports, as_json)


@app.command("survey")
def ingest_survey(
    paths: Annotated[list[Path], typer.Argument(help="Survey exports (.csv, .json, .jsonl) or folders of them.")],
    source: Annotated[str, typer.Option(help="Source name recorded with every item.")] = "surveys",
    mapping: MappingOpt = None,
    oversize: OversizeOpt = Oversize.quarantine,
    database_url: DatabaseOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Load survey exports: valid rows to core, rejected rows to quarantine, with counts per file."""
    _run("survey", paths, source, mapping, database_url, as_json, oversize)


@app.command("social")
def ingest_social(
    paths: PathsArg,
    source: Annotated[str, typer.Option(help="Source name recorded with every item.")] = "social",
    mapping: MappingOpt = None,
    oversize: OversizeOpt = Oversize.quarantine,
    database_url: DatabaseOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Load social posts: X API v2 search responses (.jsonl) or a CSV with a column mapping."""
    _run("social", paths, source, mapping, database_url, as_json, oversize)


@app.command("email")
def ingest_email(
    paths: PathsArg,
    source: Annotated[str, typer.Option(help="Source name recorded with every item.")] = "email",
    ignore_sender: Annotated[list[str] | None, typer.Option(
        help="Address or @domain whose mail is not feedback (the company's own replies); repeatable.")] = None,
    oversize: OversizeOpt = Oversize.quarantine,
    database_url: DatabaseOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Load e-mail: .eml files and mbox archives (IMAP mailboxes are configured in sources.yaml)."""
    from voc.pipeline.ingest import email_options

    _run("email", paths, source, email_options({"ignore_senders": ignore_sender}), database_url, as_json, oversize)


@app.command("ticket")
def ingest_ticket(
    paths: PathsArg,
    source: Annotated[str, typer.Option(help="Source name recorded with every item.")] = "tickets",
    mapping: MappingOpt = None,
    oversize: OversizeOpt = Oversize.quarantine,
    database_url: DatabaseOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Load a ticket CSV export (the ticket API is configured in sources.yaml)."""
    _run("ticket", paths, source, mapping, database_url, as_json, oversize)


@app.command("review")
def ingest_review(
    paths: PathsArg,
    source: Annotated[str, typer.Option(help="Source name recorded with every item.")] = "reviews",
    mapping: MappingOpt = None,
    oversize: OversizeOpt = Oversize.quarantine,
    database_url: DatabaseOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Load app-store or product reviews (.csv, .json, .jsonl)."""
    _run("review", paths, source, mapping, database_url, as_json, oversize)


def print_reports(reports, as_json: bool = False) -> None:
    """Print one line per load report, or all of them as JSON."""
    if as_json:
        typer.echo(json.dumps([r.as_dict() for r in reports], indent=2))
        return
    for report in reports:
        typer.echo(str(report))
    if not reports:
        typer.echo("no files found")
