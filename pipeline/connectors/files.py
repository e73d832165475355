"""Reading export files record by record, keeping each record's original bytes and ``file:line`` location.

Text is decoded as strict UTF-8 per record: a row or line with undecodable bytes becomes an error record
(quarantined with its bytes) while the rest of the file still loads.
"""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import ijson

from voc.pipeline.connectors.base import SourceRecord

BOM = b"\xef\xbb\xbf"


_ESCAPED_BYTE = re.compile("[\udc80-\udcff]")  # what surrogateescape makes of a byte that is not UTF-8


def _undecodable(text: str) -> int | None:
    """Return the index of the first byte that was not valid UTF-8 (decoded with surrogateescape), or None."""
    if text.isascii():
        return None
    found = _ESCAPED_BYTE.search(text)  # in C: a loop over the characters in Python cost ~2 µs per 100
    return found.start() if found else None


def _printable(text: str) -> str:
    """Return surrogate-escaped text with the undecodable bytes written as ``\\xNN``."""
    return text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def undecodable_reason(text: str, where: str = "") -> str | None:
    """Return a quarantine reason when ``text`` holds undecodable bytes, else None."""
    index = _undecodable(text)
    if index is None:
        return None
    byte = ord(text[index]) - 0xDC00
    return f"not valid UTF-8: byte 0x{byte:02x} at character {index}{where}"


# The csv module refuses a cell over 128 KiB by default, so a 10 MB comment could only be quarantined as an
# unreadable row. Cells up to the loader's hard record limit (64 MiB) are read, so the oversize policy
# (quarantine by default, or truncate) decides about them like about any other oversize record.
CSV_FIELD_LIMIT = 64 * 1024 * 1024


def csv_reader(lines: Iterable[str], **kwargs):
    """A ``csv.reader`` over ``lines`` with the field limit set to ``CSV_FIELD_LIMIT`` (a process-wide
    setting of the csv module, set again here so every reader of ours sees the same limit)."""
    csv.field_size_limit(CSV_FIELD_LIMIT)
    return csv.reader(lines, **kwargs)


def read_csv(path: Path, *, delimiter: str = ",") -> Iterator[SourceRecord]:
    """Yield one record per CSV row (header = column names), located at the row's first line.

    The file is streamed (a leading BOM dropped, undecodable bytes kept as surrogates): memory stays
    that of one row however large the file.
    """
    with path.open(encoding="utf-8-sig", errors="surrogateescape", newline="") as fh:
        yield from _read_csv(path, fh, delimiter)


def _read_csv(path: Path, fh: Iterable[str], delimiter: str) -> Iterator[SourceRecord]:
    consumed: list[str] = []

    def lines():
        for line in fh:
            consumed.append(line)
            yield line

    reader = csv_reader(lines(), delimiter=delimiter)
    try:
        header = next(reader, None)
    except csv.Error as exc:
        yield SourceRecord(f"{path.name}:1", _printable("".join(consumed)), error=f"unreadable CSV header: {exc}",
                           original="".join(consumed).encode("utf-8", "surrogateescape"))
        return
    if header is None:
        return
    header = [h.strip() for h in header]
    if reason := undecodable_reason("".join(header), " in the header"):
        yield SourceRecord(f"{path.name}:1", _printable(",".join(header)), error=reason,
                           original="".join(consumed).encode("utf-8", "surrogateescape"))
        return
    start = reader.line_num + 1
    while True:
        consumed.clear()
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raw = "".join(consumed)
            yield SourceRecord(f"{path.name}:{start}", _printable(raw), error=f"unreadable CSV row: {exc}",
                               original=raw.encode("utf-8", "surrogateescape"))
            start = reader.line_num + 1
            continue
        location = f"{path.name}:{start}"
        start = reader.line_num + 1
        raw = "".join(consumed)
        original = raw.encode("utf-8", "surrogateescape")
        if not any(cell.strip() for cell in row):
            continue  # blank line
        bad = next(((column, cell) for column, cell in zip(header, row, strict=False) if _undecodable(cell)
                    is not None), None)
        if bad is not None:
            payload = {column: _printable(cell) for column, cell in zip(header, row, strict=False)}
            yield SourceRecord(location, payload, error=undecodable_reason(bad[1], f" in column {bad[0]!r}"),
                               original=original)
            continue
        if len(row) != len(header):
            yield SourceRecord(location, {"row": row}, error=f"row has {len(row)} fields, the header has {len(header)}",
                               original=original)
            continue
        yield SourceRecord(location, dict(zip(header, row, strict=True)), original=original)


@dataclass(frozen=True)
class JsonLine:
    """One line of a JSON Lines file: its value, or the error record that quarantines it."""

    number: int
    value: object
    original: bytes
    error: SourceRecord | None = None


def parse_json(text: str) -> object:
    """``json.loads`` that reports too-deep nesting as a ValueError like any other malformed JSON."""
    try:
        return json.loads(text)
    except RecursionError:
        raise ValueError("JSON nested too deeply") from None


def read_json_lines(path: Path) -> Iterator[JsonLine]:
    """Yield every non-blank line of a JSON Lines file, parsed, or with an error record for a bad line."""
    with path.open("rb") as fh:
        for number, raw in enumerate(fh, start=1):
            body = raw[len(BOM):] if number == 1 and raw.startswith(BOM) else raw
            if not body.strip():
                continue
            location = f"{path.name}:{number}"
            text = body.decode("utf-8", "surrogateescape").rstrip("\r\n")
            if reason := undecodable_reason(text):
                yield JsonLine(number, None, raw, SourceRecord(location, _printable(text), error=reason, original=raw))
                continue
            try:
                value = parse_json(text)
            except json.JSONDecodeError as exc:
                error = f"not valid JSON: {exc.msg} at column {exc.colno}"
                yield JsonLine(number, None, raw, SourceRecord(location, text, error=error, original=raw))
                continue
            except ValueError as exc:
                yield JsonLine(number, None, raw, SourceRecord(location, text[:10_000], error=str(exc), original=raw))
                continue
            yield JsonLine(number, value, raw)


def read_json_list(path: Path, what: str, whole: Callable[[Path, str], Iterator[SourceRecord]] | None = None,
                   ) -> Iterator[SourceRecord]:
    """Yield the objects of a JSON file holding a list, or an object with exactly one list-valued key.

    Streams: a first pass reads the file's structure with ijson's event parser (nothing kept), a second
    builds one object at a time, so memory does not grow with the file. A file the event parser rejects
    (malformed JSON, bytes that are not UTF-8, NaN, lone surrogates, deep nesting) is read whole by ``whole``
    (default ``_read_json_list_whole``), which says what is wrong and where, as before.
    """
    prefix = _list_prefix(path)
    if prefix is None:
        yield from (whole or _read_json_list_whole)(path, what)
        return
    with path.open("rb") as fh:
        for index, payload in enumerate(ijson.items(_past_bom(fh), prefix, use_float=True)):
            location = f"{path.name}:[{index}]"
            if isinstance(payload, dict):
                yield SourceRecord(location, payload)
            else:
                yield SourceRecord(location, payload, error=f"a {what} must be a JSON object")


def _past_bom(fh):
    """``fh`` (a binary file at its start) positioned after a UTF-8 byte order mark, if it has one."""
    if fh.read(len(BOM)) != BOM:
        fh.seek(0)
    return fh


OPENING, CLOSING = frozenset({"start_map", "start_array"}), frozenset({"end_map", "end_array"})
STREAM_DEPTH = 100  # deeper files are left to json.loads, which refuses what would exhaust its recursion


def _list_prefix(path: Path) -> str | None:
    """The ijson prefix of the records' list: ``item`` for a top-level list, ``<key>.item`` for the one
    list-valued key of a top-level object; None when the file is not valid JSON of either shape (or the key
    holds a dot, which ijson's prefixes cannot tell apart)."""
    lists, top, key, depth = [], None, None, 0
    try:
        with path.open("rb") as fh:
            reader = _SurrogateCounter(_past_bom(fh))
            for prefix, event, value in ijson.parse(reader, use_float=True):  # numbers as the second pass reads them
                if event in OPENING:
                    depth += 1
                    if depth > STREAM_DEPTH:  # json.loads decides about deep nesting ("nested too deeply")
                        return None
                elif event in CLOSING:
                    depth -= 1
                if top is None:
                    top = event
                elif prefix == "" and event == "map_key":
                    key = value
                elif top == "start_map" and event == "start_array" and prefix == key:
                    lists.append(key)
    except (ijson.JSONError, UnicodeDecodeError, ValueError, RecursionError):
        return None
    if reader.high != reader.low:  # a lone surrogate escape: ijson would read it as "?", json.loads keeps it
        return None
    if top == "start_array":
        return "item"
    if top == "start_map" and len(lists) == 1 and "." not in lists[0]:
        return f"{lists[0]}.item"
    return None


class _SurrogateCounter:
    """A binary file whose reads count the JSON escapes of UTF-16 surrogates (high ``\\uD800-\\uDBFF``, low
    ``\\uDC00-\\uDFFF``), so that a file holding a lone one can be left to ``json.loads``."""

    HIGH, LOW = re.compile(rb"\\u[dD][89abAB]"), re.compile(rb"\\u[dD][c-fC-F]")

    def __init__(self, fh) -> None:
        self.fh, self.high, self.low, self.tail = fh, 0, 0, b""

    def read(self, size: int = -1) -> bytes:
        chunk = self.fh.read(size)
        window = self.tail + chunk  # an escape may straddle two reads: the last 3 bytes are scanned again
        self.high += len(self.HIGH.findall(window))  # 3 bytes cannot hold a whole 4-byte escape: none counted twice
        self.low += len(self.LOW.findall(window))
        self.tail = window[-3:]
        return chunk


def _read_json_list_whole(path: Path, what: str) -> Iterator[SourceRecord]:
    """``read_json_list`` for a file the streaming pass rejects: parse it whole and report what is wrong."""
    data = path.read_bytes()
    text = data[len(BOM):].decode("utf-8", "surrogateescape") if data.startswith(BOM) else \
        data.decode("utf-8", "surrogateescape")
    if reason := undecodable_reason(text):
        yield SourceRecord(f"{path.name}:1", _printable(text[:10_000]), error=reason, original=data)
        return
    try:
        doc = parse_json(text)
    except json.JSONDecodeError as exc:
        yield SourceRecord(f"{path.name}:{exc.lineno}", text[:10_000], error=f"not valid JSON: {exc.msg}",
                           original=data)
        return
    except ValueError as exc:
        yield SourceRecord(f"{path.name}:1", text[:10_000], error=str(exc), original=data)
        return
    if isinstance(doc, dict):
        lists = [v for v in doc.values() if isinstance(v, list)]
        if len(lists) != 1:
            yield SourceRecord(f"{path.name}:1", doc, error=f"expected a list of {what}s or an object holding one")
            return
        doc = lists[0]
    if not isinstance(doc, list):
        yield SourceRecord(f"{path.name}:1", doc, error=f"expected a list of {what}s")
        return
    for index, payload in enumerate(doc):
        location = f"{path.name}:[{index}]"
        if isinstance(payload, dict):
            yield SourceRecord(location, payload)
        else:
            yield SourceRecord(location, payload, error=f"a {what} must be a JSON object")
