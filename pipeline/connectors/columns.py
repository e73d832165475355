"""Column mappings for the unaided channels (social CSV, reviews, ticket CSV) and the parsing they share.

A mapping says which column feeds which field. Keys left out keep the kind's default column, so a
mapping file only lists what differs from the default export. Mistakes name the file and the key.

.. code-block:: yaml

    version: 1
    kind: review
    timezone: Europe/London
    columns: {id: review_id, text: body, rating: stars}
    customer: {handle: author}
    values: {product: Acme app}      # a constant for a field the export lacks
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from voc.pipeline.connectors.base import RecordError
from voc.pipeline.connectors.mapping import IDENTIFIER_KINDS, MappingError, read_mapping_yaml

# Fields each kind reads from a row, with the default column names of a typical export.
DEFAULTS: dict[str, dict[str, dict[str, str]]] = {
    "social": {
        "columns": {"id": "id", "occurred_at": "created_at", "text": "text", "language": "lang",
                    "thread_key": "conversation_id", "parent_key": "in_reply_to_id", "repost_of": "repost_of_id"},
        "customer": {"handle": "author_handle", "external_id": "author_id"},
    },
    "review": {
        "columns": {"id": "review_id", "occurred_at": "date", "text": "body", "title": "title", "rating": "rating",
                    "product": "product", "language": "language"},
        "customer": {"handle": "author"},
    },
    "ticket": {  # a Zendesk-style CSV export: one row per ticket
        "columns": {"id": "Ticket ID", "occurred_at": "Created at", "text": "Description", "title": "Subject",
                    "satisfaction": "Satisfaction Score", "satisfaction_comment": "Satisfaction Comment",
                    "satisfaction_at": "Updated at", "language": "Language"},
        "customer": {"email": "Requester email", "external_id": "Requester ID"},
    },
}
LANGUAGE = re.compile(r"^[a-z]{2,3}(-[A-Za-z0-9]+)?$")
_KEYS = {"version", "kind", "timezone", "columns", "customer", "values"}


@dataclass(frozen=True)
class ColumnMapping:
    """Which column feeds which field, for one kind of export."""

    kind: str
    columns: dict[str, str]
    customer: dict[str, str]
    values: dict[str, str] = field(default_factory=dict)
    timezone: ZoneInfo = ZoneInfo("UTC")
    origin: str = "<default>"

    def cell(self, row: dict, name: str) -> str | None:
        """Return the stripped value of a field in a row (or its constant), None when missing or empty."""
        if name in self.values:
            return self.values[name]
        column = self.columns.get(name)
        value = row.get(column) if column else None
        if value is None:
            return None
        value = str(value).strip()
        return value or None

    def required(self, row: dict, name: str) -> str:
        value = self.cell(row, name)
        if value is None:
            raise RecordError(f"{name}: column {self.columns.get(name)!r} is missing or empty")
        return value

    def customer_ids(self, row: dict) -> dict[str, str]:
        return {kind: value for kind, column in self.customer.items()
                if (value := str(row.get(column) or "").strip())}


def parse_column_mapping(data: object, kind: str, origin: str) -> ColumnMapping:
    """Validate a parsed mapping document (None: the defaults) for ``kind`` and return the mapping."""
    defaults = DEFAULTS[kind]
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise MappingError(f"{origin}: expected a mapping of keys, got {type(data).__name__}")
    unknown = sorted(set(data) - _KEYS)
    if unknown:
        raise MappingError(f"{origin}: `{unknown[0]}` is not a known key (known: {', '.join(sorted(_KEYS))})")
    if data.get("version", 1) != 1:
        raise MappingError(f"{origin}: `version` must be 1, got {data.get('version')!r}")
    if data.get("kind", kind) != kind:
        raise MappingError(f"{origin}: `kind` must be {kind}, got {data.get('kind')!r}")
    columns = dict(defaults["columns"])
    for name, column in _section(data, "columns", origin).items():
        if name not in defaults["columns"]:
            raise MappingError(f"{origin}: `columns.{name}` is not a {kind} field "
                               f"({', '.join(defaults['columns'])})")
        columns[name] = column
    customer = dict(defaults["customer"])
    given = _section(data, "customer", origin)
    if given:
        customer = {}  # identifiers are listed whole: a default column may not exist in this export
    for name, column in given.items():
        if name not in IDENTIFIER_KINDS:
            raise MappingError(f"{origin}: `customer.{name}` is not an identifier kind ({', '.join(IDENTIFIER_KINDS)})")
        customer[name] = column
    values = _section(data, "values", origin)
    for name in values:
        if name not in defaults["columns"]:
            raise MappingError(f"{origin}: `values.{name}` is not a {kind} field ({', '.join(defaults['columns'])})")
    try:
        tz = ZoneInfo(str(data.get("timezone") or "UTC"))
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise MappingError(f"{origin}: `timezone` is not a known time zone ({exc})") from None
    return ColumnMapping(kind=kind, columns=columns, customer=customer, values=values, timezone=tz, origin=origin)


def _section(data: dict, key: str, origin: str) -> dict[str, str]:
    section = data.get(key) or {}
    if not isinstance(section, dict):
        raise MappingError(f"{origin}: `{key}` must map field names to columns")
    for name, column in section.items():
        if not isinstance(column, str) or not column.strip():
            raise MappingError(f"{origin}: `{key}.{name}` must be a non-empty string")
    return {str(k): v for k, v in section.items()}


def load_column_mapping(kind: str, mapping: ColumnMapping | dict | str | Path | None = None) -> ColumnMapping:
    """Return a mapping for ``kind`` from a mapping, an inline dict, a YAML file path, or None (defaults)."""
    if isinstance(mapping, ColumnMapping):
        return mapping
    if mapping is None or isinstance(mapping, dict):
        return parse_column_mapping(mapping, kind, "<inline>" if mapping else f"<default {kind} mapping>")
    return parse_column_mapping(read_mapping_yaml(mapping), kind, str(mapping))


UTC_ZONE = ZoneInfo("UTC")


def parse_when(value: str, where: str, tz: ZoneInfo = UTC_ZONE) -> str:
    """Return an ISO 8601 timestamp with offset from ISO 8601 or RFC 5322 text; naive times are read in ``tz``."""
    text = value.strip()
    when = None
    try:
        when = datetime.fromisoformat(text.replace(" UTC", "+00:00"))
    except ValueError:
        try:
            when = parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            when = None
    if when is None:
        raise RecordError(f"occurred_at: {value[:80]!r} in {where} is not a date-time")
    if when.tzinfo is None:
        when = when.replace(tzinfo=tz)
    return storable_when(when, value, where)


# PostgreSQL's timestamptz input takes offsets up to 15:59; Python's up to 23:59.
MAX_UTC_OFFSET = timedelta(hours=15, minutes=59)


def storable_when(when: datetime, value: str, where: str) -> str:
    """Return an aware ``when`` as ISO 8601 text, or raise ``RecordError`` if the warehouse cannot take it.

    A UTC offset beyond PostgreSQL's ±15:59 (a mangled Date header like ``+2026``) would fail the whole
    batch in the database; a time that lands before year 1 or after 9999 in UTC could be stored but not
    read back by Python. Both are the record's fault, so the record is quarantined with the reason."""
    offset = when.utcoffset()
    if offset is not None and abs(offset) > MAX_UTC_OFFSET:
        raise RecordError(f"occurred_at: {value[:80]!r} in {where} has a UTC offset beyond ±15:59")
    try:
        when.astimezone(UTC)
    except OverflowError:
        raise RecordError(f"occurred_at: {value[:80]!r} in {where} falls outside years 1-9999 in UTC") from None
    return when.isoformat()


def language(value: str | None) -> str | None:
    """Return a contract-valid language code, or None (``und`` and unknown forms carry no language)."""
    if not value:
        return None
    code = value.strip().replace("_", "-")
    code = code.split("-")[0].lower() + code[len(code.split("-")[0]):]
    return code if LANGUAGE.match(code) and code not in ("und", "zxx", "qme", "qht", "qam") else None


def rating(value: str | None, where: str) -> float | None:
    """Return a 1-5 rating from text like ``4``, ``4.5`` or ``4/5``; the contract rejects out-of-range values."""
    if value is None:
        return None
    text = value.split("/")[0].strip().replace(",", ".")
    try:
        number = float(text)
    except ValueError:
        raise RecordError(f"rating: {value!r} in {where} is not a number") from None
    if not math.isfinite(number):
        raise RecordError(f"rating: {value!r} in {where} is not a number")
    return int(number) if number.is_integer() else number
