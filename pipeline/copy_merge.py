"""COPY rows into a temporary staging table, then merge them into their table with one INSERT ... SELECT.

A loader's idempotent insert (``INSERT ... ON CONFLICT DO NOTHING RETURNING``) sent as ``execute_values``
pages parses every row as SQL; COPY streams them, and the merge keeps the same conflict handling and
returns the same rows. Works inside the caller's transaction; the staging table is dropped at commit.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence

_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t"})


def _copy_value(value) -> str:
    if value is None:
        return "\\N"
    if isinstance(value, bool):
        return "t" if value else "f"
    return str(value).translate(_COPY_ESCAPES)


def copy_rows(cur, table: str, columns: Sequence[str], rows: Iterable[tuple]) -> None:
    """COPY ``rows`` (tuples in ``columns`` order; str/int/bool/None, JSON as text) into ``table`` (text format)."""
    buffer = io.StringIO()
    for row in rows:
        buffer.write("\t".join(map(_copy_value, row)))
        buffer.write("\n")
    buffer.seek(0)
    cur.copy_expert(f"COPY {table} ({', '.join(columns)}) FROM STDIN", buffer)


def copy_merge(cur, target: str, columns: Sequence[str], rows: Iterable[tuple], *, conflict: str,
               returning: str | None = None) -> list[tuple]:
    """Insert ``rows`` into ``target`` as ``INSERT ... ON CONFLICT <conflict>`` would, through COPY.

    Reads nothing else; writes ``target`` (and a temporary table ``pg_temp.<target>_in`` of the same
    columns, emptied after use). Returns the ``RETURNING`` rows (``returning``: its column list), if any.
    """
    stage = "copy_in_" + target.replace(".", "_")
    cols = ", ".join(columns)
    # the column types come from the target; no defaults, so no sequence value is drawn by the staging table
    cur.execute(f"CREATE TEMP TABLE IF NOT EXISTS {stage} ON COMMIT DROP AS SELECT {cols} FROM {target} WITH NO DATA")
    copy_rows(cur, f"pg_temp.{stage}", columns, rows)
    cur.execute(f"INSERT INTO {target} ({cols}) SELECT {cols} FROM pg_temp.{stage} ON CONFLICT {conflict}"
                + (f" RETURNING {returning}" if returning else ""))
    result = cur.fetchall() if returning else []
    cur.execute(f"TRUNCATE pg_temp.{stage}")
    return result
