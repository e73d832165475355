"""Property-based tests (hypothesis) of every connector's parser, loaded for real: survey CSV/JSON/JSONL, social
JSONL/CSV, e-mail .eml/.mbox, ticket CSV and ticket API pages, review CSV/JSON/JSONL.

Whatever the bytes - invalid UTF-8, NUL, control characters, formulas, markup, far dates, deep nesting,
truncated JSON, broken MIME - reading and loading raise nothing, and every record is loaded, a
duplicate, or quarantined with a reason. Every example goes through the loader's steps before the
database; one in ``LOAD_ONE_IN`` (chosen by a hash of the bytes, so a failure replays) is loaded for
real, quality gate included. ``VOC_RELIABILITY_SCALE`` multiplies the examples per format.
"""

from __future__ import annotations

import hashlib
import json

import httpx
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.reliability import hostile
from tests.reliability.harness import scale
from tests.reliability.persona import SURVEY_COLUMNS, TICKET_COLUMNS
from voc.pipeline.connectors.tickets import TicketApi, TicketApiError, TicketApiSettings
from voc.pipeline.ingest import ingest_ticket_api

SOCIAL_COLUMNS = ["id", "created_at", "text", "lang", "conversation_id", "in_reply_to_id", "repost_of_id",
                  "author_handle", "author_id"]
REVIEW_FIELDS = ["review_id", "date", "body", "title", "rating", "product", "language", "author"]
LOAD_ONE_IN = 8  # loading runs the quality gate (Great Expectations, 0.3-1.5 s a batch)


def _fields(names: list[str], dates: tuple[str, ...] = ()) -> dict:
    return {name: hostile.date() if name in dates else st.one_of(hostile.text(), hostile.scalar()) for name in names}


SURVEY = hostile.record(_fields(SURVEY_COLUMNS, ("submitted_at",)))
REVIEW = hostile.record(_fields(REVIEW_FIELDS, ("date",)))
POST = hostile.record({**_fields(["id", "text", "author_id", "lang", "conversation_id"]), "created_at": hostile.date(),
                       "referenced_tweets": st.lists(hostile.record(_fields(["type", "id"])), max_size=2),
                       "public_metrics": hostile.json_value(4)})
USER = hostile.record(_fields(["id", "username", "name"]))
INCLUDES = st.fixed_dictionaries({}, optional={"users": st.lists(USER, max_size=3),
                                               "tweets": st.lists(POST, max_size=2)})
PAGE = st.one_of(
    st.fixed_dictionaries({"data": st.lists(POST, max_size=3)},
                          optional={"includes": INCLUDES, "meta": hostile.json_value(3)}),
    hostile.json_value())


def _check(engine, tmp_path, ledger, kind: str, suffix: str, data: bytes) -> None:
    suite = f"fuzz: {kind} {suffix.lstrip('.')}"
    name = hostile.unique(f"fz_{kind}")
    path = tmp_path / f"{name}{suffix}"
    path.write_bytes(data)
    try:
        hostile.convert_like_the_loader(kind, path, name)
        if hashlib.sha256(data).digest()[0] % LOAD_ONE_IN == 0:
            hostile.ingest_and_account(engine, kind, path, source=name)
    except Exception:
        ledger.add(suite, cases=1, faults=1, lost=1)
        raise
    ledger.add(suite, cases=1, faults=1)


@given(data=hostile.csv_bytes(SURVEY_COLUMNS))
def test_survey_csv(engine, tmp_path, ledger, data):
    _check(engine, tmp_path, ledger, "survey", ".csv", data)


@given(data=hostile.jsonl_bytes(SURVEY))
def test_survey_jsonl(engine, tmp_path, ledger, data):
    _check(engine, tmp_path, ledger, "survey", ".jsonl", data)


@given(data=hostile.json_bytes(SURVEY, "responses"))
def test_survey_json(engine, tmp_path, ledger, data):
    _check(engine, tmp_path, ledger, "survey", ".json", data)


@given(data=hostile.jsonl_bytes(PAGE))
def test_social_api_jsonl(engine, tmp_path, ledger, data):
    _check(engine, tmp_path, ledger, "social", ".jsonl", data)


@given(data=hostile.csv_bytes(SOCIAL_COLUMNS))
def test_social_csv(engine, tmp_path, ledger, data):
    _check(engine, tmp_path, ledger, "social", ".csv", data)


@given(data=hostile.email_bytes())
def test_email_eml(engine, tmp_path, ledger, data):
    _check(engine, tmp_path, ledger, "email", ".eml", data)


@given(data=hostile.mbox_bytes())
def test_email_mbox(engine, tmp_path, ledger, data):
    _check(engine, tmp_path, ledger, "email", ".mbox", data)


@given(data=hostile.csv_bytes(TICKET_COLUMNS))
def test_ticket_csv(engine, tmp_path, ledger, data):
    _check(engine, tmp_path, ledger, "ticket", ".csv", data)


@given(data=hostile.csv_bytes(REVIEW_FIELDS))
def test_review_csv(engine, tmp_path, ledger, data):
    _check(engine, tmp_path, ledger, "review", ".csv", data)


@given(data=hostile.json_bytes(REVIEW, "reviews"))
def test_review_json(engine, tmp_path, ledger, data):
    _check(engine, tmp_path, ledger, "review", ".json", data)


@given(data=hostile.jsonl_bytes(REVIEW))
def test_review_jsonl(engine, tmp_path, ledger, data):
    _check(engine, tmp_path, ledger, "review", ".jsonl", data)


# -- the ticket API: hostile pages over HTTP -------------------------------------------------------------------------
# Bodies are JSON with \\uXXXX escapes, lone surrogates included.

API_ID = st.one_of(st.integers(), st.none(), hostile.text())
COMMENT = hostile.record({**_fields(["id", "author_id", "plain_body", "body"]), "public": hostile.scalar(),
                          "created_at": hostile.date(), "via": hostile.json_value(3)})
TICKET = hostile.record({**_fields(["subject", "requester_id", "status", "locale"]), "id": API_ID,
                         "created_at": hostile.date(), "updated_at": hostile.date(),
                         "satisfaction_rating": st.one_of(hostile.json_value(3), hostile.record(_fields(["score",
                                                                                                         "comment"])))})
BODY = st.one_of(
    st.fixed_dictionaries({"tickets": st.lists(TICKET, max_size=3), "end_of_stream": st.just(True)},
                          optional={"users": st.lists(hostile.record(_fields(["id", "email", "name", "role"])),
                                                      max_size=3)}),
    hostile.json_value(),
).map(json.dumps)
RAW_BODY = st.one_of(BODY.map(str.encode), st.binary(max_size=100), BODY.map(lambda b: b[: len(b) // 2].encode()))


@settings(max_examples=6 * scale())
@given(export=RAW_BODY, comments=st.lists(st.one_of(
    st.fixed_dictionaries({"comments": st.lists(COMMENT, max_size=3)}).map(json.dumps).map(str.encode),
    RAW_BODY), min_size=1, max_size=3))
def test_ticket_api_pages(engine, ledger, export, comments):
    """Any export page and comment pages: the run stores every ticket record or fails with TicketApiError,
    and the stored cursor never covers a page that was not stored."""
    answers = iter(comments)

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("cursor.json"):
            return httpx.Response(200, content=export, headers={"Content-Type": "application/json"})
        return httpx.Response(200, content=next(answers, b'{"comments": []}'))

    settings = TicketApiSettings(base_url="https://tickets.example", username="u", token="t", max_attempts=2,
                                 backoff=0, max_backoff=0, timeout=1)
    api = TicketApi(settings, client=httpx.Client(base_url=settings.base_url, transport=httpx.MockTransport(handler)))
    source = hostile.unique("fz_ticket_api")
    try:
        reports = ingest_ticket_api(engine, source, settings, api=api)
    except TicketApiError:
        reports = []  # a page that cannot be read fails the run; nothing of it is stored, no cursor moves
    except Exception:
        ledger.add("fuzz: ticket api json", cases=1, faults=1, lost=1)
        raise
    with engine.connect() as conn:
        cursor = conn.exec_driver_sql("SELECT count(*) FROM raw.source_state WHERE source = %s",
                                      (source,)).scalar_one()
    assert bool(cursor) == bool(reports)  # the cursor moved exactly when the page was stored
    for report in reports:
        assert report.read == report.loaded + report.duplicate + report.quarantined
    ledger.add("fuzz: ticket api json", cases=1, faults=1)
