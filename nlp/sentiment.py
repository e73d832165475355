"""``voc_vader_sentiment``: VADER sentiment of the whole text on ``doc._.sentiment`` and ``doc._.sentiment_label``."""

from __future__ import annotations

from spacy.language import Language
from spacy.tokens import Doc
from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

POSITIVE_AT = 0.05  # VADER authors' recommended thresholds on the compound score
NEGATIVE_AT = -0.05

if not Doc.has_extension("sentiment"):
    Doc.set_extension("sentiment", default=None)
if not Doc.has_extension("sentiment_label"):
    Doc.set_extension("sentiment_label", default=None)


def label_for(compound: float) -> str:
    """Map a compound score in [-1, 1] to negative, neutral or positive."""
    if compound >= POSITIVE_AT:
        return "positive"
    if compound <= NEGATIVE_AT:
        return "negative"
    return "neutral"


class VaderSentiment:
    """Score ``doc.text`` with VADER; empty texts get no score."""

    def __init__(self) -> None:
        self.analyzer = SentimentIntensityAnalyzer()

    def __call__(self, doc: Doc) -> Doc:
        if doc.text.strip():
            compound = self.analyzer.polarity_scores(doc.text)["compound"]
            doc._.sentiment = compound
            doc._.sentiment_label = label_for(compound)
        return doc


@Language.factory("voc_vader_sentiment")
def make_vader_sentiment(nlp: Language, name: str) -> VaderSentiment:
    return VaderSentiment()
