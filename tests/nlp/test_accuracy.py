"""Accuracy on real, externally labelled feedback (../shared/data/dev), measured as ``voc eval`` measures it.

The floors are the figures measured when the rules last changed (docs/nlp.md lists them with the
commands), less a small margin: a change that makes the tagger worse fails here. Issue 4 targets
0.70 sentiment macro-F1 and 0.60 complaint-topic macro-F1 on the airline tweets. Complaint topics
are scored end to end (the topic of items the tagger flags as complaints, "Can't Tell" left out;
see ``voc.nlp.evaluate``): 0.562 measured (voc-nlp-0.5), short of the target, so ``TOPIC_FLOOR`` guards what has
been reached; topic assignment alone (gold complaints with a reason) measured 0.631.
"""

import csv

import pytest

from tests.helpers import SHARED_DATA
from voc.nlp import Tagger
from voc.nlp.evaluate import evaluate, report

AIRLINE = SHARED_DATA / "airline_tweets_dev.csv"
TARGET_SENTIMENT_F1, TARGET_TOPIC_F1 = 0.70, 0.60
STOCK_VADER_SENTIMENT_F1 = 0.46  # stock VADER, +/-0.05 thresholds, same file (MEASUREMENTS.md)
SENTIMENT_FLOOR, TOPIC_FLOOR, ASSIGNMENT_FLOOR = TARGET_SENTIMENT_F1, 0.56, 0.63
ODD_ROWS_TOPIC_FLOOR = 0.49  # the held-out half, measured 0.495

pytestmark = pytest.mark.skipif(not AIRLINE.exists(), reason=f"labelled development data not found at {AIRLINE}")


@pytest.fixture(scope="module")
def airline():
    return Tagger("airline")


@pytest.fixture(scope="module")
def airline_eval(airline):
    return evaluate(AIRLINE, airline, label_column="airline_sentiment", topic_column="negativereason")


def test_airline_sentiment_beats_stock_vader_by_far(airline_eval):
    f1 = airline_eval.sentiment.macro_f1
    assert airline_eval.items == 1000
    assert f1 >= SENTIMENT_FLOOR, f"sentiment macro-F1 {f1:.3f} < {SENTIMENT_FLOOR} (target {TARGET_SENTIMENT_F1})"
    assert f1 - STOCK_VADER_SENTIMENT_F1 > 0.2


def test_airline_complaint_topics(airline_eval):
    f1 = airline_eval.topics.macro_f1
    assert f1 >= TOPIC_FLOOR, f"complaint-topic macro-F1 {f1:.3f} fell below {TOPIC_FLOOR} (target {TARGET_TOPIC_F1})"
    assert len(airline_eval.topics.averaged) == 9, "every complaint reason but \"Can't Tell\" is a topic"
    assert airline_eval.unknown_topics == {"Can't Tell": 92}, "a reason no topic names is left out, and counted"
    assert sum(airline_eval.topics.matrix.values()) == 908
    assignment = airline_eval.assignment.macro_f1
    assert assignment >= ASSIGNMENT_FLOOR, f"topic assignment macro-F1 {assignment:.3f} < {ASSIGNMENT_FLOOR}"


def test_no_topic_on_a_row_with_a_reason_is_a_miss(airline):
    """A complaint reason the tagger finds no topic for counts against that reason's recall."""
    rows = [{"text": "Nothing to see here at all", "label": "negative", "reason": "Late Flight"},
            {"text": "Flight delayed 3 hours, no update", "label": "negative", "reason": "Late Flight"},
            {"text": "no idea", "label": "negative", "reason": "Can't Tell"}]
    result = evaluate(AIRLINE, airline, label_column="label", topic_column="reason", rows=rows)
    assert result.topics.per_class["late_flight"][:2] == (1.0, 0.5)
    assert result.unknown_topics == {"Can't Tell": 1}


def test_complaint_topics_on_the_held_out_half(airline):
    """The airline taxonomy's phrases were written looking at errors on even rows of the file only; the
    odd rows are the check (measured: even 0.630, odd 0.495)."""
    rows = list(csv.DictReader(AIRLINE.open(encoding="utf-8")))
    odd = evaluate(AIRLINE, airline, label_column=None, topic_column="negativereason", rows=rows[1::2])
    assert odd.topics.macro_f1 >= ODD_ROWS_TOPIC_FLOOR, odd.topics.macro_f1


def test_both_halves_of_the_airline_set_score_alike(airline):
    """The rules were written looking at errors on even tweet ids only; odd ids are the check that they
    generalise (a rule fitted to single tweets would open a gap between the halves)."""
    rows = list(csv.DictReader(AIRLINE.open(encoding="utf-8")))
    scores = []
    for parity in (0, 1):
        half = [r for r in rows if int(r["tweet_id"]) % 2 == parity]
        scores.append(evaluate(AIRLINE, airline, label_column="airline_sentiment", rows=half).sentiment.macro_f1)
    assert abs(scores[0] - scores[1]) < 0.05, scores
    assert min(scores) >= SENTIMENT_FLOOR - 0.02, scores


def _binary_accuracy(tagger: Tagger, pairs: list[tuple[str, int]]) -> float:
    from voc.nlp import Item

    results = tagger.tag(Item(text) for text, _ in pairs)
    hits = sum((r["sentiment"] is not None and r["sentiment"]["score"] > 0) == bool(y) for r, (_, y) in
               zip(results, pairs, strict=True))
    return hits / len(pairs)


@pytest.mark.skipif(not (SHARED_DATA / "uci_sentences").exists(), reason="UCI sentences not found")
def test_no_regression_on_review_sentences():
    """UCI Amazon/Yelp/IMDb sentences (binary): stock VADER reaches 0.817 (positive when compound > 0)."""
    pairs = []
    for name in ("amazon_cells_labelled.txt", "yelp_labelled.txt", "imdb_labelled.txt"):
        for line in (SHARED_DATA / "uci_sentences" / name).read_text(encoding="utf-8", errors="replace").splitlines():
            text, _, label = line.rpartition("\t")
            if label.strip() in ("0", "1"):
                pairs.append((text, int(label)))
    assert len(pairs) == 3000
    assert _binary_accuracy(Tagger("acme-retail"), pairs) >= 0.82


@pytest.mark.skipif(not (SHARED_DATA / "car_rental_training_data.csv").exists(), reason="car rental data not found")
def test_car_rental_feedback_better_than_stock_vader():
    """229 distinct car-rental comments with a satisfied flag: stock VADER reaches 0.760."""
    seen = {}
    with (SHARED_DATA / "car_rental_training_data.csv").open(encoding="utf-8") as fh:
        for row in csv.DictReader(fh, delimiter=";"):
            seen[row["Customer_Service"]] = int(row["Satisfaction"])
    assert _binary_accuracy(Tagger("acme-retail"), list(seen.items())) >= 0.78


@pytest.mark.skipif(not (SHARED_DATA / "vader_groundtruth").exists(), reason="VADER ground truth not found")
def test_vader_own_tweets_stay_close_to_stock_vader():
    """VADER's own validation tweets (3 classes at +/-0.5 of the mean human rating): stock VADER reaches
    0.702 there, on the data it was tuned on; the feedback rules must not cost much on general tweets."""
    pairs = []
    for line in (SHARED_DATA / "vader_groundtruth" / "tweets_GroundTruth.txt").read_text(
            encoding="latin-1").splitlines():
        parts = line.split("\t")
        if len(parts) >= 3:
            rating = float(parts[1])
            pairs.append(("positive" if rating >= 0.5 else "negative" if rating <= -0.5 else "neutral", parts[2]))
    from voc.nlp import Item

    tagger = Tagger("acme-retail")
    predicted = [r["sentiment"]["label"] if r["sentiment"] else "neutral"
                 for r in tagger.tag(Item(text) for _, text in pairs)]
    f1 = report(zip([g for g, _ in pairs], predicted, strict=True), ["negative", "neutral", "positive"]).macro_f1
    assert f1 >= 0.67, f1
