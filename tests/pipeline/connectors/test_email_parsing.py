"""E-mail parsing with remembered header objects and plain headers read as they are gives the records that
the standard default policy and its header registry give."""

import dataclasses
import random
from email import policy
from email.parser import BytesParser
from pathlib import Path

import pytest

from tests.pipeline.connectors.test_email import message
from voc.pipeline.connectors import email as connector
from voc.pipeline.sample import generate_all

HOSTILE = [
    b"From: =?utf-8?q?Ren=C3=A9e_M=C3=BCller?= <renee@example.com>\nTo: a@example.com, \"B, Bee\" <b@example.com>\n"
    b"Subject: =?utf-8?b?w4dhIG5lIG1hcmNoZSBwYXM=?= again\nDate: Tue, 20 Oct 2026 10:00:00 +0200\n"
    b"Message-ID: <enc@x>\nContent-Type: text/plain; charset=\"iso-8859-1\"\nContent-Transfer-Encoding: 8bit\n\n"
    b"Caf\xe9 froid.\n",
    b"From: Bob (the builder) <bob@example.com>\nTo: undisclosed-recipients:;\nSubject: folded\n subject\n\tline\n"
    b"Date: 20 Oct 2026 10:00 -0000\nMessage-ID: <f@x>\nReferences: <a@x>\n <b@x> garbage <c@x>\n"
    b"In-Reply-To: <c@x> (comment)\nContent-Language: de-DE\n\nHallo.\n",
    b"From: not an address at all\nTo: \nSubject: Caf\xc3\xa9 raw utf-8 \xff\nDate: garbage\nMessage-ID: no brackets\n"
    b"Content-Type: multipart/mixed; boundary=\"b1\"\n\n--b1\nContent-Type: text/plain; charset=bogus-charset\n\n"
    b"text\n--b1\nContent-Type: application/pdf; name*=utf-8''r%C3%A9sum%C3%A9.pdf\n"
    b"Content-Disposition: attachment; filename*=utf-8''r%C3%A9sum%C3%A9.pdf\nContent-Transfer-Encoding: base64\n\n"
    b"JVBERi0=\n--b1--\n",
    b"From: <>\nFrom: second@example.com\nSubject: two From headers\nDate: Tue, 20 Oct 2026 10:00:00 +0000\n"
    b"Message-ID: <two@x>\nContent-Type: text/html\n\n<p>Only <b>HTML</b></p>\n",
    b"Subject: =?unknown-8bit?q?=FF=FE?=\nFrom: \"unterminated <u@example.com>\nDate: Tue, 20 Oct 2026\n"
    b"Message-ID: <u@x\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: quoted-printable\n\n"
    b"caf=C3=A9 =\n",
    b"no headers at all, just text\n",
    b"",
]


def _corpus(tmp_path: Path) -> list[bytes]:
    generate_all(tmp_path)
    raws = [path.read_bytes() for path in (tmp_path / "email").glob("*.eml")]
    import mailbox

    box = mailbox.mbox(str(tmp_path / "email" / "support_inbox.mbox"), create=False)
    raws += [box.get_bytes(key) for key in box.iterkeys()]
    box.close()
    raws += [message(n, html="<p>hi</p>" if n % 2 else None, attachment=n % 3 == 0, reply_to="<r@x>" if n else None)
             for n in range(6)]
    return raws + HOSTILE


def _as_tuple(record):
    return dataclasses.astuple(record), record.original


@pytest.mark.parametrize("twice", [False, True])  # the second pass reads every header object from the memo
def test_remembered_headers_give_the_records_of_the_default_policy(tmp_path, monkeypatch, twice):
    raws = _corpus(tmp_path)
    mine = [connector.message_record(raw, f"m{n}") for n, raw in enumerate(raws * (2 if twice else 1))]
    monkeypatch.setattr(connector, "PARSE_POLICY", policy.default)
    monkeypatch.setattr(connector, "_plain_header", lambda msg, name, first=None: (False, None))
    reference = [connector.message_record(raw, f"m{n}") for n, raw in enumerate(raws * (2 if twice else 1))]
    assert len(raws) > 80
    assert [_as_tuple(r) for r in mine] == [_as_tuple(r) for r in reference]
    assert any(r.error for r in mine) and sum(1 for r in mine if not r.error) > 70


PIECES = ["a", "Z", "9", " ", "  ", "\t", ".", "..", "@", "<", ">", "<a@b.c>", "\"", "(", ")", "[", "]", ",", ";",
          ":", "\\", "=?", "?=", "=?utf-8?q?x?=", "{", "}", "~", "'", "-", "_", "+", "/", "#", "Customer", "12",
          "x@y.example", "Mon", "Tue,", "20 Oct 2026", "10:00:00", "+0000", "-0000", "+0200", "GMT", "Oct", "2026",
          "\n ", "\xe9", "\x7f"]
NAMES = ["Subject", "From", "To", "Message-ID", "In-Reply-To", "References", "Date", "Content-Language"]


def test_plain_headers_read_as_they_are_give_the_registry_text(monkeypatch):
    rng = random.Random(8)
    values = ["", " ", "Customer 12 <customer12@example.com>", "customer@example.com", "<m1.c2@mail.example.com>",
              "Tue, 20 Oct 2026 10:00:00 +0000", "20 Oct 2026 10:00 -0000", "garbage", "Re: Where is my parcel?"]
    values += ["".join(rng.choice(PIECES) for _ in range(rng.randint(1, 8))) for _ in range(3000)]
    checked = plain = 0
    for value in values:
        for name in NAMES:
            msg = BytesParser(policy=connector.PARSE_POLICY).parsebytes(f"{name}: {value}\n\n".encode(
                "utf-8", "surrogateescape"))
            fast, text = connector._plain_header(msg, name)
            if not fast:
                continue
            plain += 1
            try:
                expected = msg.get(name)
            except Exception as exc:  # noqa: BLE001
                expected = type(exc)
            expected = None if expected is None else (" ".join(str(expected).split()) or None) \
                if not isinstance(expected, type) else expected
            got = None if text is None else (" ".join(text.split()) or None)
            assert got == expected, (name, value)
            checked += 1
    assert checked == plain > 5000
