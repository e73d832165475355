"""``voc quarantine``: see the records that could not be loaded, and replay them after fixing a mapping."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from voc.pipeline.cli.common import DatabaseOpt, JsonOpt, Oversize, engine, fail

app = typer.Typer(help="List quarantined records and replay them after a fix.", no_args_is_help=True)


@app.command("list")
def list_cmd(
    source: Annotated[str | None, typer.Option(help="Only this source.")] = None,
    include_resolved: Annotated[bool, typer.Option("--all", help="Include records a replay has loaded.")] = False,
    limit: Annotated[int, typer.Option(min=1, help="At most this many rows, newest first.")] = 100,
    database_url: DatabaseOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Show quarantined records: source, location, reason and the start of the payload."""
    from voc.pipeline.quarantine import list_quarantine

    rows = list_quarantine(engine(database_url), source=source, include_resolved=include_resolved, limit=limit)
    if as_json:
        typer.echo(json.dumps(rows, indent=2, default=str))
        return
    if not rows:
        typer.echo("quarantine is empty")
        return
    for row in rows:
        state = f"  [resolved {row['resolved_at']:%Y-%m-%d %H:%M}]" if row["resolved_at"] else ""
        typer.echo(f"#{row['quarantine_id']} {row['source']} ({row['kind']}) {row['location']}{state}\n"
                   f"    reason:  {row['reason']}\n    payload: {row['payload'][:160]!r}")


@app.command("replay")
def replay_cmd(
    source: Annotated[str | None, typer.Option(help="Only this source (default: every source with rejects).")] = None,
    config: Annotated[Path | None, typer.Option("--config", help="sources.yaml: use the sources' mappings.")] = None,
    mapping: Annotated[Path | None, typer.Option(help="Column-mapping YAML to use (needs --source).")] = None,
    oversize: Annotated[Oversize | None, typer.Option(
        "--oversize", help="Oversize records: quarantine them again, or keep them with their text truncated "
                           "(default: the source's setting in --config, else quarantine).")] = None,
    database_url: DatabaseOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Run quarantined records through the current mapping again; those that pass are loaded and resolved."""
    from voc.pipeline.connectors.columns import MappingError
    from voc.pipeline.ingest import email_options, to_items_for
    from voc.pipeline.quality.errors import BatchesHeld
    from voc.pipeline.quarantine import replay, sources_with_quarantine
    from voc.pipeline.sources import SourcesError, load_sources

    if mapping is not None and source is None:
        fail("--mapping applies to one source: add --source NAME")
    try:
        configs = {c.name: c for c in load_sources(config)} if config else {}
    except SourcesError as exc:
        fail(str(exc))
    eng = engine(database_url)
    pending = [(s, k) for s, k in sources_with_quarantine(eng) if source is None or s == source]
    reports, held = [], []
    for name, kind in pending:
        cfg = configs.get(name)
        chosen = mapping or (cfg.mapping if cfg else None)
        if kind == "email":
            chosen = email_options(cfg.options if cfg else {})
        try:
            policy = oversize.value if oversize else (cfg.oversize if cfg else "quarantine")
            reports.append(replay(eng, source=name, kind=kind, to_items=to_items_for(kind, name, chosen),
                                  oversize=policy))
        except MappingError as exc:
            fail(str(exc))
        except BatchesHeld as exc:  # the replayed records loaded into raw, but the gate held their batch
            held.append(f"{name}: {exc}")
    if as_json:
        typer.echo(json.dumps([{**r.as_dict(), "load": r.load.as_dict() if r.load else None} for r in reports],
                              indent=2))
    else:
        for report in reports:
            typer.echo(str(report))
        if not reports and not held:
            typer.echo("nothing to replay")
    if held:
        fail("\n".join(held), code=3)  # each message already names its batch and the release command
