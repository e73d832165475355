"""Stream rows from CSV, TSV or JSON Lines files, for ``voc tag`` and ``voc eval`` (no database needed).

Rows are read one at a time, so a file of a million rows needs the memory of one. ``Progress``
counts the bytes consumed, so a progress bar can show how far through the file the reader is.
"""

from __future__ import annotations

import codecs
import csv
import json
import sys
from collections.abc import Iterator
from pathlib import Path


class RecordError(ValueError):
    """The input file cannot be read as rows (bad JSON line, unknown format)."""


class Progress:
    """Bytes read so far from the input file (for a progress bar)."""

    def __init__(self, total: int) -> None:
        self.total, self.done = total, 0


def _lines(fh, progress: Progress) -> Iterator[str]:
    decoder = codecs.getincrementaldecoder("utf-8-sig")(errors="replace")
    for raw in fh:
        progress.done += len(raw)
        yield decoder.decode(raw)


def read_rows(path: str | Path, *, delimiter: str | None = None,
              progress: Progress | None = None) -> Iterator[dict]:
    """Yield each row of ``path`` as a dict: ``.jsonl``/``.ndjson`` as JSON objects, else as delimited text.

    The delimiter is a tab for ``.tsv`` files and a comma otherwise unless ``delimiter`` is given.
    """
    path = Path(path)
    progress = progress or Progress(path.stat().st_size)
    suffix = path.suffix.lower()
    with path.open("rb") as fh:
        lines = _lines(fh, progress)
        if suffix in (".jsonl", ".ndjson"):
            for number, line in enumerate(lines, start=1):
                if not line.strip():
                    continue
                try:
                    row = json.loads(line)
                except json.JSONDecodeError as exc:
                    raise RecordError(f"{path}:{number}: not a JSON object: {exc.msg}") from exc
                if not isinstance(row, dict):
                    raise RecordError(f"{path}:{number}: expected a JSON object per line")
                yield row
            return
        csv.field_size_limit(min(sys.maxsize, 2**31 - 1))
        yield from csv.DictReader(lines, delimiter=delimiter or ("\t" if suffix == ".tsv" else ","))


def columns_of(path: str | Path, *, delimiter: str | None = None) -> list[str]:
    """Return the column names of the first row (empty for an empty file)."""
    first = next(read_rows(path, delimiter=delimiter), None)
    return list(first) if first else []
