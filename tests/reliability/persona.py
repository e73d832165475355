"""A person who speaks on every channel, with words of their own, and a few records of theirs that are rejected.

``write_person(folder, n)`` writes customer ``n`` of the bundled sample (customer id ``C1000n``, address
``customer<n>@example.com``, handle ``@customer<n>``, X user ``900000n``, ticket requester ``700000n``) into
files for each connector, and returns (files by kind, the strings that identify the person). Everything
they say carries their own order number ``A55500<n>``, so a search for it finds only them.
"""

from __future__ import annotations

import csv
import json
from email.message import EmailMessage
from pathlib import Path

from voc.pipeline.identity import protect

SURVEY_COLUMNS = ["response_id", "submitted_at", "survey_id", "survey_type", "language", "customer_id", "email",
                  "nps", "csat", "comment", "improvement"]
TICKET_COLUMNS = ["Ticket ID", "Subject", "Description", "Status", "Requester", "Requester email", "Requester ID",
                  "Created at", "Updated at", "Satisfaction Score", "Satisfaction Comment", "Language"]
QUIET_DAY = "2026-11-03"  # after the sample's four weeks: the person's complaints rise above a zero baseline


def identifiers(n: int) -> dict[str, str]:
    email = f"customer{n}@example.com"
    digest = protect({"email": email})["email"].removeprefix("sha256:")
    phone = f"+44 20 7946 0{n:03d}"
    return {"email": email, "customer_id": f"C{10000 + n}", "handle": f"customer{n}", "x_user": f"{9_000_000 + n}",
            "requester": f"{7_000_000 + n}", "name": f"Customer {n}", "order": f"A55500{n}", "phone": phone,
            "phone_digits": "".join(c for c in phone if c.isdigit() or c == "+"), "email_sha256": digest,
            "email_key": digest[:24]}


def _message(sender: str, name: str, subject: str, body: str, message_id: str, when: str) -> bytes:
    msg = EmailMessage()
    msg["From"] = f"{name} <{sender}>"
    msg["To"] = "support@acme-retail.example"
    msg["Subject"] = subject
    msg["Date"] = when
    msg["Message-ID"] = message_id
    msg.set_content(body)
    return bytes(msg)


def write_person(folder: Path, n: int, *, retweeter: int = 7) -> tuple[dict[str, list[Path]], dict[str, str]]:
    """Write the person's feedback (and one retweet of it by another customer) under ``folder``."""
    who = identifiers(n)
    folder.mkdir(parents=True, exist_ok=True)
    files: dict[str, list[Path]] = {}

    survey = folder / f"survey_{n}.csv"
    with survey.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(SURVEY_COLUMNS)
        for k, hour in enumerate((9, 12, 15, 18)):
            writer.writerow([f"P{n}-{k}", f"{QUIET_DAY} {hour:02d}:00:00", "relationship_nps", "nps", "en",
                             who["customer_id"], who["email"], "1", "",
                             f"My parcel {who['order']} is late again, delivery {k}, nobody tells me where it is.",
                             ""])
        # rejected: a score out of range (quarantined with the person's details in it)
        writer.writerow([f"P{n}-bad", f"{QUIET_DAY} 10:00:00", "relationship_nps", "nps", "en", who["customer_id"],
                         who["email"], "eleven", "", f"Order {who['order']} again", ""])
    files["survey"] = [survey]

    social = folder / f"x_{n}.jsonl"
    author = {"id": who["x_user"], "username": who["handle"], "name": who["name"]}
    other = {"id": str(9_000_000 + retweeter), "username": f"customer{retweeter}", "name": f"Customer {retweeter}"}
    post = {"id": f"18600000000000000{n:02d}", "text": f"@AcmeRetail parcel {who['order']} lost, day 12 of waiting",
            "author_id": who["x_user"], "created_at": "2026-10-20T08:00:00.000Z", "lang": "en",
            "conversation_id": f"18600000000000000{n:02d}"}
    retweet = {"id": f"18600000000000001{n:02d}", "text": f"RT @{who['handle']}: {post['text']}",
               "author_id": other["id"], "created_at": "2026-10-20T09:00:00.000Z", "lang": "en",
               "referenced_tweets": [{"type": "retweeted", "id": post["id"]}]}
    social.write_text("\n".join([
        json.dumps({"data": [post], "includes": {"users": [author]}}),
        json.dumps({"data": [retweet], "includes": {"users": [other]}}),
        json.dumps({"data": [{"id": "x", "text": f"by {who['handle']}", "author_id": who["x_user"]}]})[:-9],  # broken
    ]) + "\n", encoding="utf-8")
    files["social"] = [social]

    mail = folder / f"mail_{n}.eml"
    mail.write_bytes(_message(who["email"], who["name"], f"Parcel {who['order']}",
                              f"Hello,\n\nParcel {who['order']} has still not arrived. Please call me.\n\n"
                              f"Regards,\n{who['name']}\n{who['phone']}\n", f"<erase-me.c{n}@mail.example.com>",
                              "Tue, 20 Oct 2026 10:00:00 +0000"))
    broken = folder / f"mail_{n}_broken.eml"  # rejected: undecodable bytes, kept as original bytes
    broken.write_bytes(f"From: {who['name']} <{who['email']}>\nTo: support@acme-retail.example\n"
                       f"Subject: Order {who['order']}\nDate: Tue, 20 Oct 2026 11:00:00 +0000\n"
                       f"Message-ID: <broken.c{n}@mail.example.com>\n"
                       "Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 8bit\n\n".encode()
                       + b"caf\xe9 \xff\xfe broken\n")
    files["email"] = [mail, broken]

    tickets = folder / f"tickets_{n}.csv"
    with tickets.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(TICKET_COLUMNS)
        writer.writerow([f"5{n:04d}", f"Parcel {who['order']}", f"Parcel {who['order']} is lost. Call {who['phone']}.",
                         "open", who["name"], who["email"], who["requester"], "2026-10-21 09:00:00",
                         "2026-10-22 09:00:00", "Bad", f"Still no parcel {who['order']}", "en"])
    files["ticket"] = [tickets]

    reviews = folder / f"reviews_{n}.json"
    reviews.write_text(json.dumps({"reviews": [
        {"review_id": f"RV-P{n}", "rating": 1, "title": "Never again", "body": f"Order {who['order']} never came.",
         "author": who["handle"], "date": "2026-10-22T10:00:00.000Z", "product": "Kettle K2", "language": "en"},
    ]}), encoding="utf-8")
    files["review"] = [reviews]
    return files, who


def write_people(folder: Path, people: tuple[int, ...]) -> tuple[dict[str, list[Path]], dict[int, dict[str, str]]]:
    """Write several people's feedback into one file per kind (one batch per kind for the quality gate to judge):
    a survey CSV, an X JSON Lines file, a mailbox, a ticket CSV and a review JSON. Returns (files, who by person)."""
    import mailbox

    parts = {n: write_person(folder / f"person{n}", n) for n in people}
    files: dict[str, list[Path]] = {}
    for kind, suffix in (("survey", ".csv"), ("ticket", ".csv"), ("social", ".jsonl")):
        path = folder / f"everyone_{kind}{suffix}"
        chunks = [parts[n][0][kind][0].read_text(encoding="utf-8") for n in people]
        if suffix == ".csv":
            chunks = chunks[:1] + [c.split("\n", 1)[1] for c in chunks[1:]]  # one header
        path.write_text("".join(chunks), encoding="utf-8")
        files[kind] = [path]
    box = mailbox.mbox(str(folder / "everyone.mbox"))
    for n in people:
        for message in parts[n][0]["email"]:
            box.add(message.read_bytes())
    box.flush()
    box.close()
    files["email"] = [folder / "everyone.mbox"]
    reviews = [r for n in people for r in json.loads(parts[n][0]["review"][0].read_text())["reviews"]]
    files["review"] = [folder / "everyone_reviews.json"]
    files["review"][0].write_text(json.dumps({"reviews": reviews}), encoding="utf-8")
    return files, {n: parts[n][1] for n in people}
