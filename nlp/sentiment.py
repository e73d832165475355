"""``voc_vader_sentiment``: VADER sentiment per sentence, per item and per matched topic.

VADER's rules (boosters, negation, ALL-CAPS and punctuation emphasis, "but") run over the tokens of
each sentence, with the customer-feedback lexicon of ``voc.nlp.lexicon`` and two kinds of evidence
stock VADER cannot see: multi-word complaint cues ("on hold", "no update") and the taxonomy's
complaint topics ("flight delayed 3 hours" is a complaint without a single emotion word).
The item score is a weighted mean of its sentences, so long texts do not saturate, and a sentence
that opens with a contrast ("but", "however") outweighs the one before it.

Results: ``doc._.sentiment`` (-1..1), ``doc._.sentiment_label``, ``doc._.sentences``
([(start_char, end_char, score)]), and ``sentiment`` on each of ``doc._.topics``. Items in a language
other than English get no score: the lexicon is English.
"""

from __future__ import annotations

import math
from functools import cache

from spacy.language import Language
from spacy.matcher import Matcher, PhraseMatcher
from spacy.tokens import Doc
from vaderSentiment.vaderSentiment import BOOSTER_DICT, NEGATE, SentimentIntensityAnalyzer, allcap_differential

from voc.nlp.lemmatize import lemma_of
from voc.nlp.lexicon import ADJECTIVE_BOOSTERS, PATTERN_VALENCE, PHRASE_VALENCE, REQUEST_WORDS, WORD_VALENCE
from voc.nlp.topics import sentence_of, sentence_starts

POSITIVE_AT = 0.05  # VADER authors' recommended thresholds on the compound score
NEGATIVE_AT = -0.05
CONTRAST = frozenset({"but", "however", "although", "though", "yet", "unfortunately", "sadly"})
NEGATIONS = frozenset(NEGATE) | {"no", "not", "never", "without"}
# VADER looks up to three words back for negations and boosters; three neutral words end that reach
BARRIER = "\x1f"
SCOPE_BREAK = (BARRIER,) * 3

for _name, _default in (("sentiment", None), ("sentiment_label", None), ("sentences", ())):
    if not Doc.has_extension(_name):
        Doc.set_extension(_name, default=_default)


def label_for(compound: float, positive_at: float = POSITIVE_AT, negative_at: float = NEGATIVE_AT) -> str:
    """Map a compound score in [-1, 1] to negative, neutral or positive."""
    if compound >= positive_at:
        return "positive"
    if compound <= negative_at:
        return "negative"
    return "neutral"


@cache
def vader_lexicon() -> dict[str, float]:
    """VADER's own lexicon, unchanged (word -> valence)."""
    return dict(SentimentIntensityAnalyzer().lexicon)


class FeedbackVader(SentimentIntensityAnalyzer):
    """VADER's word-level rules over words that are already tokenised, with the feedback lexicon."""

    def __init__(self) -> None:
        super().__init__()
        for word, valence in WORD_VALENCE.items():
            if valence:
                self.lexicon[word] = valence
            else:
                self.lexicon.pop(word, None)

    def valences(self, words: list[str]) -> list[float]:
        """One valence per word, as ``polarity_scores`` computes them before summing (incl. the "but" rule)."""

        class _Text:  # the two attributes VADER's rules read from a SentiText
            words_and_emoticons = words
            is_cap_diff = allcap_differential(words)

        sentitext = _Text()
        sentiments: list[float] = []
        for i, word in enumerate(words):
            lower = word.lower()
            if lower in BOOSTER_DICT or (lower == "kind" and i < len(words) - 1 and words[i + 1].lower() == "of"):
                sentiments.append(0.0)
                continue
            sentiments = self.sentiment_valence(0, sentitext, word, i, sentiments)
        for i, word in enumerate(words):  # "your staff are incredible": an intensifier with nothing to intensify
            lower = word.lower()
            if lower in ADJECTIVE_BOOSTERS and (i == len(words) - 1 or words[i + 1].lower() not in self.lexicon):
                sentiments[i] = ADJECTIVE_BOOSTERS[lower]
        return self._but_check(words, sentiments)

    @staticmethod
    def compound(valences: list[float], exclaims: int, questions: int) -> float:
        total = sum(valences)
        emphasis = min(exclaims, 4) * 0.292 + (0 if questions < 2 else 0.96 if questions > 3 else questions * 0.18)
        total += emphasis if total > 0 else -emphasis if total < 0 else 0
        return max(-1.0, min(1.0, total / math.sqrt(total * total + 15)))


class FeedbackSentiment:
    def __init__(self, nlp: Language, complaint_valence: float, contrast_weight: float, negative_weight: float,
                 dominant_negative: float, positive_at: float, negative_at: float) -> None:
        self.vader = FeedbackVader()
        self.complaint_valence = complaint_valence
        self.contrast_weight = contrast_weight
        self.negative_weight = negative_weight
        self.dominant_negative = dominant_negative
        self.positive_at, self.negative_at = positive_at, negative_at
        self.cues = PhraseMatcher(nlp.vocab, attr="LEMMA")
        self.cue_valence: dict[str, float] = {}
        for phrase, valence in PHRASE_VALENCE.items():
            doc = nlp.make_doc(phrase)
            for token in doc:
                token.lemma_ = lemma_of(token.norm_)
            self.cues.add(phrase, [doc])
            self.cue_valence[phrase] = valence
        self.patterns = Matcher(nlp.vocab)
        for name, (valence, patterns) in PATTERN_VALENCE.items():
            self.patterns.add(name, patterns)
            self.cue_valence[name] = valence
        self.lexicon = self.vader.lexicon

    def __call__(self, doc: Doc) -> Doc:
        if not doc.text.strip() or doc._.language not in (None, "en"):
            doc._.sentiment = doc._.sentiment_label = None
            doc._.sentences = []
            return doc
        starts = sentence_starts(doc)
        units = self._clauses(doc, starts)
        unit_starts = [u[0] for u in units]
        extra: list[list[float]] = [[] for _ in units]
        strings = doc.vocab.strings
        for match_id, start, _ in self.cues(doc) + self.patterns(doc):
            extra[sentence_of(unit_starts, start)].append(self.cue_valence[strings[match_id]])
        complaints = [0] * len(units)
        for hit in doc._.topics:
            if not hit.complaint:
                continue
            seen = set()
            for ev in hit.evidence:
                unit = sentence_of(unit_starts, ev.token_start)
                if unit in seen or self._negated(doc, ev.token_start, units[unit][0]):
                    continue
                seen.add(unit)
                complaints[unit] += 1
        skip = set(doc._.mentions) | set(doc._.urls) | {i - 1 for i in doc._.hashtags}
        emoji = dict(doc._.emoji)
        scores: list[float | None] = []
        weights: list[float] = []
        for n, (start, end, contrast) in enumerate(units):
            score = self._score(doc, start, end, skip, emoji, extra[n], complaints[n])
            scores.append(score)
            weights.append(0.0 if score is None else (0.5 + abs(score)) * (self.contrast_weight if contrast else 1.0)
                           * (self.negative_weight if score < 0 else 1.0))
        doc._.sentences = self._sentences(doc, starts, units, scores, weights)
        scored = [(s, w) for s, w in zip(scores, weights, strict=True) if s is not None]
        if not scored:
            doc._.sentiment, doc._.sentiment_label = 0.0, "neutral"
        else:
            score = sum(s * w for s, w in scored) / sum(w for _, w in scored)
            worst = min(s for s, _ in scored)
            if worst <= self.dominant_negative:
                score = min(score, worst)  # one clearly negative clause makes a piece of feedback a complaint
            doc._.sentiment, doc._.sentiment_label = score, label_for(score, self.positive_at, self.negative_at)
        for hit in doc._.topics:  # a topic's sentiment comes from the clauses that carry its evidence
            values = [scores[i] for i in {sentence_of(unit_starts, ev.token_start) for ev in hit.evidence}
                      if scores[i] is not None]
            if values:
                hit.sentiment = sum(values) / len(values)
                hit.sentiment_label = label_for(hit.sentiment, self.positive_at, self.negative_at)
        return doc

    @staticmethod
    def _clauses(doc: Doc, starts: list[int]) -> list[tuple[int, int, bool]]:
        """Split sentences at contrast words: (start, end, opens with a contrast) per clause."""
        units = []
        for n, start in enumerate(starts):
            end = starts[n + 1] if n + 1 < len(starts) else len(doc)
            clause_start = start
            for i in range(start + 1, end - 1):
                if doc[i].lower_ in CONTRAST and i > clause_start:
                    units.append((clause_start, i, doc[clause_start].lower_ in CONTRAST))
                    clause_start = i
            units.append((clause_start, end, doc[clause_start].lower_ in CONTRAST))
        return units

    def _score(self, doc: Doc, start: int, end: int, skip: set[int], emoji: dict[int, str],
               extra: list[float], complaints: int) -> float | None:
        """VADER compound of one clause, None when it has no words (only mentions, links, punctuation).

        Complaint-topic evidence counts only in a clause that is not already positive and is neither
        a question nor a request ("can you help me change my booking?" asks, it does not complain).
        """
        words, exclaims, questions, request = [], 0, 0, False
        lexicon = self.lexicon
        for token in doc[start:end]:
            if token.i in skip:
                continue
            if token.is_punct:
                exclaims += token.text.count("!")
                questions += token.text.count("?")
                if len(token.text) < 2 or token.text[0] not in ":;=8xX":
                    if words and words[-1] != BARRIER:
                        words.extend(SCOPE_BREAK)  # negation does not reach across punctuation ("no seat, horrible")
                    continue
            if token.i in emoji:
                words.extend(emoji[token.i].split())
                continue
            norm = token.norm_
            if norm not in lexicon and token.lemma_ in lexicon:
                norm = token.lemma_  # "troubles", "fails": VADER's lexicon lists one form only
            request = request or norm in REQUEST_WORDS
            text = token.text
            words.append(norm.upper() if len(text) > 1 and text.isupper() else norm)
        if not words and not extra and not complaints:
            return None
        valences = self.vader.valences(words) + extra
        score = self.vader.compound(valences, exclaims, questions)
        if complaints and score <= POSITIVE_AT and not questions and not request:
            score = self.vader.compound(valences + [self.complaint_valence] * complaints, exclaims, questions)
        return score

    @staticmethod
    def _sentences(doc: Doc, starts: list[int], units: list[tuple[int, int, bool]], scores: list[float | None],
                   weights: list[float]) -> list[tuple[int, int, float]]:
        """Per-sentence scores: the weighted mean of the sentence's clauses."""
        out = []
        for n, start in enumerate(starts):
            end = starts[n + 1] if n + 1 < len(starts) else len(doc)
            parts = [(scores[i], weights[i]) for i, u in enumerate(units)
                     if start <= u[0] < end and scores[i] is not None]
            if parts:
                span = doc[start:end]
                score = sum(s * w for s, w in parts) / sum(w for _, w in parts)
                out.append((span.start_char, span.end_char, round(score, 4)))
        return out

    @staticmethod
    def _negated(doc: Doc, token_i: int, sent_start: int) -> bool:
        """A complaint phrase right after a negation ("no delay", "not late") is not complaint evidence."""
        return any(doc[i].norm_ in NEGATIONS for i in range(max(sent_start, token_i - 2), token_i))


@Language.factory("voc_vader_sentiment", default_config={
    "complaint_valence": -1.5, "contrast_weight": 2.0, "negative_weight": 1.0, "dominant_negative": -1.0,
    "positive_at": POSITIVE_AT, "negative_at": NEGATIVE_AT})
def make_vader_sentiment(nlp: Language, name: str, complaint_valence: float, contrast_weight: float,
                         negative_weight: float, dominant_negative: float, positive_at: float,
                         negative_at: float) -> FeedbackSentiment:
    return FeedbackSentiment(nlp, complaint_valence, contrast_weight, negative_weight, dominant_negative,
                             positive_at, negative_at)
