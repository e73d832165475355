"""``voc extract``: the CX team's daily complaint-trend extract (a CSV and an HTML report)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer

from voc.pipeline.cli.common import DatabaseOpt, engine


def register(app: typer.Typer) -> None:
    """Add ``voc extract`` to the root ``voc`` app."""
    app.command()(extract)


def extract(
    day: Annotated[datetime, typer.Option("--date", formats=["%Y-%m-%d"], show_default=False,
                                          help="Day to extract (UTC), YYYY-MM-DD.")],
    out: Annotated[Path, typer.Option(help="Folder the extract goes under, as complaint_trends/<date>/.",
                                      file_okay=False)] = Path("exports"),
    rebuild: Annotated[bool, typer.Option(help="Rebuild the trend rows of the day and the 28 days before it "
                                               "first, for feedback that arrived late.")] = False,
    database_url: DatabaseOpt = None,
) -> None:
    """Write a day's complaint-trend rows as CSV and a self-contained HTML report; a re-run replaces them.

    Trend rows the report needs that are not built yet (the day and the 28 days before it) are built first.
    """
    import sys

    from voc.pipeline import trends
    from voc.pipeline.extract.report import days_needed, write_extract

    eng = engine(database_url)
    to_build = days_needed(eng, day.date(), rebuild=rebuild)
    if to_build:
        with typer.progressbar(to_build, label=f"building {len(to_build)} trend day(s)", file=sys.stderr) as days:
            for built in days:
                trends.build_day(eng, built)
    result = write_extract(eng, day.date(), out)
    typer.echo(f"{result.day}: {result.rows} trend rows, {result.spikes} spikes ({len(to_build)} trend day(s) built)")
    typer.echo(f"  {result.csv_path}")
    typer.echo(f"  {result.html_path}")
    if not result.rows:
        typer.echo(f"warning: no feedback on {result.day}; the report says so. Was the day loaded and enriched?",
                   err=True)
