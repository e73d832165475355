"""Feedback sentiment: right where stock VADER is known to be wrong on customer feedback.

Each case shows stock VADER's answer too, so the test would notice if the component stopped
adding anything over it.
"""

import pytest
from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

from tests.helpers import SHARED_DATA
from voc.nlp import build_nlp
from voc.nlp.sentiment import FeedbackVader, label_for

STOCK = SentimentIntensityAnalyzer()


def stock_label(text: str) -> str:
    return label_for(STOCK.polarity_scores(text)["compound"])


@pytest.fixture(scope="module")
def nlp():
    return build_nlp("airline")


@pytest.fixture(scope="module")
def retail():
    return build_nlp("acme-retail")


def test_labels_follow_the_score_and_empty_texts_get_none(nlp):
    pos, neg, neutral, empty = nlp.pipe(["I love it, great service!", "Awful, rude staff.", "It is a kettle.", " "])
    assert pos._.sentiment > 0.05 and pos._.sentiment_label == "positive"
    assert neg._.sentiment < -0.05 and neg._.sentiment_label == "negative"
    assert neutral._.sentiment_label == "neutral"
    assert empty._.sentiment is None and empty._.sentiment_label is None and empty._.sentences == []
    assert [label_for(x) for x in (-0.5, -0.05, 0.0, 0.05, 0.9)] == [
        "negative", "negative", "neutral", "positive", "positive"]


@pytest.mark.parametrize(("text", "stock", "ours"), [
    # complaints with no sentiment word
    ("We have been waiting for a gate for an hour.", "neutral", "negative"),
    ("Nobody has called me back.", "neutral", "negative"),
    ("Been on hold for 40 minutes now", "neutral", "negative"),
    ("Where is my bag?", "neutral", "negative"),
    ("Why is my flight still sitting at the gate?", "neutral", "negative"),
    # politeness and requests are not praise
    ("Kindly send me the invoice, please.", "positive", "neutral"),
    ("Can you help me change my booking?", "positive", "neutral"),
    ("It would be great if you could add a vegetarian meal.", "positive", "neutral"),
    # hashtags carry sentiment inside them
    ("Third time this month #PoorService", "neutral", "negative"),
])
def test_customer_feedback_cases_stock_vader_gets_wrong(nlp, text, stock, ours):
    assert stock_label(text) == stock
    assert nlp(text)._.sentiment_label == ours


@pytest.mark.parametrize(("text", "label"), [
    ("No problems at all, the crew was lovely.", "positive"),
    ("Not bad, the seat was fine.", "positive"),
    ("The food was not good.", "negative"),
])
def test_negations(nlp, text, label):
    assert nlp(text)._.sentiment_label == label


def test_contrast_gives_each_topic_its_own_sentiment(retail):
    doc = retail("I love the app but delivery was late.")
    by_topic = {hit.topic: hit.sentiment_label for hit in doc._.topics}
    assert by_topic["app_website"] == "positive"
    assert by_topic["late_delivery"] == "negative"
    assert doc._.sentiment_label == "negative", "what follows 'but' weighs more"


def test_long_texts_do_not_saturate(nlp):
    praise = "The crew was great and the seats were comfortable. "
    complaint = "But the bag was lost and nobody answered the phone for two days. "
    text = praise * 6 + complaint
    stock = STOCK.polarity_scores(text)["compound"]
    assert stock > 0.95, "stock VADER sums every sentence, so the complaint disappears"
    doc = nlp(text)
    assert doc._.sentiment < stock - 0.3
    assert len(doc._.sentences) == 7 and doc._.sentences[-1][2] < 0
    assert all(0 <= start < end <= len(text) for start, end, _ in doc._.sentences)


def test_the_fast_rules_agree_with_vader_on_real_sentences():
    """``FeedbackVader.valences`` re-implements VADER's rules over pre-lowered words; it must give the
    same per-word valences as vaderSentiment's own code (two known exceptions: VADER's "but" rule
    finds repeated values by ``list.index`` and so scales the wrong copy)."""
    vader = FeedbackVader()
    lines = (SHARED_DATA / "uci_sentences" / "yelp_labelled.txt").read_text(encoding="utf-8", errors="replace")
    sentences = [line.rpartition("\t")[0].split() for line in lines.splitlines()]
    sentences += [s.split() for s in ("not bad at all", "VADER is VERY SMART, uber handsome, and FRIGGIN FUNNY",
                                      "kind of good", "at least it isn't a horrible book", "never so good")]
    differ = [w for w in sentences if any(abs(a - b) > 1e-9 for a, b in
                                          zip(vader.valences(w), vader.stock_valences(w), strict=True))
              and not any(x.lower() in ("incredible", "exceptional", "tremendous") for x in w)]
    assert len(sentences) > 1000 and len(differ) <= 2, differ
