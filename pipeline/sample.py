"""Generate realistic survey exports for the demo and tests (fixed seed: same files every time).

Responses come from a few hundred customers over four weeks: a relationship NPS survey and a
post-purchase CSAT survey as CSV, a support CES survey as JSON. A few rows are deliberately
broken (a score out of range, a missing date, an unreadable date) to show the quarantine.
"""

from __future__ import annotations

import csv
import json
import random
from datetime import UTC, datetime, timedelta
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
