"""Support tickets: a Zendesk-compatible API (incremental cursor export of tickets and their comments) and CSV exports.

Only the requester's (customer's) public comments are feedback; agents' comments and internal notes are not.
A ticket's satisfaction rating (good/bad with an optional comment) is aided feedback with a CSAT score:
good is 5, bad is 1 (``survey_id`` ``ticket_satisfaction``).

The API reader retries HTTP 429 (after its Retry-After), 5xx, timeouts, dropped connections and truncated
JSON a bounded number of times with exponential backoff. It yields one page at a time with the cursor
that follows it; the caller stores the page and that cursor in one transaction, so the cursor never
moves past tickets that were not stored.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import httpx
from tenacity import (
    RetryCallState,
    Retrying,
    retry_if_exception_type,
    stop_after_attempt,
    wait_exponential,
    wait_random,
)

from voc.pipeline.connectors.base import RecordError, SourceRecord
from voc.pipeline.connectors.columns import ColumnMapping, language, parse_when
from voc.pipeline.connectors.email import own_words
from voc.pipeline.connectors.files import read_csv
from voc.pipeline.connectors.http_logs import hide_secrets_in_http_logs
from voc.schemas import item_id

SUFFIXES = (".csv",)
EXPORT_PATH = "/api/v2/incremental/tickets/cursor.json"
CUSTOMER_ROLES = ("end-user",)
SATISFACTION = {"good": 5, "bad": 1}
log = logging.getLogger(__name__)
hide_secrets_in_http_logs()


class TicketApiError(RuntimeError):
    """The ticket API cannot be read: bad credentials, a non-retryable status, or retries exhausted."""


class _Retryable(Exception):
    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


@dataclass(frozen=True)
class TicketApiSettings:
    """Where the API is, how to authenticate and how hard to retry."""

    base_url: str
    username: str | None = None  # Zendesk API token auth: ``agent@company.com`` with ``token``
    token: str | None = field(default=None, repr=False)
    bearer: str | None = field(default=None, repr=False)  # OAuth access token instead
    start_time: int = 0  # epoch seconds of the first export when no cursor is stored
    timeout: float = 30.0
    max_attempts: int = 5
    backoff: float = 1.0
    max_backoff: float = 60.0
    max_retry_after: float = 300.0
    max_cursor_repeats: int = 3

    def __post_init__(self) -> None:
        parts = urlsplit(self.base_url)
        if parts.username is not None or parts.password is not None:  # httpx would log them with every request
            raise TicketApiError("the ticket API base URL must not hold credentials (user:password@host): "
                                 "give username and token instead")


@dataclass(frozen=True)
class TicketPage:
    """One export page: a record per ticket (with its comments), and the cursor to store with them."""

    records: list[SourceRecord]
    after_cursor: str | None
    end_of_stream: bool
    url: str


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("Retry-After")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:  # an HTTP date: wait until then, measured against the server's own Date header
        then = parsedate_to_datetime(value)
        now = parsedate_to_datetime(response.headers["Date"]) if "Date" in response.headers else None
        return max(0.0, (then - now).total_seconds()) if now else None
    except (TypeError, ValueError, KeyError):
        return None


class TicketApi:
    """A client of the Zendesk-compatible API that retries what is worth retrying and nothing else."""

    def __init__(self, settings: TicketApiSettings, client: httpx.Client | None = None) -> None:
        self.settings = settings
        auth = None
        headers = {"Accept": "application/json", "User-Agent": "voc-pipeline"}
        if settings.bearer:
            headers["Authorization"] = f"Bearer {settings.bearer}"
        elif settings.username and settings.token:
            auth = httpx.BasicAuth(f"{settings.username}/token", settings.token)
        self.client = client or httpx.Client(base_url=settings.base_url, auth=auth, headers=headers,
                                             timeout=settings.timeout, follow_redirects=False)
        self.requests = 0
        self.retries = 0
        self._origin = urlsplit(settings.base_url)[:2]

    def close(self) -> None:
        self.client.close()

    def _wait(self, state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        if isinstance(exc, _Retryable) and exc.retry_after is not None:
            return min(exc.retry_after, self.settings.max_retry_after)
        backoff = wait_exponential(multiplier=self.settings.backoff, max=self.settings.max_backoff)
        return backoff(state) + wait_random(0, self.settings.backoff)(state)  # jitter spreads retrying clients

    def _log_retry(self, state: RetryCallState) -> None:
        self.retries += 1
        log.warning("ticket API: %s; retry %d of %d", state.outcome.exception(), state.attempt_number,
                    self.settings.max_attempts - 1)

    def get_json(self, url: str, params: dict | None = None) -> dict:
        """GET a JSON object, retrying 429, 5xx, timeouts, dropped connections and truncated bodies."""
        if urlsplit(url)[:2] not in (self._origin, ("", "")):
            raise TicketApiError(f"refusing to follow {url}: not on {self.settings.base_url}")
        retrying = Retrying(stop=stop_after_attempt(self.settings.max_attempts), wait=self._wait,
                            retry=retry_if_exception_type(_Retryable), before_sleep=self._log_retry, reraise=True)
        try:
            return retrying(self._get_once, url, params)
        except _Retryable as exc:
            raise TicketApiError(f"{url}: gave up after {self.settings.max_attempts} attempts: {exc}") from None

    def _get_once(self, url: str, params: dict | None) -> dict:
        self.requests += 1
        try:
            response = self.client.get(url, params=params)
        except httpx.TimeoutException as exc:
            raise _Retryable(f"timed out ({type(exc).__name__})") from None
        except httpx.TransportError as exc:
            raise _Retryable(f"connection failed ({type(exc).__name__}: {exc})") from None
        if response.status_code == 429:
            raise _Retryable("HTTP 429 rate limited", _retry_after(response))
        if response.status_code >= 500:
            raise _Retryable(f"HTTP {response.status_code}", _retry_after(response))
        if response.status_code in (401, 403):
            raise TicketApiError(f"{url}: HTTP {response.status_code}: check the API credentials")
        if response.status_code != 200:
            raise TicketApiError(f"{url}: HTTP {response.status_code}: {response.text[:200]}")
        try:
            body = response.json()
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise _Retryable(f"truncated or malformed JSON ({exc})") from None
        if not isinstance(body, dict):
            raise _Retryable("the response is not a JSON object")
        return body

    def pages(self, cursor: str | None) -> Iterator[TicketPage]:
        """Yield export pages from ``cursor`` (None: from ``start_time``) to the end of the stream."""
        repeats = 0
        while True:
            params = {"cursor": cursor} if cursor else {"start_time": self.settings.start_time}
            params["include"] = "users"
            page = self.get_json(EXPORT_PATH, params)
            tickets = page.get("tickets")
            if not isinstance(tickets, list):
                raise TicketApiError(f"{EXPORT_PATH}: the page has no tickets[] list")
            users = _users(page)
            records = []
            for index, ticket in enumerate(tickets):
                records.append(self._ticket_record(ticket, users, f"{EXPORT_PATH}?cursor={cursor}#tickets[{index}]"))
            after = page.get("after_cursor")
            end = bool(page.get("end_of_stream")) or not after
            yield TicketPage(records, after or cursor, end, f"{EXPORT_PATH}?cursor={cursor or ''}")
            if end:
                return
            repeats = repeats + 1 if after == cursor else 0
            if repeats >= self.settings.max_cursor_repeats:
                raise TicketApiError(f"{EXPORT_PATH}: the cursor did not advance after {repeats} pages")
            cursor = after

    def _ticket_record(self, ticket: object, users: dict, location: str) -> SourceRecord:
        if not isinstance(ticket, dict) or ticket.get("id") in (None, ""):
            return SourceRecord(location, ticket, error="id: the ticket has no id")
        ticket_id = ticket["id"]
        # the id goes into a URL path: only a ticket number may, never text that could reach another path
        if isinstance(ticket_id, bool) or not (isinstance(ticket_id, int) or (
                isinstance(ticket_id, str) and ticket_id.isascii() and ticket_id.isdigit())):
            return SourceRecord(location, ticket, error=f"id: {str(ticket_id)[:100]!r} is not a ticket number")
        comments, url = [], f"/api/v2/tickets/{ticket_id}/comments.json"
        params = {"include": "users"}
        while url:
            body = self.get_json(url, params)
            comments.extend(c for c in body.get("comments") or [] if isinstance(c, dict))
            users.update(_users(body))
            meta, links = body.get("meta") or {}, body.get("links") or {}
            url = body.get("next_page") or (links.get("next") if meta.get("has_more") else None)
            params = None
        wanted = {ticket.get("requester_id"), *(c.get("author_id") for c in comments)}
        return SourceRecord(f"/api/v2/tickets/{ticket_id}@{ticket.get('updated_at', '')}", {
            "ticket": ticket, "comments": comments,
            "users": [users[u] for u in wanted if u in users],
        })


def _users(body: dict) -> dict:
    return {u["id"]: {k: u.get(k) for k in ("id", "email", "name", "role")}
            for u in body.get("users") or [] if isinstance(u, dict) and "id" in u}


# -- items -------------------------------------------------------------------------------------------------------

def to_items(record: SourceRecord, mapping: ColumnMapping, source: str) -> list[dict]:
    """Return the items of one ticket (API record or CSV row), or raise ``RecordError``."""
    payload = record.payload
    if not isinstance(payload, dict):
        raise RecordError("a ticket must be an object")
    if isinstance(payload.get("ticket"), dict):
        return _api_ticket(payload, record.location, source)
    return _csv_ticket(payload, record.location, mapping, source)


def _satisfaction(source, ticket_id, score, comment, when, ids, location, title) -> dict | None:
    value = SATISFACTION.get(str(score or "").strip().lower())
    if value is None:  # offered / unoffered / empty: no rating given
        return None
    key = f"{ticket_id}#satisfaction"
    return {
        "item_id": item_id(source, key), "source": source, "source_item_key": key, "channel": "ticket",
        "aided": True, "occurred_at": when, "customer_ids": ids, "text": (comment or "").strip() or None,
        "csat": value, "survey_id": "ticket_satisfaction", "survey_type": "csat", "question": "satisfaction",
        "raw_ref": location, "context": {"thread_key": str(ticket_id), "title": title} if title else
        {"thread_key": str(ticket_id)},
    }


def _api_ticket(payload: dict, location: str, source: str) -> list[dict]:
    ticket = payload["ticket"]
    ticket_id = ticket.get("id")
    if ticket_id in (None, ""):
        raise RecordError("id: the ticket has no id")
    users = {u.get("id"): u for u in payload.get("users") or [] if isinstance(u, dict)}
    requester = ticket.get("requester_id")
    ids = {}
    if (users.get(requester) or {}).get("email"):
        ids["email"] = users[requester]["email"]
    if requester is not None:
        ids["external_id"] = f"ticket-requester:{requester}"
    title = (ticket.get("subject") or "").strip() or None
    attributes = {k: ticket.get(k) for k in ("status", "priority", "tags", "type") if ticket.get(k)}
    items = []
    for comment in payload.get("comments") or []:
        author = comment.get("author_id")
        role = (users.get(author) or {}).get("role")
        if not comment.get("public", True) or (author != requester and role not in CUSTOMER_ROLES):
            continue  # agents' answers and internal notes are not customer feedback
        if comment.get("id") in (None, ""):
            raise RecordError(f"comments: a comment of ticket {ticket_id} has no id")
        if not comment.get("created_at"):
            raise RecordError(f"occurred_at: comment {comment['id']} has no created_at")
        text = comment.get("plain_body") or comment.get("body") or ""
        if ((comment.get("via") or {}).get("channel")) == "email":
            text = own_words(text)
        if not text.strip():
            continue
        key = f"{ticket_id}#comment-{comment['id']}"
        items.append({
            "item_id": item_id(source, key), "source": source, "source_item_key": key, "channel": "ticket",
            "aided": False, "occurred_at": parse_when(str(comment["created_at"]), f"comment {comment['id']}"),
            "customer_ids": ids, "text": text.strip(), "language": language(ticket.get("locale")),
            "raw_ref": f"{location}#comment-{comment['id']}",
            "context": {"thread_key": str(ticket_id), "title": title, "attributes": attributes},
        })
    rating = ticket.get("satisfaction_rating")
    if isinstance(rating, dict):
        when = ticket.get("updated_at") or ticket.get("created_at")
        if not when:
            raise RecordError(f"occurred_at: ticket {ticket_id} has a rating but no updated_at")
        item = _satisfaction(source, ticket_id, rating.get("score"), rating.get("comment"),
                             parse_when(str(when), f"ticket {ticket_id} updated_at"), ids, location, title)
        if item:
            items.append(item)
    return items


def _csv_ticket(row: dict, location: str, mapping: ColumnMapping, source: str) -> list[dict]:
    ticket_id = mapping.required(row, "id")
    when = parse_when(mapping.required(row, "occurred_at"), f"column {mapping.columns['occurred_at']!r}",
                      mapping.timezone)
    ids = mapping.customer_ids(row)
    if "external_id" in ids:
        ids["external_id"] = f"ticket-requester:{ids['external_id']}"
    title = mapping.cell(row, "title")
    items = []
    text = mapping.cell(row, "text")
    if text:
        key = f"{ticket_id}#description"
        items.append({
            "item_id": item_id(source, key), "source": source, "source_item_key": key, "channel": "ticket",
            "aided": False, "occurred_at": when, "customer_ids": ids, "text": text,
            "language": language(mapping.cell(row, "language")), "raw_ref": location,
            "context": {"thread_key": ticket_id, "title": title} if title else {"thread_key": ticket_id},
        })
    rated_at = mapping.cell(row, "satisfaction_at")
    rated = parse_when(rated_at, f"column {mapping.columns['satisfaction_at']!r}", mapping.timezone) \
        if rated_at else when
    item = _satisfaction(source, ticket_id, mapping.cell(row, "satisfaction"),
                         mapping.cell(row, "satisfaction_comment"), rated, ids, location, title)
    if item:
        items.append(item)
    if not items:
        raise RecordError("text: the ticket has no description and no satisfaction rating")
    return items


def read_ticket_file(path: Path) -> Iterator[SourceRecord]:
    """Yield one record per row of a ticket CSV export."""
    if path.suffix.lower() not in SUFFIXES:
        raise ValueError(f"{path}: unsupported ticket file type {path.suffix!r} (use .csv; the API needs a source "
                         "in sources.yaml)")
    yield from read_csv(path)


def page_url(base_url: str, cursor: str | None) -> str:
    """Return the absolute export URL of a cursor, for load locations."""
    return urljoin(base_url, EXPORT_PATH) + (f"?cursor={cursor}" if cursor else "")
