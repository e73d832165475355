"""Throughput of the tagging pipeline on short feedback texts, as a ratio to references measured in the same run.

Rates are texts per CPU second of this process, pinned to one core. Absolute figures still vary from
run to run on a shared machine (see MEASUREMENTS.md), so every figure is also reported relative to
two ceilings measured on the same texts in the same process:
the bare spaCy tokenizer, and the tokenizer followed by stock VADER on the whole text (what the
walking skeleton did). Run: ``.venv/bin/python benchmarks/nlp_throughput.py [--texts N] [--repeat R]``.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import statistics
import time
from pathlib import Path

SHARED = Path(__file__).resolve().parent.parent.parent / "shared" / "data" / "dev"


def short_texts(n: int, seed: int = 7) -> list[str]:
    """``n`` short feedback texts: the demo's survey comments and, when present, the airline tweets."""
    from voc.pipeline.sample import IMPROVE, NEGATIVE, NEUTRAL, POSITIVE

    pool = [t for t in POSITIVE + NEUTRAL + NEGATIVE + IMPROVE if t]
    tweets = SHARED / "airline_tweets_dev.csv"
    if tweets.exists():
        with tweets.open(encoding="utf-8") as fh:
            pool += [row["text"] for row in csv.DictReader(fh)]
    rng = random.Random(seed)
    return [rng.choice(pool) for _ in range(n)]


def rates(fns: dict, texts: list[str], repeat: int) -> dict[str, float]:
    """Best-of-``repeat`` texts per CPU second of each ``fn(texts)``: process CPU time, not wall time, so
    other work on a shared machine (waiting for the core) does not count against the pipeline. The
    functions take turns in every round, so a busy spell of the machine slows all of them alike and
    the ratios between them hold."""
    best = dict.fromkeys(fns, float("inf"))
    for _ in range(repeat):
        for name, fn in fns.items():
            start = time.process_time()
            fn(texts)
            best[name] = min(best[name], time.process_time() - start)
    return {name: len(texts) / seconds for name, seconds in best.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--texts", type=int, default=5000, help="texts per timed run")
    parser.add_argument("--repeat", type=int, default=3, help="timed runs per measurement (best is kept)")
    parser.add_argument("--taxonomy", default="airline", help="taxonomy file or bundled name")
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})  # one core, as the requirement says

    import spacy
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    from voc.nlp import Item, Tagger

    texts = short_texts(args.texts)
    words = statistics.mean(len(t.split()) for t in texts)
    blank = spacy.blank("en")
    vader = SentimentIntensityAnalyzer()
    tagger = Tagger(args.taxonomy)
    list(tagger.tag(Item(t) for t in texts[:500]))  # warm up: lazy tables, lingua models

    def tokenizer(batch):
        for _ in blank.pipe(batch, batch_size=256):
            pass

    def tokenizer_vader(batch):
        for doc in blank.pipe(batch, batch_size=256):
            vader.polarity_scores(doc.text)

    def pipeline(batch):
        for _ in tagger.tag(Item(t) for t in batch):
            pass

    results = {"texts": len(texts), "mean_words": round(words, 1), "taxonomy": tagger.taxonomy_version}
    measured = rates({"tokenizer": tokenizer, "tokenizer+vader": tokenizer_vader, "voc pipeline": pipeline}, texts,
                     args.repeat)
    results.update({name: round(value) for name, value in measured.items()})
    results["ratio_to_tokenizer+vader"] = round(results["voc pipeline"] / results["tokenizer+vader"], 3)
    results["ratio_to_tokenizer"] = round(results["voc pipeline"] / results["tokenizer"], 3)
    stats = tagger.nlp.get_pipe("voc_language").stats
    results["language_decided_cheaply"] = round(stats["cheap"] / max(1, stats["cheap"] + stats["lingua"]), 3)
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
