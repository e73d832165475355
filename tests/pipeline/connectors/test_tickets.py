"""Ticket connector against a real HTTP server on loopback: pages, comments, faults, and a cursor that never skips."""

import time

import pytest

from tests.helpers import count, table_counts
from tests.pipeline.connectors.ticket_server import TicketApiServer
from voc.pipeline.connectors.tickets import TicketApiError, TicketApiSettings
from voc.pipeline.ingest import ingest_files, ingest_ticket_api
from voc.pipeline.load import read_state

EXPORT = "/api/v2/incremental/tickets/cursor.json"
# 7 tickets: 7 descriptions + 4 customer follow-ups + 2 ratings (good, bad); agents and internal notes excluded
ITEMS = 13


@pytest.fixture
def api():
    server = TicketApiServer()
    yield server
    server.stop()


def _settings(server, **kw):
    return TicketApiSettings(base_url=server.url, username="agent@acme-retail.example", token="t0ken",
                             timeout=0.5, backoff=0.01, max_backoff=0.05, max_attempts=4, **kw)


def _cursor(engine):
    return read_state(engine, "zendesk").get("cursor")


def test_customer_comments_and_ratings_are_feedback_agents_are_not(engine, api, items):
    reports = ingest_ticket_api(engine, "zendesk", _settings(api))
    assert [r.read for r in reports] == [3, 3, 1]
    rows = {r["source_item_key"]: r for r in items("zendesk")}
    assert len(rows) == ITEMS
    assert not any("Sorry to hear" in (r["text"] or "") or "Internal" in (r["text"] or "") for r in rows.values())
    described = rows["1#comment-101"]
    assert (described["channel"], described["is_aided"], described["text"]) == \
        ("ticket", False, "My order A100 has not arrived.")
    assert (described["thread_key"], described["title"], described["language"]) == ("1", "Order problem 1", "en-US")
    assert described["customer_key"].startswith("email:")
    assert rows["1#comment-104"]["text"] == "Still nothing."  # quoted reply and sign-off removed
    good, bad = rows["1#satisfaction"], rows["2#satisfaction"]
    assert (good["is_aided"], good["csat"], good["survey_type"], good["text"]) == (True, 5, "csat",
                                                                                    "Quick and friendly")
    assert (bad["csat"], bad["text"]) == (1, "Nobody called me back")
    assert "3#satisfaction" not in rows  # offered, not answered
    assert _cursor(engine) == {"after_cursor": "c3", "end_of_stream": True}
    # comments are paginated: ticket 1 has 4 comments over 2 pages
    assert any(path.startswith("/api/v2/tickets/1/comments.json?page=2") for path, _ in api.log)


def test_faults_are_retried_within_bounds_and_everything_lands_once(engine, api, items):
    api.fail(EXPORT, "429")  # first export request: rate limited with Retry-After: 1
    api.fail("/api/v2/tickets/2/comments.json", "500", times=2)
    api.fail("/api/v2/tickets/4/comments.json", "timeout")
    api.fail("cursor=c2", "truncate")
    api.fail("cursor=c1", "repeat")  # page 1 served again in place of page 2
    started = time.monotonic()
    reports = ingest_ticket_api(engine, "zendesk", _settings(api))
    assert time.monotonic() - started >= 1.0  # the Retry-After was honoured
    assert len(items("zendesk")) == ITEMS
    assert sum(r.loaded for r in reports) == 7 and sum(r.duplicate for r in reports) == 3  # the repeated page
    faults = [f for _, f in api.log if f != 200]
    assert sorted(faults) == ["429", "500", "500", "repeat", "timeout", "truncate"]
    assert _cursor(engine)["after_cursor"] == "c3"


def test_the_cursor_never_moves_past_unstored_tickets(engine, api, items):
    api.fail("cursor=c2", "500", times=99)  # page 3 keeps failing
    with pytest.raises(TicketApiError, match="gave up after 4 attempts: HTTP 500"):
        ingest_ticket_api(engine, "zendesk", _settings(api))
    assert _cursor(engine) == {"after_cursor": "c2", "end_of_stream": False}  # pages 1-2 stored, page 3 not
    assert {r["source_item_key"].split("#")[0] for r in items("zendesk")} == {"1", "2", "3", "4", "5", "6"}
    api.faults.clear()
    reports = ingest_ticket_api(engine, "zendesk", _settings(api))
    assert [r.read for r in reports] == [1]  # resumed at page 3 only
    assert len(items("zendesk")) == ITEMS
    before = table_counts(engine)
    assert [r.loaded for r in ingest_ticket_api(engine, "zendesk", _settings(api))] == [0]
    assert table_counts(engine) == before


def test_a_failure_inside_a_page_keeps_the_cursor_on_the_previous_page(engine, api):
    api.fail("/api/v2/tickets/5/comments.json", "timeout", times=99)  # ticket 5 is on page 2
    with pytest.raises(TicketApiError, match="timed out"):
        ingest_ticket_api(engine, "zendesk", _settings(api))
    assert _cursor(engine)["after_cursor"] == "c1"
    assert count(engine, "raw.record") == 3


def test_bad_credentials_are_not_retried(engine):
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    class Deny(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802
            self.send_response(401)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Deny)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        settings = TicketApiSettings(base_url=f"http://127.0.0.1:{httpd.server_address[1]}", username="a",
                                     token="secret-token-value", max_attempts=4)
        with pytest.raises(TicketApiError, match="HTTP 401: check the API credentials") as info:
            ingest_ticket_api(engine, "zendesk", settings)
        assert "secret-token-value" not in str(info.value)
    finally:
        httpd.shutdown()
        httpd.server_close()


HEADER = ("Ticket ID,Subject,Description,Status,Requester,Requester email,Requester ID,Created at,Updated at,"
          "Satisfaction Score,Satisfaction Comment,Language\n")


def test_csv_export_rows_become_description_and_rating_items(engine, tmp_path, items, quarantine):
    path = tmp_path / "tickets.csv"
    path.write_text(HEADER
                    + "9,Late,My parcel is late,solved,C 5,customer5@example.com,1005,2026-10-20 11:05:00,"
                      "2026-10-23 16:40:00,Bad,Took four contacts,en\n"
                    + "10,Hi,,open,C 6,customer6@example.com,1006,2026-10-21 10:00:00,,Offered,,en\n"
                    + ",No id,Text,open,C 7,customer7@example.com,1007,2026-10-21 10:00:00,,,,en\n"
                    + "12,Bad date,Text,open,C 8,customer8@example.com,1008,31/31/2026,,,,en\n",
                    encoding="utf-8")
    [report] = ingest_files(engine, "ticket", [path], source="zendesk_export")
    assert (report.read, report.loaded, report.quarantined) == (4, 1, 3)
    rows = {r["source_item_key"]: r for r in items("zendesk_export")}
    assert set(rows) == {"9#description", "9#satisfaction"}
    assert (rows["9#satisfaction"]["csat"], rows["9#satisfaction"]["occurred_at"].isoformat()) == \
        (1, "2026-10-23T16:40:00+00:00")
    reasons = {r["location"]: r["reason"] for r in quarantine("zendesk_export")}
    assert reasons == {
        "tickets.csv:3": "text: the ticket has no description and no satisfaction rating",
        "tickets.csv:4": "id: column 'Ticket ID' is missing or empty",
        "tickets.csv:5": "occurred_at: '31/31/2026' in column 'Created at' is not a date-time",
    }
