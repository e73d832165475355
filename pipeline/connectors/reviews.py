"""Reviews (unaided feedback): app-store and product review exports as CSV, JSON or JSON Lines.

One review becomes one item with its 1-5 rating; the title and product go to the item's context,
the author becomes a handle. Column names come from a mapping (defaults: ``review_id``, ``date``,
``rating``, ``title``, ``body``, ``author``, ``product``, ``language``).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from voc.pipeline.connectors.base import RecordError, SourceRecord
from voc.pipeline.connectors.columns import ColumnMapping, language, parse_when, rating
from voc.pipeline.connectors.files import read_csv, read_json_lines, read_json_list
from voc.schemas import item_id

SUFFIXES = (".csv", ".json", ".jsonl", ".ndjson")


def read_review_file(path: Path) -> Iterator[SourceRecord]:
    """Yield one record per review, located by ``file:line`` (CSV, JSON Lines) or ``file:[index]`` (JSON)."""
    suffix = path.suffix.lower()
    if suffix == ".csv":
        yield from read_csv(path)
    elif suffix == ".json":
        yield from read_json_list(path, "review")
    elif suffix in (".jsonl", ".ndjson"):
        for line in read_json_lines(path):
            if line.error:
                yield line.error
            elif isinstance(line.value, dict):
                yield SourceRecord(f"{path.name}:{line.number}", line.value)
            else:
                yield SourceRecord(f"{path.name}:{line.number}", line.value, error="a review must be a JSON object",
                                   original=line.original)
    else:
        raise ValueError(f"{path}: unsupported review file type {suffix!r} (use {', '.join(SUFFIXES)})")


def to_items(record: SourceRecord, mapping: ColumnMapping, source: str) -> list[dict]:
    """Return the item of one review, or raise ``RecordError``."""
    row = record.payload
    if not isinstance(row, dict):
        raise RecordError("a review must be an object of field values")
    key = mapping.required(row, "id")
    when = parse_when(mapping.required(row, "occurred_at"), f"column {mapping.columns['occurred_at']!r}",
                      mapping.timezone)
    stars = rating(mapping.cell(row, "rating"), f"column {mapping.columns['rating']!r}")
    title, body = mapping.cell(row, "title"), mapping.cell(row, "text")
    if body is None and title is None:
        raise RecordError("text: the review has neither a body nor a title")
    ids = mapping.customer_ids(row)
    context = {k: v for k, v in (("title", title), ("product", mapping.cell(row, "product"))) if v}
    return [{
        "item_id": item_id(source, key), "source": source, "source_item_key": key, "channel": "review",
        "aided": False, "occurred_at": when, "customer_ids": ids, "text": body or title, "rating": stars,
        "language": language(mapping.cell(row, "language")), "raw_ref": record.location, "context": context,
    }]
