"""Real broken (and good) batches for the quality-gate tests, written as the connectors read them."""

from __future__ import annotations

import json

SURVEY_HEADER = ("response_id,submitted_at,survey_id,survey_type,language,customer_id,email,nps,csat,comment,"
                 "improvement\n")
TICKET_HEADER = ("Ticket ID,Subject,Description,Status,Requester,Requester email,Requester ID,Created at,Updated at,"
                 "Satisfaction Score,Satisfaction Comment,Language\n")


def survey_file(path, rows: int, *, start: int = 0, nps=lambda n: n % 11, when=lambda n: f"2026-10-{1 + n % 28:02d}"
                " 10:00:00", prefix: str = "R"):
    """Write a survey export of ``rows`` NPS responses, one comment each; ``nps`` and ``when`` per row number."""
    lines = [f"{prefix}{n},{when(n)},relationship,nps,en,C{n},,{nps(n)},,Comment {prefix} number {n},\n"
             for n in range(start, start + rows)]
    path.write_text(SURVEY_HEADER + "".join(lines), encoding="utf-8")
    return path


def ticket_file(path, ids: list[int]):
    """Write a ticket CSV export, one row per id in ``ids`` (an id twice: two rows with different descriptions)."""
    lines = [f"{t},Order {t},Problem report {n} about order {t},open,C {t},customer{t}@example.com,{1000 + t},"
             f"2026-10-{1 + n % 28:02d} 11:05:00,,,,en\n" for n, t in enumerate(ids)]
    path.write_text(TICKET_HEADER + "".join(lines), encoding="utf-8")
    return path


def social_file(path, texts: list[str]):
    """Write one X API v2 search page with a post per text."""
    posts = [{"id": str(500 + n), "text": text, "author_id": str(900 + n), "created_at": "2026-10-20T08:15:00.000Z",
              "lang": "en", "conversation_id": str(500 + n)} for n, text in enumerate(texts)]
    users = [{"id": str(900 + n), "username": f"customer{n}", "name": f"Customer {n}"} for n in range(len(texts))]
    path.write_text(json.dumps({"data": posts, "includes": {"users": users}}) + "\n", encoding="utf-8")
    return path
