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
    """What ``own_words`` reads of the replies (their disclaimers it never reads, and no longer gets)."""
    return [(r.content, r.headers, r.signatures) for r in replies]


# lines of quoted replies in the parser's languages: its headers ("On ... wrote:", "From:/Sent:" blocks, "-----Original
# Message-----"), quotes, signatures and plain sentences, to be put together in any order
REPLY_LINES = [
    "On Mon, 3 Mar 2025 at 10:00, Jane Doe <jane@example.com> wrote:", "> On Tue, 4 Mar 2025, Bob wrote:",
    "Am 03.03.2025 um 10:00 schrieb Max Muster <max@example.de>:", "Le lun. 3 mars 2025 à 10:00, Jean a écrit :",
    "Le 3 mars 2025, Jean <j@example.fr> a écrit:", "Op ma 3 mrt 2025 om 10:00 schreef Piet <p@example.nl>:",
    "Il giorno lun 3 mar 2025, Mario ha scritto:", "El lun, 3 mar 2025 a las 10:00, Ana  escribió:",
    "From: Support <support@example.com>", "Sent: Monday, March 3, 2025 10:00 AM", "To: Customer <c@example.com>",
    "Subject: RE: my order", "Date: Mon, 3 Mar 2025 10:00:00 +0000", "Cc: team@example.com", "*From:* Someone",
    "Von: Max", "Gesendet: Montag", "An: Support", "Betreff: Bestellung", "De : Jean", "Objet : commande",
    "Van: Piet", "Verzonden: maandag", "Aan: Support", "Onderwerp: bestelling", "Da: Mario", "Inviato: lunedì",
    "Oggetto: ordine", "De: Ana", "Enviado: lunes", "Para: Soporte", "Asunto: pedido", "Fecha: lunes",
    "-----Original Message-----", "----- Original Message -----", "________________________________",
    "> quoted line", ">> deeper quote", "Sent from my iPhone", "Get Outlook for iOS", "Best regards,", "Thanks,",
    "Mit freundlichen Grüßen", "Cordialement", "--", "Jane", "My parcel never arrived.", "On the whole it was fine.",
    "From the start I was unhappy.", "", "", "  ", "wrote: nothing", "Am I the only one?", "Le colis est arrivé.",
]


@FAST
@given(st.lists(st.sampled_from(REPLY_LINES), max_size=14), st.sampled_from(["\n", "\r\n"]),
       st.sampled_from([email.EmailOptions.languages, ("de",), ("fr", "nl"), ("xx",), ()]))
def test_reply_parts_are_the_parsers_on_quoted_replies(lines, newline, languages):
    text = newline.join(lines).replace("\r\n", "\n")
    expected = EmailReplyParser(languages=list(languages)).read(text).replies
    assert _replies(email._reply_parts(text, languages)) == _replies(expected)
    assert email.own_words(text, languages) == _old_own_words(text, languages)


@FAST
@given(st.lists(st.sampled_from(REPLY_LINES), max_size=14))
def test_line_anchored_header_pattern_finds_the_same_headers(lines):
    from mailparser_reply.parser import EmailMessage as ReplyMessage

    text = "\n".join(lines)
    for languages in (list(email.EmailOptions.languages), ["en"], ["es"]):
        plain = ReplyMessage(text="", languages=languages).HEADER_REGEX
        anchored = email._line_anchored(plain)
        assert anchored is not plain  # the parser's header pattern can only match at a line start or a newline
        assert anchored.findall(text) == plain.findall(text)


def test_line_anchored_keeps_a_pattern_that_can_match_anywhere():
    import re

    for pattern in (r"wrote:", r"^a|b", r"(?:x)?^y", r"\s*^z"):
        compiled = re.compile(pattern, re.M)
        assert email._line_anchored(compiled) is compiled


def _old_own_words(text: str, languages) -> str:
    """``own_words`` as it was, calling the reply parser itself."""
    import re

    text = text.replace("\r\n", "\n")
    text = re.split(r"^-- ?$", text, maxsplit=1, flags=re.M)[0]
    replies = EmailReplyParser(languages=list(languages)).read(text).replies
    if replies:
        newest = replies[0]
        text = newest.content if newest.headers is None else newest.content.replace(newest.headers, "", 1)
        signature = (newest.signatures or "").strip()
        if signature and signature.count("\n") < 6 and all(len(line) <= 60 for line in signature.splitlines()):
            text = text[:text.rfind(signature)] if signature in text else text
    lines = [line for line in text.splitlines() if not line.lstrip().startswith(">")]
    paragraphs = re.split(r"\n\s*\n", "\n".join(lines).strip())
    if len(paragraphs) > 1 and email.SIGN_OFF.match(paragraphs[-1]) and paragraphs[-1].count("\n") < 4:
        paragraphs.pop()
    return "\n\n".join(paragraphs).strip()


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


ATOM_CHARS = "abcXYZ019!#$%&'*+/=?^_`{|}~-"
ATOM = st.text(ATOM_CHARS, min_size=1, max_size=5)
ADDR = st.builds(lambda a, b, c: f"{a}@{b}.{c}", st.lists(ATOM, min_size=1, max_size=3).map(".".join), ATOM, ATOM)
MAILBOXES = st.one_of(
    ADDR,
    st.builds(lambda name, addr: f"{name} <{addr}>", st.lists(st.text("aZ09", min_size=1, max_size=4), min_size=1,
                                                              max_size=3).map(" ".join), ADDR),
    st.text("ab@<>. ,\"'()-:;[]\\", max_size=20),  # anything else: parsed by the standard library, as before
)


@FAST
@given(MAILBOXES)
def test_plain_mailboxes_split_as_the_standard_library_splits_them(value):
    from email.utils import getaddresses, parseaddr

    assert email._mailbox(value) == parseaddr(value)
    assert email._addresses(value) == [a for _, a in getaddresses([value]) if a]


@FAST
@given(PAYLOADS)
def test_reused_json_encoders_write_what_json_dumps_writes(payload):
    from voc.pipeline import load
    from voc.pipeline.connectors import base

    assert load._TEXT_JSON.encode(payload) == json.dumps(payload, ensure_ascii=False, default=str)
    assert load._PLAIN_JSON.encode(payload) == json.dumps(payload, ensure_ascii=False)
    assert base._HASH_JSON.encode(payload) == json.dumps(payload, sort_keys=True, ensure_ascii=False, default=str)
