"""Generate realistic survey exports for the demo and tests (fixed seed: same files every time).

Responses come from a few hundred customers over four weeks: a relationship NPS survey and a
post-purchase CSAT survey as CSV, a support CES survey as JSON. A few rows are deliberately
broken (a score out of range, a missing date, an unreadable date) to show the quarantine.
"""

from __future__ import annotations

import csv
import hashlib
import json
import random
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

END = datetime(2026, 11, 1, tzinfo=UTC)
DAYS = 28

POSITIVE = [
    "Delivery was quick and the parcel arrived two days early.",
    "Great prices and the checkout was really easy.",
    "The support agent sorted my problem out in minutes, thank you!",
    "Love the quality of the jacket, fits perfectly.",
    "Really helpful staff and a smooth returns process.",
    "The app is fast and easy to use, I found everything I needed.",
    "Excellent service as always, I recommend you to all my friends.",
    "Fresh products and well packed, very happy with this order.",
]
NEUTRAL = [
    "Order arrived as expected.",
    "It was fine, nothing special.",
    "Bought a kettle for my mum.",
    "Average experience, the website is ok.",
    "Delivery took the usual five days.",
]
NEGATIVE = [
    "My order is late again and nobody tells me where it is.",
    "Still waiting for my refund after three weeks, this is unacceptable.",
    "The item arrived damaged and the box was soaking wet.",
    "Customer service kept me on hold for 40 minutes and then hung up.",
    "Prices went up a lot and the quality got worse.",
    "The website crashed twice during checkout and charged me twice.",
    "Wrong size delivered and the return label did not work.",
    "Never arrived. Where is my parcel? Call me on +44 20 7946 0958.",
    "Terrible experience, I will not order again.",
]
IMPROVE = [
    "Send tracking updates by text.",
    "Cheaper delivery options please.",
    "More sizes in stock.",
    "Answer the phone faster.",
    "",
    "",
    "",
]


def _text_for(score_share: float, rng: random.Random) -> str:
    """Pick a comment whose tone follows the score (0 = worst, 1 = best), with some noise."""
    roll = score_share + rng.uniform(-0.25, 0.25)
    pool = NEGATIVE if roll < 0.45 else NEUTRAL if roll < 0.7 else POSITIVE
    return rng.choice(pool) if rng.random() > 0.1 else ""


def _when(rng: random.Random) -> datetime:
    return END - timedelta(days=rng.uniform(0, DAYS))


def generate_surveys(
    out: Path, *, responses: int = 600, customers: int = 250, seed: int = 7
) -> dict[str, tuple[Path, Path | None]]:
    """Write the sample survey exports under ``out``.

    Returns {source name: (drop folder, mapping file or None for the default mapping)}:
    ``surveys`` holds the NPS/CSAT CSV, ``support_ces`` the CES JSON and its own mapping.
    """
    rng = random.Random(seed)
    out.mkdir(parents=True, exist_ok=True)
    people = [(f"C{10000 + i}", f"customer{i}@example.com") for i in range(customers)]
    columns = ["response_id", "submitted_at", "survey_id", "survey_type", "language", "customer_id", "email",
               "nps", "csat", "comment", "improvement"]
    csv_rows = []
    ces_rows = []
    for n in range(responses):
        customer_id, email = rng.choice(people)
        when = _when(rng).replace(microsecond=0)
        kind = rng.choices(["nps", "csat", "ces"], weights=[5, 3, 2])[0]
        if kind == "ces":
            ces = rng.choices(range(1, 8), weights=[3, 4, 4, 3, 2, 2, 1])[0]
            ces_rows.append({
                "id": f"CES-{n:05d}", "answered": when.isoformat(), "customer": customer_id,
                "effort": ces, "feedback": _text_for(1 - (ces - 1) / 6, rng),
            })
            continue
        row = dict.fromkeys(columns, "")
        row.update(response_id=f"R{n:05d}", submitted_at=when.strftime("%Y-%m-%d %H:%M:%S"),
                   language="en", customer_id=customer_id, email=email if rng.random() < 0.6 else "")
        if kind == "nps":
            score = rng.choices(range(11), weights=[2, 1, 1, 2, 2, 3, 4, 8, 12, 14, 11])[0]
            row.update(survey_id="relationship_nps", survey_type="nps", nps=str(score),
                       comment=_text_for(score / 10, rng), improvement=rng.choice(IMPROVE))
        else:
            score = rng.choices(range(1, 6), weights=[2, 2, 3, 6, 7])[0]
            row.update(survey_id="post_purchase_csat", survey_type="csat", csat=str(score),
                       comment=_text_for((score - 1) / 4, rng))
        csv_rows.append(row)
    # Deliberately broken rows: each must land in quarantine with a readable reason.
    csv_rows.append({**csv_rows[0], "response_id": "R-BROKEN-1", "nps": "11", "survey_type": "nps",
                     "comment": "Score out of range on purpose"})
    csv_rows.append({**csv_rows[1], "response_id": "R-BROKEN-2", "submitted_at": ""})
    csv_rows.append({**csv_rows[2], "response_id": "R-BROKEN-3", "submitted_at": "last tuesday"})

    (out / "surveys").mkdir(exist_ok=True)
    (out / "support_ces").mkdir(exist_ok=True)
    surveys_csv = out / "surveys" / "surveys_nps_csat.csv"
    with surveys_csv.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=columns)
        writer.writeheader()
        writer.writerows(csv_rows)
    ces_json = out / "support_ces" / "surveys_ces.json"
    ces_json.write_text(json.dumps({"responses": ces_rows}, indent=1), encoding="utf-8")
    ces_mapping = out / "support_ces_mapping.yaml"
    ces_mapping.write_text(CES_MAPPING, encoding="utf-8")
    return {"surveys": (out / "surveys", None), "support_ces": (out / "support_ces", ces_mapping)}


CES_MAPPING = """\
# Mapping for the sample support-effort (CES) export, whose columns differ from the default.
version: 1
kind: survey
response_id: id
occurred_at: answered
survey_id_value: support_ces
survey_type_value: ces
customer:
  customer_id: customer
scores:
  ces: effort
texts: [feedback]
"""


# -- every channel -----------------------------------------------------------------------------------------------
# The same customers speak on every channel: customer i has customer_id C1000i (surveys), the address
# customeri@example.com (e-mail, tickets) and the handle @customeri (social posts, reviews). Customer 5
# tells one story across channels: a late parcel tweeted about, e-mailed about and raised as a ticket.

COMPANY = "AcmeRetail"
SUPPORT = "support@acme-retail.example"
STORY = 5
PRODUCTS = ["Acme app", "Kettle K2", "Rain jacket", "Smart speaker", "Coffee beans 1kg"]
TWEETS_NEG = [
    "@{c} my order is late again and nobody tells me where it is",
    "@{c} still waiting for my refund after three weeks. Unacceptable.",
    "@{c} parcel arrived damaged, box soaking wet. Not impressed",
    "@{c} on hold for 40 minutes and then the call dropped. Seriously?",
    "@{c} your website charged me twice at checkout",
    "@{c} wrong size again and the return label does not work",
]
TWEETS_POS = [
    "@{c} delivery was super quick, parcel came two days early!",
    "@{c} the support team sorted my problem in minutes, thank you",
    "Love my new jacket from @{c}, fits perfectly",
    "@{c} great prices and a really easy checkout",
]
TWEETS_NEU = ["@{c} do you deliver on Sundays?", "Ordered a kettle from @{c} for my mum", "@{c} is the app down?"]
REPLIES = ["Thanks, I have sent you a DM with my order number.", "Still nothing, this is the third time I ask.",
           "Sorted now, thank you!", "Why do I have to chase you for this?"]
MAIL_SUBJECTS = {
    "neg": ["Where is my parcel?", "Refund still missing", "Damaged item", "Charged twice", "Complaint"],
    "pos": ["Thank you!", "Great service", "Compliments to your team"],
    "neu": ["Question about delivery", "Change my address", "Opening hours"],
}
MAIL_BODIES = {
    "neg": ["My order {o} has not arrived and the tracking page has not changed for a week.",
            "I returned the item three weeks ago and I am still waiting for my refund for order {o}.",
            "The kettle from order {o} arrived with a cracked lid. I would like a replacement.",
            "I was charged twice for order {o}. Please refund the second payment."],
    "pos": ["Just wanted to say thank you, order {o} arrived early and well packed.",
            "Your agent was really helpful on the phone today, please pass on my thanks."],
    "neu": ["Can you deliver order {o} to my work address instead?", "Do you deliver on Saturdays?"],
}
SIGNATURES = ["\n\nBest regards,\n{n}", "\n\nThanks,\n{n}\nSent from my iPhone", "\n\n-- \n{n}\n+44 20 7946 0{d:03d}",
              "\n\nCheers\n{n}"]
REVIEW_TEXT = {
    5: ["Brilliant, does exactly what it says.", "Fast delivery and great quality, would buy again."],
    4: ["Good value, delivery took a bit long.", "Works well, the app could be faster."],
    3: ["It is ok. Nothing special.", "Average, the instructions were confusing."],
    2: ["Stopped working after two weeks.", "The app keeps logging me out."],
    1: ["Arrived broken and the refund took a month.", "Crashes every time I open it. Useless."],
}


def _tone(rng: random.Random) -> str:
    return rng.choices(["neg", "pos", "neu"], weights=[5, 3, 2])[0]


def _stamp(when: datetime) -> str:
    return when.strftime("%Y-%m-%dT%H:%M:%S.000Z")


def _social(out: Path, people: list[int], rng: random.Random) -> Path:
    """X API v2 search responses, 25 posts a page, with retweets, replies and three broken records."""
    posts, users = [], {}
    tweet_id = 1_850_000_000_000_000_000

    def user(i: int) -> dict:
        return users.setdefault(i, {"id": str(9_000_000 + i), "username": f"customer{i}", "name": f"Customer {i}"})

    for n in range(180):
        i = rng.choice(people)
        tweet_id += rng.randint(1_000, 90_000)
        tone = _tone(rng)
        pool = TWEETS_NEG if tone == "neg" else TWEETS_POS if tone == "pos" else TWEETS_NEU
        post = {"id": str(tweet_id), "text": rng.choice(pool).format(c=COMPANY), "author_id": user(i)["id"],
                "created_at": _stamp(_when(rng).replace(microsecond=0)), "lang": "en",
                "conversation_id": str(tweet_id),
                "public_metrics": {"retweet_count": 0, "reply_count": 0, "like_count": rng.randint(0, 40)}}
        if posts and n % 9 == 4:  # a reply in an earlier conversation
            parent = rng.choice([p for p in posts if "referenced_tweets" not in p])
            post.update(text=rng.choice(REPLIES), conversation_id=parent["conversation_id"],
                        referenced_tweets=[{"type": "replied_to", "id": parent["id"]}])
        elif posts and n % 7 == 3:  # a retweet: not new feedback, counted on the original
            original = rng.choice([p for p in posts if "referenced_tweets" not in p])
            author = next(u for u in users.values() if u["id"] == original["author_id"])
            post.update(text=f"RT @{author['username']}: {original['text']}"[:280],
                        referenced_tweets=[{"type": "retweeted", "id": original["id"]}])
        posts.append(post)
    posts.extend(_spike_posts(tweet_id + 10, user))
    story = {"id": str(tweet_id + 1), "text": f"@{COMPANY} day 9 and my parcel is still not here. Third time I ask!",
             "author_id": user(STORY)["id"], "created_at": "2026-10-20T08:15:00.000Z", "lang": "en",
             "conversation_id": str(tweet_id + 1)}
    posts.append(story)
    posts.sort(key=lambda p: p["created_at"], reverse=True)  # newest first, as the search API returns them
    lines = []
    for start in range(0, len(posts), 25):
        page = posts[start:start + 25]
        authors = {p["author_id"] for p in page}
        lines.append(json.dumps({
            "data": page, "includes": {"users": [u for u in users.values() if u["id"] in authors]},
            "meta": {"result_count": len(page), "newest_id": page[0]["id"], "oldest_id": page[-1]["id"]},
        }))
    # Deliberately broken: a truncated line, a post without an id, a post with an unreadable date.
    lines.append(lines[0][:120])
    lines.append(json.dumps({"data": [{"text": "no id on this one", "author_id": user(7)["id"],
                                       "created_at": "2026-10-10T10:00:00.000Z"}], "includes": {"users": [user(7)]}}))
    lines.append(json.dumps({"data": [{"id": "1849999999999999999", "text": "when was this?",
                                       "author_id": user(8)["id"], "created_at": "yesterday-ish"}],
                             "includes": {"users": [user(8)]}}))
    folder = out / "social"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "x_search_acmeretail.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return folder


# A courier change on the sample's last day: damaged parcels surge on social, so the demo's CX report
# has a spike to show (a separate generator keeps every other record exactly as before).
SPIKE_DAY = datetime(2026, 10, 31, tzinfo=UTC)
SPIKE_TWEETS = [
    "@{c} parcel arrived damaged today, the mug inside is smashed",
    "@{c} second order this week that arrived broken. What happened to your packaging?",
    "@{c} box torn open on arrival and the lamp is damaged",
    "@{c} my delivery came smashed to pieces. New courier?",
    "@{c} the blender arrived dented and the jug is broken",
    "@{c} got my order today, damaged again. Really disappointed",
    "@{c} everything in the parcel was soaking wet and torn",
]


def _spike_posts(first_id: int, user) -> list[dict]:
    """Fourteen damaged-item complaints from different customers on SPIKE_DAY, one every 40 minutes."""
    rng = random.Random(31)
    posts = []
    for n in range(14):
        when = SPIKE_DAY + timedelta(hours=9, minutes=40 * n)
        post_id = str(first_id + n)
        posts.append({"id": post_id, "text": SPIKE_TWEETS[n % len(SPIKE_TWEETS)].format(c=COMPANY),
                      "author_id": user(400 + n)["id"], "created_at": _stamp(when), "lang": "en",
                      "conversation_id": post_id,
                      "public_metrics": {"retweet_count": 0, "reply_count": 0, "like_count": rng.randint(0, 40)}})
    return posts


def _message(i: int, when: datetime, subject: str, body: str, message_id: str, reply_to: str | None = None,
             html: bool = False, attachment: bool = False) -> bytes:
    from email.message import EmailMessage

    msg = EmailMessage()
    msg["From"] = f"Customer {i} <customer{i}@example.com>"
    msg["To"] = SUPPORT
    msg["Subject"] = subject if reply_to is None else f"Re: {subject}"
    msg["Date"] = format_datetime(when)
    msg["Message-ID"] = message_id
    if reply_to:
        msg["In-Reply-To"] = reply_to
        msg["References"] = reply_to
    msg.set_content(body)
    if html:
        paragraphs = "".join(f"<p>{p}</p>" for p in body.split("\n\n"))
        msg.add_alternative(f"<html><body>{paragraphs}</body></html>", subtype="html")
    if attachment:
        msg.add_attachment(b"%PDF-1.4 sample receipt\n", maintype="application", subtype="pdf",
                           filename="receipt.pdf")
    for depth, part in enumerate(p for p in msg.walk() if p.is_multipart()):  # fixed, not random, boundaries
        part.set_boundary(f"=_voc_{depth}_{hashlib.sha256(message_id.encode()).hexdigest()[:16]}")
    return bytes(msg)


def _add(box, message: bytes) -> None:
    """Add a message with a fixed mbox "From " line (mailbox would stamp the current time, so two runs differed)."""
    box.add(b"From MAILER-DAEMON Sun Nov  1 00:00:00 2026\n" + message)


def _email(out: Path, people: list[int], rng: random.Random) -> Path:
    """An inbox mbox of customer mail (replies quote the support answer) and two .eml files; three broken."""
    import mailbox

    folder = out / "email"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "support_inbox.mbox"
    path.unlink(missing_ok=True)
    box = mailbox.mbox(str(path))
    for n in range(70):
        i = rng.choice(people)
        tone = _tone(rng)
        when = _when(rng).replace(microsecond=0)
        order = f"A{rng.randint(100000, 999999)}"
        subject = rng.choice(MAIL_SUBJECTS[tone])
        body = rng.choice(MAIL_BODIES[tone]).format(o=order)
        body += rng.choice(SIGNATURES).format(n=f"Customer {i}", d=i)
        reply_to = None
        if n % 5 == 2:  # a follow-up that quotes the support team's answer
            reply_to = f"<support-{n}@acme-retail.example>"
            body += (f"\n\nOn {when - timedelta(days=1):%a, %d %b %Y} at 09:12, Acme Support <{SUPPORT}> wrote:\n"
                     "> Thank you for contacting us. We are looking into your order.\n> Kind regards, Acme Support\n")
        _add(box, _message(i, when, subject, body, f"<m{n:04d}.c{i}@mail.example.com>", reply_to, html=n % 4 == 1))
    story_when = datetime(2026, 10, 20, 9, 30, tzinfo=UTC)
    _add(box, _message(STORY, story_when, "Parcel A555005 still missing",
                     "Hello,\n\nMy parcel A555005 was due on 11 October and it is still not here. I have asked on "
                     "Twitter too. Please tell me where it is or refund me.\n\nRegards,\nCustomer 5",
                     f"<story.c{STORY}@mail.example.com>"))
    # Deliberately broken: no Message-ID, an unreadable date, bytes that are not the declared UTF-8.
    no_id = _message(11, story_when, "No id", "This message lost its Message-ID header.", "<x@y>")
    _add(box, no_id.replace(b"Message-ID: <x@y>\n", b""))
    bad_date = _message(12, story_when, "Bad date", "The date header of this one is garbage.", "<bad-date@example.com>")
    _add(box, bad_date.replace(b"Date: " + format_datetime(story_when).encode(), b"Date: someday soon"))
    bad_bytes = (b"From: Customer 13 <customer13@example.com>\nTo: " + SUPPORT.encode() + b"\nSubject: Broken bytes\n"
                 b"Date: Tue, 20 Oct 2026 10:00:00 +0000\nMessage-ID: <bytes@mail.example.com>\n"
                 b"Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 8bit\n\n"
                 b"The caf\xe9 order was wrong \xff\xfe.\n")
    _add(box, bad_bytes)
    box.flush()
    box.close()
    (folder / "complaint_with_receipt.eml").write_bytes(_message(
        21, datetime(2026, 10, 15, 14, 2, tzinfo=UTC), "Damaged kettle",
        "The kettle arrived with a cracked lid, photo and receipt attached. I want a replacement."
        "\n\nThanks,\nCustomer 21",
        "<kettle.c21@mail.example.com>", html=True, attachment=True))
    return folder


def _tickets(out: Path, people: list[int], rng: random.Random) -> Path:
    """A Zendesk-style CSV export: description, requester and satisfaction rating; two broken rows."""
    columns = ["Ticket ID", "Subject", "Description", "Status", "Requester", "Requester email", "Requester ID",
               "Created at", "Updated at", "Satisfaction Score", "Satisfaction Comment", "Language"]
    rows = []
    for n in range(90):
        i = rng.choice(people)
        tone = _tone(rng)
        created = _when(rng).replace(microsecond=0)
        order = f"A{rng.randint(100000, 999999)}"
        score = rng.choices(["Good", "Bad", "Offered", "Not Offered"],
                            weights=[2, 6, 3, 2] if tone == "neg" else [6, 1, 3, 2])[0]
        comment = {"Good": rng.choice(["Quick and friendly", "Thanks for sorting it", ""]),
                   "Bad": rng.choice(["Took far too long", "Nobody called me back", ""])}.get(score, "")
        rows.append({
            "Ticket ID": str(40000 + n), "Subject": rng.choice(MAIL_SUBJECTS[tone]),
            "Description": rng.choice(MAIL_BODIES[tone]).format(o=order), "Status": rng.choice(["solved", "closed",
                                                                                                 "open", "pending"]),
            "Requester": f"Customer {i}", "Requester email": f"customer{i}@example.com",
            "Requester ID": str(7_000_000 + i), "Created at": created.strftime("%Y-%m-%d %H:%M:%S"),
            "Updated at": (created + timedelta(hours=rng.randint(2, 96))).strftime("%Y-%m-%d %H:%M:%S"),
            "Satisfaction Score": score, "Satisfaction Comment": comment, "Language": "en",
        })
    rows.append({**rows[0], "Ticket ID": str(40999), "Subject": "Parcel A555005 missing",
                 "Description": "Parcel A555005 is nine days late. I e-mailed and tweeted, nobody answers.",
                 "Requester": f"Customer {STORY}", "Requester email": f"customer{STORY}@example.com",
                 "Requester ID": str(7_000_000 + STORY), "Created at": "2026-10-20 11:05:00",
                 "Updated at": "2026-10-23 16:40:00", "Satisfaction Score": "Bad",
                 "Satisfaction Comment": "Refunded in the end, but it took four contacts."})
    # Deliberately broken: a row without a ticket id, a row with an unreadable date.
    rows.append({**rows[1], "Ticket ID": ""})
    rows.append({**rows[2], "Ticket ID": "40998", "Created at": "31/31/2026"})
    folder = out / "tickets"
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / "zendesk_tickets_export.csv").open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=columns)
        writer.writeheader()
        writer.writerows(rows)
    return folder


def _reviews(out: Path, people: list[int], rng: random.Random) -> Path:
    """App-store and product reviews as JSON: rating 1-5, title, body, author handle, product; two broken."""
    reviews = []
    for n in range(120):
        i = rng.choice(people)
        stars = rng.choices(range(1, 6), weights=[3, 2, 2, 4, 6])[0]
        reviews.append({
            "review_id": f"RV-{n:05d}", "rating": stars, "title": rng.choice(["Review", "My opinion", "Honest",
                                                                               "Update", ""]),
            "body": rng.choice(REVIEW_TEXT[stars]), "author": f"customer{i}",
            "date": _stamp(_when(rng).replace(microsecond=0)), "product": rng.choice(PRODUCTS), "language": "en",
        })
    reviews.append({**reviews[0], "review_id": "RV-BROKEN-1", "rating": 6, "body": "Six stars on purpose"})
    reviews.append({**reviews[1], "review_id": "RV-BROKEN-2", "date": ""})
    folder = out / "reviews"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "app_and_product_reviews.json").write_text(json.dumps({"reviews": reviews}, indent=1),
                                                         encoding="utf-8")
    return folder


def generate_all(out: Path, *, seed: int = 7) -> list[tuple[str, str, Path, Path | None]]:
    """Write a sample for every channel under ``out``; the same customers appear across channels.

    Returns (source name, kind, drop folder, mapping file or None for the kind's default mapping), in
    load order: the surveys of ``generate_surveys`` first, then social posts, e-mail, tickets and reviews.
    Each channel has a few deliberately broken records that land in quarantine.
    """
    surveys = generate_surveys(out, seed=seed)
    rng = random.Random(seed * 1_000 + 3)
    people = list(range(250))
    sources = [(name, "survey", folder, mapping) for name, (folder, mapping) in surveys.items()]
    sources += [
        ("social_x", "social", _social(out, people, rng), None),
        ("support_email", "email", _email(out, people, rng), None),
        ("zendesk_export", "ticket", _tickets(out, people, rng), None),
        ("reviews", "review", _reviews(out, people, rng), None),
    ]
    return sources


def generate_crm_links(out: Path, *, customers: int = 250, seed: int = 7) -> Path:
    """Write a CRM export linking identifiers the channels cannot link themselves (a social handle to a
    customer id and e-mail), for the customers who connected their social account: about 60%, and always
    the story customer. Columns are identifier kinds, as ``voc identity link`` expects."""
    rng = random.Random(seed * 1_000 + 11)
    path = out / "crm" / "crm_customers.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["customer_id", "email", "handle"])
        for i in range(customers):
            if i == STORY or rng.random() < 0.6:
                writer.writerow([f"C{10000 + i}", f"customer{i}@example.com", f"@customer{i}"])
    return path
