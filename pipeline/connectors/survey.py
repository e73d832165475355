"""Survey exports (aided feedback): CSV, JSON and JSON Lines files into canonical feedback items.

One response becomes one item per non-empty open-text answer, each carrying the response's scores,
survey id/type and respondent identifiers. A response with scores but no text becomes one
score-only item, so NPS/CSAT/CES figures count every respondent.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

from voc.pipeline.connectors.base import RecordError, SourceRecord
from voc.pipeline.connectors.columns import storable_when
from voc.pipeline.connectors.files import csv_reader, parse_json, read_json_list
from voc.pipeline.connectors.mapping import SurveyMapping
from voc.schemas import item_id

SUFFIXES = (".csv", ".json", ".jsonl", ".ndjson")


def read_survey_file(path: Path) -> Iterator[SourceRecord]:
    """Yield every response of a survey export as it arrived, with ``file:line`` locations."""
    suffix = path.suffix.lower()
    if suffix == ".csv":
        yield from _read_csv(path)
    elif suffix in (".jsonl", ".ndjson"):
        yield from _read_jsonl(path)
    elif suffix == ".json":
        yield from read_json_list(path, "response", whole=_read_json_whole)
    else:
        raise ValueError(f"{path}: unsupported survey file type {suffix!r} (use {', '.join(SUFFIXES)})")


def _read_csv(path: Path) -> Iterator[SourceRecord]:
    with path.open("r", encoding="utf-8-sig", errors="surrogateescape", newline="") as fh:
        consumed: list[str] = []  # the lines of the row being read, as read: an unreadable row keeps its bytes

        def lines() -> Iterator[str]:
            for line in fh:
                consumed.append(line)
                yield line if line.isascii() else _replaced(line)

        reader = csv_reader(lines())
        header = next(reader, None)
        if header is None:
            return
        header = [h.strip() for h in header]
        start = reader.line_num + 1
        while True:
            location = f"{path.name}:{start}"
            consumed.clear()
            try:
                row = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:  # e.g. a cell over CSV_FIELD_LIMIT: quarantine the row and its bytes, read on
                original = "".join(consumed).encode("utf-8", "surrogateescape")
                yield SourceRecord(location, {"line": start, "bytes": len(original)},
                                   error=f"unreadable CSV row: {exc}", original=original)
                start = reader.line_num + 1
                continue
            start = reader.line_num + 1
            if not any(cell.strip() for cell in row):
                continue  # blank line
            if len(row) != len(header):
                yield SourceRecord(location, {"row": row},
                                   error=f"row has {len(row)} fields, the header has {len(header)}")
                continue
            yield SourceRecord(location, dict(zip(header, row, strict=True)))


def _replaced(line: str) -> str:
    """The line as ``errors="replace"`` would have decoded it: undecodable bytes become U+FFFD."""
    try:
        line.encode("utf-8")
    except UnicodeEncodeError:
        return line.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    return line


def _read_jsonl(path: Path) -> Iterator[SourceRecord]:
    with path.open("r", encoding="utf-8-sig", errors="replace") as fh:
        for number, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            location = f"{path.name}:{number}"
            try:
                payload = parse_json(line)
            except json.JSONDecodeError as exc:
                reason = f"not valid JSON: {exc.msg} at column {exc.colno}"
                yield SourceRecord(location, line.rstrip("\n"), error=reason)
                continue
            except ValueError as exc:  # nested too deeply
                yield SourceRecord(location, line[:10_000], error=str(exc))
                continue
            if not isinstance(payload, dict):
                yield SourceRecord(location, payload, error="a response must be a JSON object")
                continue
            yield SourceRecord(location, payload)


def _read_json_whole(path: Path, what: str = "response") -> Iterator[SourceRecord]:
    """A JSON export that cannot be streamed, parsed whole: undecodable bytes are replaced, not quarantined."""
    text = path.read_text(encoding="utf-8-sig", errors="replace")
    try:
        doc = parse_json(text)
    except json.JSONDecodeError as exc:
        yield SourceRecord(f"{path.name}:{exc.lineno}", text[:10_000], error=f"not valid JSON: {exc.msg}")
        return
    except ValueError as exc:  # nested too deeply
        yield SourceRecord(f"{path.name}:1", text[:10_000], error=str(exc))
        return
    if isinstance(doc, dict):  # {"responses": [...]} or any single list-valued key
        lists = [v for v in doc.values() if isinstance(v, list)]
        if len(lists) != 1:
            yield SourceRecord(f"{path.name}:1", doc, error="expected a list of responses or an object holding one")
            return
        doc = lists[0]
    if not isinstance(doc, list):
        yield SourceRecord(f"{path.name}:1", doc, error="expected a list of responses")
        return
    for index, payload in enumerate(doc):
        location = f"{path.name}:[{index}]"
        if isinstance(payload, dict):
            yield SourceRecord(location, payload)
        else:
            yield SourceRecord(location, payload, error="a response must be a JSON object")


def _cell(payload: dict, column: str | None) -> str | None:
    if not column:
        return None
    value = payload.get(column)
    if value is None:
        return None
    value = str(value).strip()
    return value or None


def _score(payload: dict, field: str, column: str) -> int | float | None:
    value = _cell(payload, column)
    if value is None:
        return None
    try:
        number = float(value.replace(",", "."))
    except ValueError:
        raise RecordError(f"{field}: {value!r} in column {column!r} is not a number") from None
    if field != "rating" and not number.is_integer():
        raise RecordError(f"{field}: {value!r} in column {column!r} is not a whole number")
    return int(number) if number.is_integer() and field != "rating" else number


def parse_time(value: str, mapping: SurveyMapping, column: str) -> str:
    """Return an ISO 8601 timestamp with offset; naive times are read in the mapping's time zone."""
    try:
        when = datetime.fromisoformat(value.replace(" UTC", "+00:00"))
    except ValueError:
        raise RecordError(f"occurred_at: {value!r} in column {column!r} is not an ISO 8601 date-time") from None
    if when.tzinfo is None:
        when = when.replace(tzinfo=mapping.timezone)
    return storable_when(when, value, f"column {column!r}")


def to_items(record: SourceRecord, mapping: SurveyMapping, source: str) -> list[dict]:
    """Return the canonical feedback items of one survey response, or raise ``RecordError``."""
    payload = record.payload
    if not isinstance(payload, dict):
        raise RecordError("a response must be an object of column values")
    response_id = _cell(payload, mapping.response_id)
    if response_id is None:
        raise RecordError(f"response_id: column {mapping.response_id!r} is missing or empty")
    when = _cell(payload, mapping.occurred_at)
    if when is None:
        raise RecordError(f"occurred_at: column {mapping.occurred_at!r} is missing or empty")
    common = {
        "source": source,
        "channel": "survey",
        "aided": True,
        "occurred_at": parse_time(when, mapping, mapping.occurred_at),
        "customer_ids": {
            kind: value for kind, column in mapping.customer.items()
            if (value := _cell(payload, column)) is not None
        },
        "survey_id": mapping.survey_id_value or _cell(payload, mapping.survey_id),
        "survey_type": mapping.survey_type_value or _cell(payload, mapping.survey_type),
        "language": (_cell(payload, mapping.language) or "").lower() or None,
        "raw_ref": record.location,
    }
    for field, column in mapping.scores.items():
        common[field] = _score(payload, field, column)
    answers = [(column, text) for column in mapping.texts if (text := _cell(payload, column)) is not None]
    if not answers:  # score-only response: one item without text
        answers = [(None, None)]
    items = []
    for question, text in answers:
        key = response_id if question is None else f"{response_id}#{question}"
        items.append({**common, "item_id": item_id(source, key), "source_item_key": key,
                      "question": question, "text": text})
    return items

