"""Accuracy of the tagger against labelled feedback: per-class precision, recall, F1 and a confusion matrix.

Sentiment is compared on three classes (negative, neutral, positive; an unscored item counts as
neutral).

Complaint topics (``--topic-column``, the issue's "complaint-topic macro-F1") are compared per gold
reason class on the topic each item complains about (``primary_topic``): ``(none)`` unless the
tagger flags the item as a complaint; then the topic with the highest taxonomy ``priority``, then
the most evidence (words matched), a complaint topic first on a tie, then the earliest. How rows count:

- a gold value names a taxonomy topic by id or label, ignoring case and punctuation ("longlines" is
  ``long_lines``);
- an empty gold value means "not a complaint" (gold ``(none)``): a complaint topic predicted there
  is a false positive of that topic;
- a non-empty gold value that names no taxonomy topic ("Can't Tell": a complaint whose reason the
  annotator could not tell) is left out of the topic report, because no prediction on it can be
  judged right or wrong; the report counts these rows;
- on a row with a gold reason, no topic (nothing matched, or the item not flagged as a complaint)
  is a miss of that reason.

Topic macro-F1 averages the taxonomy topics present in the gold labels; ``(none)`` is not averaged.
``assignment`` is a diagnostic beside it: on the rows with a gold reason only, the item's best topic
whether or not the tagger flagged a complaint (topic choice alone, without complaint detection).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from voc.nlp.records import read_rows
from voc.nlp.tagger import Item, Tagger

NONE = "(none)"
UNKNOWN = "\x00"  # prefix of a gold topic value that names no taxonomy topic (left out of the report)
SENTIMENT_CLASSES = ("negative", "neutral", "positive")


def _key(value: str) -> str:
    return re.sub(r"[^a-z0-9]", "", value.lower())


@dataclass
class ClassReport:
    labels: list[str]
    matrix: dict[tuple[str, str], int]  # (gold, predicted) -> count
    averaged: list[str]  # classes in the macro average
    per_class: dict[str, tuple[float, float, float, int]] = field(default_factory=dict)  # P, R, F1, support

    def __post_init__(self) -> None:
        for label in self.labels:
            tp = self.matrix.get((label, label), 0)
            predicted = sum(n for (_, p), n in self.matrix.items() if p == label)
            support = sum(n for (g, _), n in self.matrix.items() if g == label)
            precision = tp / predicted if predicted else 0.0
            recall = tp / support if support else 0.0
            f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
            self.per_class[label] = (precision, recall, f1, support)

    @property
    def macro_f1(self) -> float:
        return sum(self.per_class[c][2] for c in self.averaged) / len(self.averaged) if self.averaged else 0.0

    @property
    def accuracy(self) -> float:
        total = sum(self.matrix.values())
        return sum(n for (g, p), n in self.matrix.items() if g == p) / total if total else 0.0

    def as_dict(self) -> dict:
        return {"macro_f1": round(self.macro_f1, 4), "accuracy": round(self.accuracy, 4),
                "per_class": {c: {"precision": round(p, 4), "recall": round(r, 4), "f1": round(f, 4), "support": s}
                              for c, (p, r, f, s) in self.per_class.items()},
                "confusion": {g: {p: self.matrix.get((g, p), 0) for p in self.labels} for g in self.labels}}

    def format(self, title: str) -> str:
        width = max(12, *(len(c) for c in self.labels)) + 2
        lines = [f"{title}: macro-F1 {self.macro_f1:.3f} over {len(self.averaged)} classes, "
                 f"accuracy {self.accuracy:.3f}, {sum(self.matrix.values())} items",
                 f"{'class':<{width}}{'precision':>10}{'recall':>10}{'f1':>10}{'support':>10}"]
        for c in self.labels:
            p, r, f, s = self.per_class[c]
            mark = "" if c in self.averaged else "  (not averaged)"
            lines.append(f"{c:<{width}}{p:>10.3f}{r:>10.3f}{f:>10.3f}{s:>10}{mark}")
        lines.append("confusion matrix (rows: gold, columns: predicted)")
        short = [c[:9] for c in self.labels]
        lines.append(" " * width + "".join(f"{s:>10}" for s in short))
        for g in self.labels:
            lines.append(f"{g:<{width}}" + "".join(f"{self.matrix.get((g, p), 0):>10}" for p in self.labels))
        return "\n".join(lines)


def report(pairs: Iterable[tuple[str, str]], labels: Iterable[str] | None = None,
           averaged: Iterable[str] | None = None) -> ClassReport:
    """Build a ``ClassReport`` from (gold, predicted) pairs; classes default to every label seen."""
    matrix = Counter(pairs)
    seen = sorted({g for g, _ in matrix} | {p for _, p in matrix})
    labels = list(labels) if labels is not None else seen
    labels += [c for c in seen if c not in labels]
    return ClassReport(labels, dict(matrix), list(averaged) if averaged is not None else labels)


def primary_topic(result: dict, priorities: dict[str, int] | None = None) -> str:
    """The topic an item complains about: ``(none)`` unless the item is a complaint; then ``best_topic``."""
    return best_topic(result, priorities) if result["is_complaint"] else NONE


def best_topic(result: dict, priorities: dict[str, int] | None = None) -> str:
    """The item's topic with the highest priority (topic id -> taxonomy ``priority``, default 0), then the
    most evidence (words matched), a complaint topic first on a tie, then the earliest; ``(none)`` when no
    topic matched."""
    if not result["topics"]:
        return NONE
    priorities = priorities or {}
    return min(result["topics"], key=lambda t: (-priorities.get(t["topic"], 0), -_weight(t), not t["complaint"],
                                                t["evidence"][0]["start"]))["topic"]


def _weight(topic: dict) -> int:
    """Evidence weight: words matched, so "lost my bag" outweighs a stray "help"."""
    return sum(len(e["text"].split()) for e in topic["evidence"])


@dataclass
class Evaluation:
    sentiment: ClassReport | None
    topics: ClassReport | None
    items: int
    assignment: ClassReport | None = None  # gold-reason rows only, best topic without the complaint flag
    unknown_topics: dict[str, int] = field(default_factory=dict)  # gold values left out (no such topic)

    def as_dict(self) -> dict:
        topics = None
        if self.topics:
            topics = {**self.topics.as_dict(), "left_out": dict(self.unknown_topics),
                      "assignment_macro_f1": round(self.assignment.macro_f1, 4) if self.assignment else None}
        return {"items": self.items, "sentiment": self.sentiment.as_dict() if self.sentiment else None,
                "topics": topics}

    def format(self) -> str:
        parts = []
        if self.sentiment:
            parts.append(self.sentiment.format("sentiment"))
        if self.topics:
            left_out = ", ".join(f"{value!r} {n}" for value, n in sorted(self.unknown_topics.items())) or "none"
            parts.append(self.topics.format("topics") + "\n"
                         "topics are scored per gold reason on the topic of items the tagger flags as complaints; "
                         "an empty gold value is (none), a miss is (none) on a row with a reason; "
                         f"left out, gold values naming no topic: {left_out}")
            if self.assignment:
                parts.append(f"topic assignment alone (rows with a gold reason, best topic whether or not flagged "
                             f"a complaint): macro-F1 {self.assignment.macro_f1:.3f}, "
                             f"{sum(self.assignment.matrix.values())} items")
        return "\n\n".join(parts)


def evaluate(path: str | Path, tagger: Tagger, *, label_column: str | None, topic_column: str | None = None,
             text_column: str = "text", label_map: dict[str, str] | None = None,
             delimiter: str | None = None, rows: Iterable[dict] | None = None) -> Evaluation:
    """Tag the labelled file ``path`` and compare with its sentiment and/or topic columns.

    ``label_map`` renames gold sentiment values (e.g. {"0": "negative", "1": "positive"}).
    """
    if label_column is None and topic_column is None:
        raise ValueError("give a sentiment label column, a topic column, or both")
    by_key = {}
    priorities = {topic.id: topic.priority for topic in tagger.taxonomy.topics}
    for topic in tagger.taxonomy.topics:
        by_key[_key(topic.label)] = topic.id
        by_key[_key(topic.id)] = topic.id
    golds: list[tuple[str | None, str | None]] = []

    def items():
        for row in rows if rows is not None else read_rows(path, delimiter=delimiter):
            if text_column not in row:
                raise KeyError(f"no column {text_column!r} (columns: {', '.join(row)})")
            sentiment = None
            if label_column is not None:
                if label_column not in row:
                    raise KeyError(f"no column {label_column!r} (columns: {', '.join(row)})")
                sentiment = str(row[label_column]).strip()
                sentiment = (label_map or {}).get(sentiment, sentiment).lower()
            topic = None
            if topic_column is not None:
                if topic_column not in row:
                    raise KeyError(f"no column {topic_column!r} (columns: {', '.join(row)})")
                value = str(row[topic_column] or "").strip()
                topic = by_key.get(_key(value), NONE if not value else UNKNOWN + value)
            golds.append((sentiment, topic))
            yield Item(text=row[text_column])

    sentiment_pairs, topic_pairs, assignment_pairs = [], [], []
    unknown: Counter[str] = Counter()
    for n, result in enumerate(tagger.tag(items())):
        gold_sentiment, gold_topic = golds[n]
        if gold_sentiment is not None:
            predicted = result["sentiment"]["label"] if result["sentiment"] else "neutral"
            sentiment_pairs.append((gold_sentiment, predicted))
        if gold_topic is not None and gold_topic.startswith(UNKNOWN):
            unknown[gold_topic[len(UNKNOWN):]] += 1
        elif gold_topic is not None:
            topic_pairs.append((gold_topic, primary_topic(result, priorities)))
            if gold_topic != NONE:
                assignment_pairs.append((gold_topic, best_topic(result, priorities)))
    sentiment = None
    if label_column is not None:
        gold_classes = {g for g, _ in sentiment_pairs}
        sentiment = report(sentiment_pairs, SENTIMENT_CLASSES, [c for c in SENTIMENT_CLASSES if c in gold_classes])
    topics = assignment = None
    if topic_column is not None:
        order = [t.id for t in tagger.taxonomy.topics]
        present = [t for t in order if t in {g for g, _ in topic_pairs}]
        topics = report(topic_pairs, order + [NONE], present)
        assignment = report(assignment_pairs, order + [NONE], present)
    return Evaluation(sentiment, topics, len(golds), assignment, dict(unknown))
