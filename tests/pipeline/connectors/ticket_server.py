"""A Zendesk-compatible ticket API on loopback (a real HTTP server in a thread) that injects faults on demand.

It serves the incremental cursor export (``/api/v2/incremental/tickets/cursor.json``, pages of tickets with
sideloaded users) and ticket comments (``/api/v2/tickets/{id}/comments.json``, paginated with
``next_page``). ``fail(match, kind, times)`` makes the next ``times`` requests whose path contains
``match`` answer with a fault: ``429`` (Retry-After), ``500``, ``timeout``, ``truncate`` or ``repeat``
(the export page before the one asked for).
"""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

AGENT = {"id": 5001, "email": "agent@acme-retail.example", "name": "Sam Agent", "role": "agent"}


def dataset(tickets: int = 7):
    """Tickets from customers 1..n: description, agent answer, internal note, some follow-ups and ratings."""
    users = {AGENT["id"]: AGENT}
    data, comments = [], {}
    for n in range(1, tickets + 1):
        requester = {"id": 1000 + n, "email": f"customer{n}@example.com", "name": f"Customer {n}", "role": "end-user"}
        users[requester["id"]] = requester
        created = f"2026-10-{n + 1:02d}T09:00:00Z"
        rating = {1: {"id": 71, "score": "good", "comment": "Quick and friendly"},
                  2: {"id": 72, "score": "bad", "comment": "Nobody called me back"},
                  3: {"id": 73, "score": "offered"}}.get(n, {"score": "unoffered"})
        data.append({"id": n, "subject": f"Order problem {n}", "requester_id": requester["id"], "status": "solved",
                     "priority": "normal", "tags": ["delivery"], "created_at": created,
                     "updated_at": f"2026-10-{n + 2:02d}T12:00:00Z", "locale": "en-US",
                     "satisfaction_rating": rating})
        thread = [
            {"id": n * 100 + 1, "author_id": requester["id"], "public": True, "created_at": created,
             "plain_body": f"My order A{n}00 has not arrived.", "via": {"channel": "web"}},
            {"id": n * 100 + 2, "author_id": AGENT["id"], "public": True, "created_at": f"2026-10-{n + 1:02d}T10:00Z",
             "plain_body": "Sorry to hear that, we are checking with the courier.", "via": {"channel": "web"}},
            {"id": n * 100 + 3, "author_id": AGENT["id"], "public": False, "created_at": f"2026-10-{n + 1:02d}T10:05Z",
             "plain_body": "Internal: courier says lost.", "via": {"channel": "web"}},
        ]
        if n % 2 == 1:
            thread.append({"id": n * 100 + 4, "author_id": requester["id"], "public": True,
                           "created_at": f"2026-10-{n + 2:02d}T08:00:00Z", "via": {"channel": "email"},
                           "plain_body": "Still nothing.\n\nThanks,\nCustomer\n\nOn Tue, Sam Agent wrote:\n> checking"})
        comments[n] = thread
    return data, comments, users


class TicketApiServer:
    """The server, its data, the faults still to inject and the log of requests it answered."""

    def __init__(self, tickets: int = 7, page_size: int = 3, comment_page_size: int = 2,
                 timeout_sleep: float = 1.5) -> None:
        self.tickets, self.comments, self.users = dataset(tickets)
        self.page_size, self.comment_page_size, self.timeout_sleep = page_size, comment_page_size, timeout_sleep
        self.faults: list[dict] = []
        self.log: list[tuple[str, int | str]] = []
        self.lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # quiet
                pass

            def do_GET(self):  # noqa: N802 - the http.server interface
                server.handle(self)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def fail(self, match: str, kind: str, times: int = 1) -> None:
        with self.lock:
            self.faults.append({"match": match, "kind": kind, "times": times})

    def _fault(self, target: str) -> str | None:
        with self.lock:
            for fault in self.faults:
                if fault["match"] in target and fault["times"] > 0:
                    fault["times"] -= 1
                    return fault["kind"]
        return None

    # -- pages -----------------------------------------------------------------------------------------------
    def export_page(self, index: int) -> dict:
        start = index * self.page_size
        page = self.tickets[start:start + self.page_size]
        last = start + self.page_size >= len(self.tickets)
        after = f"c{index + 1}"
        ids = {t["requester_id"] for t in page}
        return {"tickets": page, "users": [u for uid, u in self.users.items() if uid in ids],
                "after_cursor": after, "after_url": f"{self.url}/api/v2/incremental/tickets/cursor.json?cursor={after}",
                "before_cursor": f"c{index}" if index else None, "end_of_stream": last}

    def comments_page(self, ticket: int, page: int) -> dict:
        thread = self.comments.get(ticket, [])
        start = (page - 1) * self.comment_page_size
        chunk = thread[start:start + self.comment_page_size]
        more = start + self.comment_page_size < len(thread)
        authors = {c["author_id"] for c in chunk}
        return {"comments": chunk, "users": [u for uid, u in self.users.items() if uid in authors],
                "next_page": f"{self.url}/api/v2/tickets/{ticket}/comments.json?page={page + 1}" if more else None,
                "count": len(thread)}

    def handle(self, request: BaseHTTPRequestHandler) -> None:
        parts = urlsplit(request.path)
        query = {k: v[0] for k, v in parse_qs(parts.query).items()}
        fault = self._fault(request.path)
        self.log.append((request.path, fault or 200))
        if fault == "429":
            return self._send(request, 429, {"error": "APIRateLimitExceeded"}, {"Retry-After": "1"})
        if fault == "500":
            return self._send(request, 500, {"error": "InternalError"})
        if fault == "timeout":
            time.sleep(self.timeout_sleep)
        if parts.path == "/api/v2/incremental/tickets/cursor.json":
            index = int(query["cursor"][1:]) if "cursor" in query else 0
            if fault == "repeat" and index:
                index -= 1
            body = self.export_page(index)
        elif parts.path.startswith("/api/v2/tickets/") and parts.path.endswith("/comments.json"):
            body = self.comments_page(int(parts.path.split("/")[4]), int(query.get("page", 1)))
        else:
            return self._send(request, 404, {"error": "RecordNotFound"})
        self._send(request, 200, body, truncate=fault == "truncate")

    @staticmethod
    def _send(request, status: int, body: dict, headers: dict | None = None, truncate: bool = False) -> None:
        data = json.dumps(body).encode()
        if truncate:
            data = data[: len(data) // 2]
        try:
            request.send_response(status)
            request.send_header("Content-Type", "application/json")
            request.send_header("Content-Length", str(len(data)))
            for key, value in (headers or {}).items():
                request.send_header(key, value)
            request.end_headers()
            request.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):  # the client gave up on a slow answer
            pass
