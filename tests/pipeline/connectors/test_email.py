"""E-mail connector: .eml and mbox files, and a real Dovecot IMAP server on loopback read by UID."""

import mailbox
import socket
import time
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime

import pytest

from tests.helpers import count, table_counts
from tests.pipeline.connectors.imap_server import PASSWORD, USER, Dovecot
from voc.pipeline.connectors.email import ImapError, ImapReader, ImapSettings, own_words
from voc.pipeline.ingest import ingest_files, ingest_imap, run_source
from voc.pipeline.load import MAX_RECORD_BYTES, read_state
from voc.pipeline.sources import parse_sources

WHEN = datetime(2026, 10, 20, 9, 30, tzinfo=UTC)


def message(n, body="My parcel never arrived.", *, sender=None, subject="Where is my parcel?", when=WHEN,
            reply_to=None, html=None, attachment=False, message_id=None):
    msg = EmailMessage()
    msg["From"] = sender or f"Customer {n} <customer{n}@example.com>"
    msg["To"] = "support@acme-retail.example"
    msg["Subject"] = subject
    msg["Date"] = format_datetime(when)
    msg["Message-ID"] = message_id or f"<m{n}@mail.example.com>"
    if reply_to:
        msg["In-Reply-To"] = reply_to
        msg["References"] = f"<root@acme-retail.example> {reply_to}"
    msg.set_content(body)
    if html:
        msg.add_alternative(html, subtype="html")
    if attachment:
        msg.add_attachment(b"%PDF-1.4 receipt", maintype="application", subtype="pdf", filename="receipt.pdf")
    return bytes(msg)


def test_eml_keeps_the_customers_words_subject_thread_and_attachments(engine, tmp_path, items):
    body = ("Hello,\n\nThe kettle arrived with a cracked lid. I want a replacement.\n\nBest regards,\nJane Doe\n"
            "Sent from my iPhone\n\nOn Mon, 19 Oct 2026 at 10:00, Acme Support <support@acme-retail.example> wrote:\n"
            "> Thank you for your message.\n> We are looking into it.\n")
    (tmp_path / "a.eml").write_bytes(message(1, body, reply_to="<r1@acme-retail.example>", attachment=True,
                                             sender="Jane Doe <Jane.Doe@Example.com>"))
    [report] = ingest_files(engine, "email", [tmp_path])
    assert (report.read, report.loaded, report.items) == (1, 1, 1)
    [row] = items("email")
    assert row["text"] == "Hello,\n\nThe kettle arrived with a cracked lid. I want a replacement."
    assert (row["channel"], row["is_aided"], row["source_item_key"]) == ("email", False, "<m1@mail.example.com>")
    assert row["title"] == "Where is my parcel?"
    assert (row["thread_key"], row["parent_key"]) == ("<root@acme-retail.example>", "<r1@acme-retail.example>")
    assert row["attachments"] == [{"filename": "receipt.pdf", "content_type": "application/pdf", "size": 16,
                                   "sha256": row["attachments"][0]["sha256"]}]
    assert row["customer_ids"]["email"].startswith("sha256:") and row["customer_key"].startswith("email:")
    with engine.connect() as conn:
        raw = conn.exec_driver_sql("SELECT payload FROM raw.record").scalar_one()
    assert raw["from"] == "Jane.Doe@Example.com" and "PDF-1.4" not in str(raw)  # attachment recorded, not loaded


def test_html_only_mail_becomes_plain_text(tmp_path, engine, items):
    html = ("<html><head><style>p{}</style></head><body><p>My order <b>A123</b> is late.</p><p>Please call me.</p>"
            "<div class='gmail_quote'>On Monday Acme wrote: we are sorry</div></body></html>")
    msg = EmailMessage()
    msg["From"], msg["Subject"], msg["Date"], msg["Message-ID"] = ("c2@example.com", "Late", format_datetime(WHEN),
                                                                   "<h@x>")
    msg.set_content(html, subtype="html")
    (tmp_path / "h.eml").write_bytes(bytes(msg))
    ingest_files(engine, "email", [tmp_path])
    assert items("email")[0]["text"] == "My order A123 is late.\nPlease call me."


def test_reply_parsing_keeps_sentences_that_start_with_thanks():
    assert own_words("Line one.\n\nThanks, I will wait for the refund, but please hurry as I need the money.") == \
        "Line one.\n\nThanks, I will wait for the refund, but please hurry as I need the money."
    assert own_words("Refund please.\n\nCheers\nBob\n-- \nBob Smith | +44 20 7946 0000") == "Refund please."


def test_bad_messages_in_an_mbox_are_quarantined_with_reasons_and_bytes(engine, tmp_path, quarantine, items):
    path = tmp_path / "inbox.mbox"
    box = mailbox.mbox(str(path))
    no_id = message(2).replace(b"Message-ID: <m2@mail.example.com>\n", b"")
    bad_date = message(3).replace(format_datetime(WHEN).encode(), b"the day after tomorrow")
    bad_bytes = (b"From: c4@example.com\nSubject: bytes\nDate: Tue, 20 Oct 2026 10:00:00 +0000\nMessage-ID: <b@x>\n"
                 b"Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 8bit\n\nCaf\xe9 \xff\n")
    nul = message(5, "There is a \x00 in here")
    huge = message(6, "word " * (MAX_RECORD_BYTES // 4))
    for raw in (message(1), no_id, bad_date, bad_bytes, nul, huge):
        box.add(raw)
    box.flush()
    box.close()
    [report] = ingest_files(engine, "email", [path], source="archive")
    assert (report.read, report.loaded, report.quarantined) == (6, 1, 5)
    assert [r["source_item_key"] for r in items("archive")] == ["<m1@mail.example.com>"]
    got = {r["location"]: r for r in quarantine("archive")}
    assert got["inbox.mbox:message 2"]["reason"] == "message_id: the message has no Message-ID header"
    assert got["inbox.mbox:message 2"]["original"] == no_id
    assert got["inbox.mbox:message 3"]["reason"] == \
        "occurred_at: 'the day after tomorrow' in the Date header is not a date-time"
    assert got["inbox.mbox:message 4"]["reason"] == "not valid utf-8: byte 0xe9 at offset 3 of the text/plain part"
    assert got["inbox.mbox:message 4"]["original"] == bad_bytes
    assert got["inbox.mbox:message 5"]["reason"].startswith("contains NUL characters")
    assert got["inbox.mbox:message 6"]["reason"].startswith("oversize record:")
    assert len(got["inbox.mbox:message 6"]["original"]) > MAX_RECORD_BYTES
    assert {r["kind"] for r in got.values()} == {"email"}


@pytest.fixture(scope="module")
def dovecot():
    server = Dovecot()
    yield server
    server.stop()


def _settings(server, mailbox, **kw):
    return ImapSettings(host="127.0.0.1", port=server.port, ssl=False, username=USER, password=PASSWORD,
                        mailbox=mailbox, **kw)


def test_imap_reads_only_new_uids_and_the_state_survives_a_rerun(engine, dovecot, items, monkeypatch):
    box = "INBOX.first"
    dovecot.append(box, message(1), message(2, "Refund still missing"), message(3, "Charged twice"))
    monkeypatch.setenv("VOC_TEST_IMAP_PASSWORD", PASSWORD)
    [config] = parse_sources(f"""
sources:
  - name: support_inbox
    kind: email
    url: imap://127.0.0.1:{dovecot.port}/{box}
    credentials: {{username: {USER}, password_env: VOC_TEST_IMAP_PASSWORD}}
    options: {{batch_size: 2}}
""")
    reports = run_source(engine, config)
    assert [(r.read, r.loaded) for r in reports] == [(2, 2), (1, 1)]  # two batches of at most 2 UIDs
    assert reports[0].location.endswith(";UID=2") and reports[1].location.endswith(";UID=3")
    assert count(engine, "core.feedback_item") == 3
    [state] = read_state(engine, "support_inbox").values()
    assert state["last_uid"] == 3 and state["uidvalidity"] > 0
    assert run_source(engine, config) == []  # nothing new: nothing fetched, nothing stored
    dovecot.append(box, message(4, "Wrong size delivered"), message(5, "Lovely service"))
    again = run_source(engine, config)
    assert [(r.read, r.loaded) for r in again] == [(2, 2)] and again[0].location.endswith(";UID=5")
    assert sorted(r["source_item_key"] for r in items("support_inbox")) == [f"<m{n}@mail.example.com>"
                                                                            for n in range(1, 6)]
    with dovecot.client() as conn:  # fetching read-only with BODY.PEEK leaves the messages unread
        conn.select(f'"{box}"', readonly=True)
        assert conn.search(None, "UNSEEN")[1][0].split() == [b"1", b"2", b"3", b"4", b"5"]


def test_the_same_mail_from_an_archive_and_from_imap_is_stored_once(engine, dovecot, tmp_path, items):
    raw = message(7, "The jacket I ordered is the wrong colour")
    (tmp_path / "copy.eml").write_bytes(raw)
    ingest_files(engine, "email", [tmp_path], source="mail_archive")
    dovecot.append("INBOX.second", raw)
    [report] = ingest_imap(engine, "support_inbox", _settings(dovecot, "INBOX.second"))
    assert (report.read, report.loaded, report.duplicate) == (1, 0, 1)
    assert [r["source"] for r in items()] == ["mail_archive"]
    assert read_state(engine, "support_inbox")  # the UID mark is stored even though nothing was new


def test_a_wrong_password_fails_clearly_without_echoing_it(engine, dovecot):
    settings = ImapSettings(host="127.0.0.1", port=dovecot.port, ssl=False, username=USER,
                            password="wrong-secret-pw", mailbox="INBOX")
    with pytest.raises(ImapError, match="login refused") as info:
        ingest_imap(engine, "support_inbox", settings)
    assert "wrong-secret-pw" not in str(info.value)


def test_an_unreachable_server_is_retried_then_fails(engine):
    settings = ImapSettings(host="127.0.0.1", port=1, ssl=False, username=USER, password=PASSWORD, retries=2,
                            backoff=0.01, timeout=1)
    started = time.monotonic()
    with pytest.raises(ImapError, match="connection failed 3 times"):
        ingest_imap(engine, "support_inbox", settings)
    assert time.monotonic() - started < 5
    assert table_counts(engine)["raw.source_state"] == 0


def test_a_dropped_connection_is_reopened_and_the_run_continues(engine, dovecot, items):
    box = "INBOX.third"
    dovecot.append(box, *(message(20 + n, f"Complaint number {n}") for n in range(5)))
    reader = ImapReader(_settings(dovecot, box, batch_size=2, backoff=0.01))
    batches = reader.batches()
    first = next(batches)
    reader._conn.sock.shutdown(socket.SHUT_RDWR)  # the server side sees the connection drop mid-run
    rest = list(batches)
    assert reader.reconnects == 1
    assert [len(b.records) for b in (first, *rest)] == [2, 2, 1]
    assert [b.state["last_uid"] for b in (first, *rest)] == [2, 4, 5]
