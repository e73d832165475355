"""The VADER component: labels per item, empty texts untouched, accuracy on real labelled sentences."""

import pytest

from tests.helpers import SHARED_DATA
from voc.nlp import build_nlp
from voc.nlp.sentiment import label_for


@pytest.fixture(scope="module")
def nlp():
    return build_nlp()


def test_pipeline_is_a_spacy_pipeline_with_the_registered_component(nlp):
    from voc.nlp.pipeline import COMPONENTS

    assert nlp.pipe_names == list(COMPONENTS) and "voc_vader_sentiment" in nlp.pipe_names


def test_labels_follow_the_compound_score(nlp):
    pos, neg, neutral, empty = nlp.pipe(["I love it, great service!", "Awful, rude staff.", "It is a kettle.", " "])
    assert pos._.sentiment > 0.05 and pos._.sentiment_label == "positive"
    assert neg._.sentiment < -0.05 and neg._.sentiment_label == "negative"
    assert neutral._.sentiment_label == "neutral"
    assert empty._.sentiment is None and empty._.sentiment_label is None


def test_thresholds():
    assert [label_for(x) for x in (-0.5, -0.05, 0.0, 0.05, 0.9)] == [
        "negative", "negative", "neutral", "positive", "positive"]


UCI = SHARED_DATA / "uci_sentences"


@pytest.mark.skipif(not UCI.exists(), reason=f"labelled development data not found at {UCI}")
def test_binary_accuracy_on_uci_sentences_matches_stock_vader(nlp):
    """Stock VADER reaches 0.819 on these 3,000 labelled sentences (positive when compound >= 0.05,
    measured 2026-11-25); the component must not do worse."""
    texts, labels = [], []
    for name in ("amazon_cells_labelled.txt", "yelp_labelled.txt", "imdb_labelled.txt"):
        for line in (UCI / name).read_text(encoding="utf-8", errors="replace").splitlines():
            text, _, label = line.rpartition("\t")
            if label.strip() in ("0", "1"):
                texts.append(text)
                labels.append(int(label))
    assert len(texts) == 3000
    predicted = [1 if doc._.sentiment_label == "positive" else 0 for doc in nlp.pipe(texts)]
    accuracy = sum(p == y for p, y in zip(predicted, labels, strict=True)) / len(labels)
    assert accuracy >= 0.815, accuracy
