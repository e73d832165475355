"""The loader's fast paths give what the plain code they replace gives: COPY escaping, the undecodable-byte
scan, the NUL and size check, item ids, the e-mail reply parser; and on the benchmark sample (malformed
records included) every record's stored payload, item ids and counts are the ones the records call for."""

import json
import uuid

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from mailparser_reply import EmailReplyParser

from voc.pipeline.bench.sample import generate
from voc.pipeline.connectors import email
from voc.pipeline.connectors.base import SourceRecord
from voc.pipeline.connectors.files import _undecodable
from voc.pipeline.copy_merge import _copy_value
from voc.pipeline.ingest import CONNECTORS, ingest_files
from voc.pipeline.load import _payload_json, _strings, check_record
from voc.schemas import ITEM_NAMESPACE, item_id

# COPY text format's escapes, as the documentation states them (the encoder's first version, one mapping)
_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t"})
FAST = settings(max_examples=500, derandomize=True, suppress_health_check=[HealthCheck.too_slow], deadline=None)
# text that reaches every branch: the four COPY specials, NUL and its JSON escape, undecodable-byte surrogates
TEXT = st.lists(st.one_of(st.sampled_from(["\\", "\n", "\r", "\t", "\x00", "\\u0000", "\udc80", "\udcff", "\ud800",
                                            "é", "a", " "]),
                          st.characters(blacklist_categories=())), max_size=12).map("".join)


def _old_copy_value(value) -> str:
    if value is None:
        return "\\N"
    if isinstance(value, bool):
        return "t" if value else "f"
    return str(value).translate(_COPY_ESCAPES)


@FAST
@given(st.one_of(TEXT, st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True)))
def test_copy_value_escapes_as_translate_did(value):
    assert _copy_value(value) == _old_copy_value(value)


@FAST
@given(TEXT)
def test_undecodable_finds_the_first_escaped_byte(text):
    expected = next((i for i, char in enumerate(text) if "\udc80" <= char <= "\udcff"), None)
    assert _undecodable(text) == expected


def _old_check_record(record: SourceRecord, max_bytes: int) -> str | None:
    body = _payload_json(record)
    if "\x00" in body or any("\x00" in s for s in _strings(record.payload)):
        return "contains NUL characters (U+0000), which PostgreSQL cannot store in text"
    try:
        size = len(body.encode("utf-8"))
    except UnicodeEncodeError as exc:
        if not 0xDC80 <= ord(body[exc.start]) <= 0xDCFF:
            return f"invalid Unicode: lone surrogate U+{ord(body[exc.start]):04X} at character {exc.start}"
        return f"not valid UTF-8: undecodable byte(s) at character {exc.start}"
    if size > max_bytes:
        return f"oversize record: {size:,} bytes, the limit is {max_bytes:,}"
    return None


PAYLOADS = st.recursive(st.one_of(TEXT, st.integers(), st.none(), st.booleans()),
                        lambda inner: st.one_of(st.lists(inner, max_size=3),
                                                st.dictionaries(TEXT, inner, max_size=3)), max_leaves=8)


@FAST
@given(st.one_of(PAYLOADS, TEXT), st.integers(10, 200))
def test_check_record_says_what_the_walk_over_every_string_said(payload, max_bytes):
    record = SourceRecord("f.jsonl:1", payload)
    assert check_record(record, max_bytes) == _old_check_record(record, max_bytes)


@FAST
@given(TEXT.filter(lambda t: not any("\ud800" <= c <= "\udfff" for c in t)),
       TEXT.filter(lambda t: not any("\ud800" <= c <= "\udfff" for c in t)))
def test_item_id_is_the_uuid5_of_source_and_key(source, key):
    assert item_id(source, key) == str(uuid.uuid5(ITEM_NAMESPACE, f"{source}\x1f{key}"))


def _replies(replies):
    return [(r.content, r.headers, r.signatures, r.disclaimers) for r in replies]


def test_reply_parts_are_the_parsers_on_every_sample_message(tmp_path):
    files = {kind: path for _, kind, path in generate(tmp_path, 3000, seed=7)}
    bodies = [r.payload["text"] for r in email.read_email_file(files["email"])
              if not r.error and isinstance(r.payload, dict) and r.payload.get("text")]
    assert len(bodies) > 200
    for languages in (email.EmailOptions.languages, ("de",), ("xx",), ()):
        for body in bodies:
            text = body.replace("\r\n", "\n")
            expected = EmailReplyParser(languages=list(languages)).read(text).replies
            assert _replies(email._reply_parts(text, languages)) == _replies(expected)


def test_sample_records_are_stored_as_read_and_counted(engine, tmp_path):
    """Every channel of the benchmark sample (duplicates and malformed records included): each stored payload is
    the record's payload, each quarantined record has its reason and location, item ids are the uuid5 ones."""
    reports, records = [], {}
    for source, kind, path in generate(tmp_path, 3000, seed=3):
        reports += ingest_files(engine, kind, [path], source=source)
        records[source] = list(CONNECTORS[kind].read(path))
    assert all(r.read == r.loaded + r.duplicate + r.quarantined for r in reports)
    assert sum(r.quarantined for r in reports) > 0 and sum(r.duplicate for r in reports) > 0
    with engine.connect() as conn:
        stored = {(s, h): p for s, h, p in conn.exec_driver_sql(
            "SELECT source, record_hash, payload FROM raw.record").all()}
        quarantined = {(s, h): (loc, reason) for s, h, loc, reason in conn.exec_driver_sql(
            "SELECT source, record_hash, location, reason FROM raw.quarantine").all()}
        items = conn.exec_driver_sql("SELECT item_id::text, source, source_item_key FROM raw.staged_item").all()
    assert len(stored) == sum(r.loaded for r in reports)
    assert len(quarantined) == sum(r.quarantined for r in reports)
    for source, read in records.items():
        for record in read:
            key = (source, record.hash)
            if key in quarantined:
                location, reason = quarantined[key]
                assert location == record.location and reason
            elif key in stored:
                assert stored[key] == json.loads(json.dumps(record.payload))
            else:  # only a duplicate of a stored record, or of a record already quarantined, is in neither
                assert record.error is None
    assert all(i == str(uuid.uuid5(ITEM_NAMESPACE, f"{s}\x1f{k}")) for i, s, k in items)
