"""Time an older revision of ``voc.nlp`` against the working tree in one process, alternately.

On a shared machine two benchmark runs minutes apart differ by more than most speed changes; timing the
old and the new tagger one after the other in the same process, many rounds, best of each, does not.
The old revision's ``nlp/`` is extracted with ``git archive`` and imported as ``vocbase_nlp`` (its
component factories renamed ``vocbase_*``). Before timing, the ``voc tag`` rows of both taggers on the
benchmark texts must be identical. Pinned to one core, CPU time, like ``nlp_throughput.py``.

With ``--chunk N`` the two taggers alternate every N texts instead (their order swapped from chunk to chunk), and
each tagger's time is the sum over chunks of that chunk's best round: a burst of load from other work then spoils
one chunk's round, not a whole round. Comparing a revision with itself gave 1.001-1.002 this way (100-text
chunks, 10 rounds) where whole rounds gave 0.98-1.01; the tokenizer + VADER reference is not timed then. A chunk's
best round is one without a full garbage collection, so a change in what collections cost (docs/nlp.md, fifth
speed round) shows only in whole rounds.

    .venv/bin/python benchmarks/nlp_ab.py --base bda9305 [--taxonomy airline] [--rounds 8] [--chunk 100]
"""

from __future__ import annotations

import argparse
import io
import json
import os
import re
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def extract(revision: str, into: Path) -> None:
    """Write ``revision``'s ``nlp/`` as the package ``vocbase_nlp`` under ``into``."""
    archive = subprocess.run(["git", "archive", revision, "nlp"], cwd=ROOT, check=True, capture_output=True).stdout
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(into, filter="data")
    package = into / "vocbase_nlp"
    (into / "nlp").rename(package)
    for path in package.glob("*.py"):
        text = re.sub(r"\bvoc\.nlp\b", "vocbase_nlp", path.read_text(encoding="utf-8"))
        path.write_text(text.replace('"voc_', '"vocbase_'), encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", required=True, help="git revision to compare with")
    parser.add_argument("--taxonomy", default="airline")
    parser.add_argument("--texts", type=int, default=5000)
    parser.add_argument("--rounds", type=int, default=8, help="alternating rounds; the best of each is kept")
    parser.add_argument("--chunk", type=int, default=0, help="alternate every CHUNK texts (see above); 0: whole rounds")
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})
    folder = tempfile.mkdtemp(prefix="vocbase-")
    extract(args.base, Path(folder))
    sys.path.insert(0, folder)
    sys.path.insert(0, str(Path(__file__).resolve().parent))

    import spacy
    from nlp_throughput import short_texts
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer
    from vocbase_nlp.tagger import Item as OldItem
    from vocbase_nlp.tagger import Tagger as OldTagger

    from voc.nlp import Item, Tagger

    texts = short_texts(args.texts)
    blank, vader = spacy.blank("en"), SentimentIntensityAnalyzer()
    new, old = Tagger(args.taxonomy), OldTagger(args.taxonomy)
    new_rows = [json.dumps(row, sort_keys=True) for row in new.tag(Item(t) for t in texts)]
    old_rows = [json.dumps(row, sort_keys=True) for row in old.tag(OldItem(t) for t in texts)]
    if new_rows != old_rows:
        sys.exit(f"outputs differ on {sum(a != b for a, b in zip(new_rows, old_rows, strict=True))} texts")

    if args.chunk:
        print(json.dumps(chunked(args, texts, {"old": (old, OldItem), "new": (new, Item)})))
        return

    def reference() -> None:
        for doc in blank.pipe(texts, batch_size=256):
            vader.polarity_scores(doc.text)

    runs = {"tokenizer+vader": reference,
            "old": lambda: [None for _ in old.tag(OldItem(t) for t in texts)],
            "new": lambda: [None for _ in new.tag(Item(t) for t in texts)]}
    best = dict.fromkeys(runs, float("inf"))
    for _ in range(args.rounds):
        for name, run in runs.items():
            start = time.process_time()
            run()
            best[name] = min(best[name], time.process_time() - start)
    out = {"base": args.base, "taxonomy": args.taxonomy, "identical_rows": len(new_rows)}
    out.update({name: round(len(texts) / seconds) for name, seconds in best.items()})
    out["ratio_old"] = round(best["tokenizer+vader"] / best["old"], 3)
    out["ratio_new"] = round(best["tokenizer+vader"] / best["new"], 3)
    out["speedup"] = round(best["old"] / best["new"], 3)
    print(json.dumps(out))


def chunked(args, texts: list[str], taggers: dict) -> dict:
    """Old and new tagger alternated per chunk of ``args.chunk`` texts; each chunk's best round counts."""
    chunks = [texts[k:k + args.chunk] for k in range(0, len(texts), args.chunk)]
    best = {name: [float("inf")] * len(chunks) for name in taggers}
    for r in range(args.rounds):
        for c, chunk in enumerate(chunks):
            for name in (("old", "new") if (r + c) % 2 else ("new", "old")):
                tagger, item = taggers[name]
                start = time.process_time()
                for _ in tagger.tag(item(t) for t in chunk):
                    pass
                best[name][c] = min(best[name][c], time.process_time() - start)
    seconds = {name: sum(times) for name, times in best.items()}
    return {"base": args.base, "taxonomy": args.taxonomy, "identical_rows": len(texts), "chunk": args.chunk,
            "old": round(len(texts) / seconds["old"]), "new": round(len(texts) / seconds["new"]),
            "speedup": round(seconds["old"] / seconds["new"], 3)}


if __name__ == "__main__":
    main()
