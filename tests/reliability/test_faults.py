"""Random fault schedules against the real connector servers: the loopback ticket API (429, 5xx, timeouts,
truncated JSON, a repeated page) and a real Dovecot whose connections are cut mid-run. Retries stay within
their bounds; a run either completes or fails with the connector's error; the stored cursor never covers a
page or UID that was not stored; a re-run without faults leaves every ticket and message exactly once."""

from __future__ import annotations

import imaplib
import random
import socket
import time
from email.message import EmailMessage

import pytest

from tests.pipeline.connectors.imap_server import PASSWORD, USER, Dovecot
from tests.pipeline.connectors.ticket_server import TicketApiServer
from tests.reliability.harness import scale, seed
from voc.pipeline.connectors.email import ImapError, ImapSettings
from voc.pipeline.connectors.tickets import TicketApiError, TicketApiSettings
from voc.pipeline.db import get_engine
from voc.pipeline.ingest import ingest_imap, ingest_ticket_api
from voc.pipeline.load import read_state

SUITE_API = "faults: ticket API"
SUITE_IMAP = "faults: IMAP disconnects"
KINDS = ("429", "500", "timeout", "truncate", "repeat")
EXPORT = "/api/v2/incremental/tickets/cursor.json"


def _items(engine, source: str) -> list[str]:
    with engine.connect() as conn:
        return conn.exec_driver_sql("SELECT source_item_key FROM core.feedback_item WHERE source = %s",
                                    (source,)).scalars().all()


@pytest.fixture
def api():
    server = TicketApiServer(tickets=8, page_size=4, comment_page_size=2, timeout_sleep=0.3)
    yield server
    server.stop()


def _api_settings(server) -> TicketApiSettings:
    return TicketApiSettings(base_url=server.url, username="agent@acme.example", token="t", timeout=0.15,
                             backoff=0.005, max_backoff=0.02, max_attempts=3, max_retry_after=0.02)


def test_random_ticket_api_faults_never_skip_or_double_a_ticket(engine, fresh_db, api, ledger):
    rng = random.Random(seed())
    ingest_ticket_api(engine, "zendesk", _api_settings(api))
    expected = sorted(_items(engine, "zendesk"))
    pages = {f"c{i}" for i in range(2)}  # 8 tickets, 4 a page
    for round_ in range(4 * scale()):
        # a database per round: the same tickets under another source name would be content duplicates
        with fresh_db() as url:
            _api_round(round_, get_engine(url), api, rng, expected, pages, ledger)


def _api_round(round_, engine, api, rng, expected, pages, ledger) -> None:
    source = "zendesk"
    api.faults.clear()
    api.log.clear()
    for _ in range(rng.randint(1, 4)):
        target = rng.choice([EXPORT, "cursor=c1",
                             *(f"/api/v2/tickets/{n}/comments.json" for n in range(1, 9))])
        api.fail(target, rng.choice(KINDS), times=rng.randint(1, 3))
    started = time.monotonic()
    try:
        ingest_ticket_api(engine, source, _api_settings(api))
        failed = False
    except TicketApiError:
        failed = True
    bounded = time.monotonic() - started < 30
    faults = sum(1 for _, status in api.log if status != 200)
    cursor = (read_state(engine, source).get("cursor") or {}).get("after_cursor")
    stored = {key.split("#")[0] for key in _items(engine, source)}
    # tickets of every page up to the stored cursor are stored: c<k> follows page k-1
    covered = {str(n) for n in range(1, 4 * int(cursor[1:]) + 1)} if cursor in pages | {"c2"} else set()
    skipped = covered - stored
    api.faults.clear()
    ingest_ticket_api(engine, source, _api_settings(api))  # a plain re-run
    final = _items(engine, source)
    lost = len(set(expected) - set(final))
    duplicates = len(final) - len(set(final)) + len(set(final) - set(expected))
    ledger.add(SUITE_API, cases=1, faults=faults, lost=lost + len(skipped), duplicates=duplicates)
    engine.dispose()
    assert bounded and not skipped, (round_, failed, cursor, skipped)
    assert (lost, duplicates) == (0, 0), (round_, api.log)


def _message(n: int) -> bytes:
    msg = EmailMessage()
    msg["From"] = f"Customer {n} <customer{n}@example.com>"
    msg["To"] = "support@acme-retail.example"
    msg["Subject"] = f"Order {n}"
    msg["Date"] = "Tue, 20 Oct 2026 10:00:00 +0000"
    msg["Message-ID"] = f"<fault-{n}@mail.example.com>"
    msg.set_content(f"My parcel number {n} never arrived.")
    return bytes(msg)


@pytest.fixture
def dovecot():
    server = Dovecot()
    yield server
    server.stop()


def test_random_imap_disconnects_never_skip_or_double_a_message(fresh_db, dovecot, monkeypatch, ledger):
    rng = random.Random(seed() + 1)
    box = "INBOX.faults"
    dovecot.append(box, *(_message(n) for n in range(12)))
    cuts = {"planned": 0}
    real_uid = imaplib.IMAP4.uid

    def flaky_uid(self, command, *args):
        if cuts["planned"] and rng.random() < 0.4:
            cuts["planned"] -= 1
            self.sock.shutdown(socket.SHUT_RDWR)  # the connection drops under the command
        return real_uid(self, command, *args)

    monkeypatch.setattr(imaplib.IMAP4, "uid", flaky_uid)
    for round_ in range(3 * scale()):
        with fresh_db() as url:
            _imap_round(round_, get_engine(url), dovecot, box, cuts, rng, ledger)


def _imap_round(round_, engine, dovecot, box, cuts, rng, ledger) -> None:
    source = "support_inbox"
    settings = ImapSettings(host="127.0.0.1", port=dovecot.port, ssl=False, username=USER, password=PASSWORD,
                            mailbox=box, batch_size=6, retries=2, backoff=0.01, timeout=5)
    cuts["planned"] = rng.randint(1, 6)
    planned = cuts["planned"]
    try:
        ingest_imap(engine, source, settings)
    except ImapError:
        pass  # more cuts in a row than retries: the run fails, what was stored stays stored
    state = read_state(engine, source).get(settings.state_key) or {}
    stored = len(_items(engine, source))
    ahead = state.get("last_uid", 0) - stored  # UIDs 1..12: the mark never passes unstored messages
    cuts["planned"] = 0
    ingest_imap(engine, source, settings)
    final = _items(engine, source)
    lost, duplicates = 12 - len(set(final)), len(final) - len(set(final))
    engine.dispose()
    ledger.add(SUITE_IMAP, cases=1, faults=planned - cuts["planned"], lost=lost + max(ahead, 0),
               duplicates=duplicates)
    assert ahead <= 0, (round_, state, stored)
    assert (lost, duplicates) == (0, 0), round_
