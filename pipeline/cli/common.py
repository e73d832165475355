"""What every ``voc`` command shares: options, the warehouse engine, and failing with a clear message."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

import typer

DatabaseOpt = Annotated[str | None, typer.Option("--database-url", envvar="VOC_DATABASE_URL",
                                                 help="PostgreSQL URL; unset: the embedded server.",
                                                 show_envvar=True)]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON.")]


class Oversize(StrEnum):
    """The loader's oversize policies (load.OVERSIZE_POLICIES), as a command-line choice."""

    quarantine = "quarantine"
    truncate = "truncate"


def engine(url: str | None, *, upgrade: bool = True):
    """Return the warehouse engine, migrating it to the current schema first unless ``upgrade`` is False."""
    from voc.pipeline.db import DatabaseUrlError, get_engine
    from voc.pipeline.db.migrate import current_revision, head_revision
    from voc.pipeline.db.migrate import upgrade as do_upgrade

    try:
        eng = get_engine(url)
    except DatabaseUrlError as exc:  # a usage error: exit 2, one line, password hidden
        fail(str(exc))
    if upgrade and current_revision(eng) != head_revision():
        do_upgrade(eng)
    return eng


def fail(message: str, code: int = 2) -> None:
    """Print ``error: message`` on stderr and exit with ``code`` (2: bad input, 1: the run failed)."""
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code)
