"""Dump everything the tagger produces for a large set of texts, to check that a speed change alters no output.

Run it before a change (``--out before.jsonl``) and after it (``--out after.jsonl``), then ``cmp`` the two
files. Each line is one item with one taxonomy: its ``voc tag`` row (``voc.nlp.tagger.result``) plus what
that row rounds or leaves out: unrounded item and topic scores, the social features, evidence token
offsets and every token's norm, lemma and sentence start. Texts: the benchmark's short texts, every
labelled data set in ``../shared/data/dev`` that is present, a ``voc sample`` of every channel
(``--sample N`` items, with channel and survey id), and edge cases.

    .venv/bin/python benchmarks/nlp_equality.py --out /tmp/before.jsonl [--sample 20000]
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import sys
from pathlib import Path

SHARED = Path(__file__).resolve().parent.parent.parent / "shared" / "data" / "dev"
EDGE_CASES = ["", " ", "!!!", "😡😡😡", "👍", "#LostLuggage #delayed again", "@united where is my bag???",
              "Call me on +44 20 7946 0958 or mail jane.doe@example.com", "card 4111 1111 1111 1111 please",
              "El vuelo fue cancelado y nadie me ayudó", "Le service client est nul", "sooooo baaaad",
              "Wait... what?! Why?", "not bad, no problems &amp; no delays", "http://t.co/abc www.example.com",
              "IBAN GB82 WEST 1234 5698 7654 32 SSN 123-45-6789", "NEVER AGAIN!!! worst airline", "ok",
              "I'd love to see more vegan options", "cancel my account", "never fly again with you"]


def _column(path: Path, column: str, delimiter: str = ",") -> list[str]:
    with path.open(encoding="utf-8", errors="replace", newline="") as fh:
        return [row.get(column) or "" for row in csv.DictReader(fh, delimiter=delimiter)]


def _tab_column(path: Path, index: int) -> list[str]:
    lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    return [parts[index] for parts in (line.split("\t") for line in lines) if len(parts) > index]


def items(sample: int):
    """The ``Item``s to tag: (source name, Item) pairs, in a fixed order."""
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from nlp_throughput import short_texts

    from voc.nlp import Item

    out = [("edge", Item(t, id=str(n))) for n, t in enumerate(EDGE_CASES)]
    out += [("edge", Item(None, id="none"))]
    out += [("bench", Item(t)) for t in dict.fromkeys(short_texts(5000))]
    sources = [("airline", SHARED / "airline_tweets_dev.csv", "text", ","),
               ("alexa", SHARED / "amazon_alexa.tsv", "verified_reviews", "\t"),
               ("car", SHARED / "car_rental_training_data.csv", "Customer_Service", ";"),
               ("cfpb", SHARED / "cfpb_complaints_dev.csv", "Consumer complaint narrative", ",")]
    for name, path, column, delimiter in sources:
        if path.exists():
            out += [(name, Item(t)) for t in _column(path, column, delimiter)]
    for path in sorted((SHARED / "uci_sentences").glob("*_labelled.txt")):
        out += [("uci", Item(t)) for t in _tab_column(path, 0)]
    for path in sorted((SHARED / "vader_groundtruth").glob("*_GroundTruth.txt")):
        out += [("vader", Item(t)) for t in _tab_column(path, 2)]
    if sample:
        out += [("sample", item) for item in sample_items(sample)]
    return out


def sample_items(n: int):
    """The texts of a ``voc sample --items n`` (fixed seed), with channel and survey id."""
    import mailbox
    import tempfile

    from voc.nlp import Item
    from voc.pipeline.bench.sample import generate

    out = []
    with tempfile.TemporaryDirectory() as folder:
        for _, kind, path in generate(Path(folder), n):
            if kind == "survey":
                for row in csv.DictReader(path.open(encoding="utf-8", newline="")):
                    out.append(Item(row["comment"], id=row["response_id"], channel="survey",
                                    survey_id=row["survey_id"]))
                    if row["improvement"]:
                        out.append(Item(row["improvement"], channel="survey", survey_id=row["survey_id"]))
            elif kind == "ticket":
                for row in csv.DictReader(path.open(encoding="utf-8", newline="")):
                    out.append(Item(f"{row['Subject']}\n{row['Description']}", id=row["Ticket ID"], channel="ticket"))
            elif kind == "social":
                for line in path.open(encoding="utf-8"):
                    post = json.loads(line)["data"][0]
                    out.append(Item(post["text"], id=post["id"], channel="social"))
            elif kind == "review":
                for line in path.open(encoding="utf-8"):
                    review = json.loads(line)
                    out.append(Item(f"{review['title']}. {review['body']}", channel="review"))
            elif kind == "email":
                for message in mailbox.mbox(str(path)):
                    out.append(Item(message.get_payload(), channel="email"))
    return out


def dump(item, doc) -> dict:
    """The ``voc tag`` row and the unrounded values and token attributes behind it."""
    from voc.nlp import docdata
    from voc.nlp.tagger import result

    data = doc.user_data
    row = result(item, doc)
    row["_raw"] = {
        "sentiment": data.get(docdata.SENTIMENT), "sentences": data.get(docdata.SENTENCES),
        "topics": [(h.topic, h.sentiment, h.sentiment_label, h.priority, h.stage,
                    [(e.token_start, e.token_end, e.rule) for e in h.evidence]) for h in data.get(docdata.TOPICS, ())],
        "urls": data.get(docdata.URLS), "mentions": data.get(docdata.MENTIONS),
        "hashtags": data.get(docdata.HASHTAGS), "emoji": data.get(docdata.EMOJI),
        "tokens": [(t.norm_, t.lemma_, t.is_sent_start) for t in doc],
    }
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", required=True, type=Path)
    parser.add_argument("--sample", type=int, default=20000, help="voc sample items to add (0: none)")
    parser.add_argument("--taxonomy", action="append", help="taxonomies (default: both bundled ones)")
    args = parser.parse_args()
    from voc.nlp import Tagger

    chosen = items(args.sample)
    digest = hashlib.sha256()
    with args.out.open("w", encoding="utf-8") as fh:
        for taxonomy in args.taxonomy or ["acme-retail", "airline"]:
            tagger = Tagger(taxonomy)
            for (source, _), (item, doc) in zip(chosen, tagger.docs(i for _, i in chosen), strict=True):
                line = json.dumps({"taxonomy": taxonomy, "source": source, **dump(item, doc)},
                                  ensure_ascii=False, sort_keys=True)
                digest.update(line.encode())
                fh.write(line + "\n")
    print(f"{len(chosen)} items x {len(args.taxonomy or [1, 2])} taxonomies -> {args.out} sha256 {digest.hexdigest()}")


if __name__ == "__main__":
    main()
