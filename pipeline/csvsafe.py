"""CSV files that are safe to open in a spreadsheet: every CSV the product writes goes through here.

A text cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is read by Excel,
LibreOffice and Google Sheets as a formula (CSV injection, OWASP). Such cells get a leading
apostrophe, which spreadsheets show as text and hide. Only text is changed: numbers, dates and
booleans are written as they are, so ``-0.6`` stays a number a spreadsheet can sum.
"""

from __future__ import annotations

import csv
import os
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, TextIO

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: Any) -> Any:
    """Return ``value`` with a leading apostrophe if it is text a spreadsheet would run as a formula."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def safe_row(row: Iterable[Any]) -> list[Any]:
    """Return the cells of ``row`` neutralised."""
    return [neutralise(cell) for cell in row]


class SafeWriter:
    """A ``csv.writer`` whose header and rows are neutralised before they are written."""

    def __init__(self, stream: TextIO, **fmtparams: Any) -> None:
        self._writer = csv.writer(stream, **fmtparams)

    def writerow(self, row: Iterable[Any]) -> Any:
        return self._writer.writerow(safe_row(row))

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        for row in rows:
            self.writerow(row)


def write_csv(path: str | os.PathLike[str], columns: Sequence[str], rows: Iterable[Mapping[str, Any]]) -> int:
    """Write ``rows`` (mappings keyed by ``columns``) to ``path`` as UTF-8 CSV with a header; return the row count.

    ``None`` is written as an empty cell.
    """
    written = 0
    with Path(path).open("w", newline="", encoding="utf-8") as stream:
        writer = SafeWriter(stream)
        writer.writerow(columns)
        for row in rows:
            writer.writerow("" if row[c] is None else row[c] for c in columns)
            written += 1
    return written
