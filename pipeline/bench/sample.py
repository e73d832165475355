"""A large, realistic multi-channel sample for benchmarks: ``voc sample --items N --out DIR``.

Streams to disk (constant memory for any N) with a fixed seed: the same N and seed give the same
bytes. Items are split across channels like a retailer's listening pipes (surveys 35%, social 30%,
tickets 15%, e-mail 10%, reviews 10%), drawn from a shared customer base, with plausible text
lengths per channel, about 2% exact duplicates and 0.5% malformed records.
"""

from __future__ import annotations

import csv
import json
import random
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

from voc.pipeline.sample import IMPROVE, NEGATIVE, NEUTRAL, POSITIVE, PRODUCTS

SHARES = {"survey": 0.35, "social": 0.30, "ticket": 0.15, "email": 0.10, "review": 0.10}
DUPLICATE_RATE = 0.02
MALFORMED_RATE = 0.005
START = datetime(2026, 1, 1, tzinfo=UTC)
SPAN_DAYS = 300

OPENERS = ["", "", "Hi, ", "Hello team, ", "Honestly, ", "Just so you know, ", "Again: ", "Quick feedback: "]
DETAILS = [
    "", "", "Order {o}.", "This was order {o}.", "I ordered the {p} on {d}.", "Third time this month.",
    "My partner had the same problem.", "I have been a customer for {y} years.", "Please sort it out.",
    "The {p} itself is fine though.", "Tracking still says processing.", "Nobody answered my e-mail.",
]
CLOSERS = ["", "", "", " Thanks.", " Not happy.", " Great job!", " Please call me back.", " Cheers"]


def _sentence(rng: random.Random, tone: float) -> str:
    pool = NEGATIVE if tone < 0.4 else NEUTRAL if tone < 0.6 else POSITIVE
    return rng.choice(pool)


def _text(rng: random.Random, tone: float, sentences: int) -> str:
    parts = [rng.choice(OPENERS) + _sentence(rng, tone)]
    for _ in range(sentences - 1):
        detail = rng.choice(DETAILS).format(o=f"A{rng.randrange(100000, 999999)}", p=rng.choice(PRODUCTS),
                                           d=f"{rng.randint(1, 28)} {rng.choice(['May', 'June', 'July'])}",
                                           y=rng.randint(2, 15))
        parts.append(detail or _sentence(rng, tone))
    return " ".join(p for p in parts if p) + rng.choice(CLOSERS)


class _Writer:
    """Shared state of one generation run: random source, customers, a time cursor."""

    def __init__(self, seed: int, customers: int) -> None:
        self.rng = random.Random(seed)
        self.customers = customers

    def customer(self) -> int:
        # a long tail: a few customers speak often, most once or twice
        return min(int(self.rng.paretovariate(1.2)) - 1, self.customers - 1) if self.rng.random() < 0.3 \
            else self.rng.randrange(self.customers)

    def when(self) -> datetime:
        return START + timedelta(seconds=self.rng.randrange(SPAN_DAYS * 86400))

    def tone(self) -> float:
        return self.rng.random()

    def bad(self) -> bool:
        return self.rng.random() < MALFORMED_RATE

    def dup(self) -> bool:
        return self.rng.random() < DUPLICATE_RATE


def _surveys(w: _Writer, path: Path, n: int) -> None:
    columns = ["response_id", "submitted_at", "survey_id", "survey_type", "language", "customer_id", "email",
               "nps", "csat", "comment", "improvement"]
    with path.open("w", newline="", encoding="utf-8") as fh:
        out = csv.writer(fh)
        out.writerow(columns)
        written = 0
        last = None
        while written < n:
            if last and w.dup():
                out.writerow(last)
                written += 1
                continue
            c, tone = w.customer(), w.tone()
            nps = str(round(tone * 10)) if w.rng.random() < 0.6 else ""
            csat = "" if nps else str(1 + round(tone * 4))
            improve = w.rng.choice(IMPROVE) if nps else ""
            row = [f"R{written:08d}", w.when().strftime("%Y-%m-%d %H:%M:%S"), "relationship_nps" if nps else
                   "post_purchase_csat", "nps" if nps else "csat", "en", f"C{10000 + c}",
                   f"customer{c}@example.com" if w.rng.random() < 0.5 else "", nps, csat,
                   _text(w.rng, tone, w.rng.randint(1, 2)), improve]
            if w.bad():
                row[1] = "not a date"
            out.writerow(row)
            last = row
            written += 1 + (1 if improve else 0)


def _social(w: _Writer, path: Path, n: int) -> None:
    with path.open("w", encoding="utf-8") as fh:
        last = None
        for i in range(n):
            if last and w.dup():
                fh.write(last)
                continue
            c, tone = w.customer(), w.tone()
            post = {"id": f"{1800000000000000000 + i}", "text": "@AcmeRetail " + _text(w.rng, tone, 1),
                    "author_id": f"{900000 + c}", "created_at": w.when().strftime("%Y-%m-%dT%H:%M:%S.000Z"),
                    "lang": "en", "conversation_id": f"{1800000000000000000 + i}"}
            if w.bad():
                post.pop("created_at")
            line = json.dumps({"data": [post], "includes": {"users": [
                {"id": f"{900000 + c}", "username": f"customer{c}", "name": f"Customer {c}"}]}}) + "\n"
            fh.write(line)
            last = line


def _tickets(w: _Writer, path: Path, n: int) -> None:
    columns = ["Ticket ID", "Created at", "Requester email", "Requester external id", "Subject", "Description",
               "Satisfaction score", "Satisfaction comment", "Status"]
    with path.open("w", newline="", encoding="utf-8") as fh:
        out = csv.writer(fh)
        out.writerow(columns)
        for i in range(n):
            c, tone = w.customer(), w.tone()
            row = [str(500000 + i), w.when().strftime("%Y-%m-%d %H:%M:%S"), f"customer{c}@example.com",
                   f"C{10000 + c}", _sentence(w.rng, tone)[:60], _text(w.rng, tone, w.rng.randint(2, 4)),
                   "", "", "solved"]
            if w.bad():
                row[0] = ""
            out.writerow(row)


def _emails(w: _Writer, path: Path, n: int) -> None:
    with path.open("w", encoding="utf-8", newline="\n") as fh:
        for i in range(n):
            c, tone = w.customer(), w.tone()
            when = w.when()
            body = _text(w.rng, tone, w.rng.randint(3, 6))
            if w.bad():
                body = body + "\x00"
            fh.write(f"From customer{c}@example.com {when:%a %b %d %H:%M:%S %Y}\n"
                     f"From: Customer {c} <customer{c}@example.com>\nTo: support@acme-retail.example\n"
                     f"Subject: {_sentence(w.rng, tone)[:50]}\nDate: {format_datetime(when)}\n"
                     f"Message-ID: <bench-{i}@mail.example>\nContent-Type: text/plain; charset=utf-8\n\n"
                     f"{body}\n\nBest regards,\nCustomer {c}\n\n")


def _reviews(w: _Writer, path: Path, n: int) -> None:
    with path.open("w", encoding="utf-8") as fh:
        for i in range(n):
            c, tone = w.customer(), w.tone()
            review = {"review_id": f"RV{i:08d}", "rating": 1 + round(tone * 4), "title": _sentence(w.rng, tone)[:40],
                      "body": _text(w.rng, tone, w.rng.randint(1, 3)), "author": f"customer{c}",
                      "date": w.when().strftime("%Y-%m-%d"), "product": w.rng.choice(PRODUCTS)}
            if w.bad():
                review["rating"] = 9
            fh.write(json.dumps(review) + "\n")


WRITERS = {"survey": ("surveys.csv", _surveys), "social": ("social.jsonl", _social),
           "ticket": ("tickets.csv", _tickets), "email": ("inbox.mbox", _emails),
           "review": ("reviews.jsonl", _reviews)}


def generate(out: Path, items: int, *, seed: int = 42, customers: int | None = None) -> list[tuple[str, str, Path]]:
    """Write about ``items`` feedback items under ``out``; return (source name, kind, file) per channel."""
    customers = customers or max(100, items // 8)
    out.mkdir(parents=True, exist_ok=True)
    files = []
    for offset, (kind, share) in enumerate(SHARES.items()):
        name, write = WRITERS[kind]
        path = out / kind / name
        path.parent.mkdir(exist_ok=True)
        write(_Writer(seed * 100 + offset, customers), path, max(1, round(items * share)))
        files.append((f"bench_{kind}", kind, path))
    return files
