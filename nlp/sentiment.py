"""``voc_vader_sentiment``: VADER sentiment per clause, sentence, item and matched topic.

VADER's rules (boosters, negation, ALL-CAPS and punctuation emphasis, "but") run over the tokens of
each clause (sentences split again at "but", "however", ...), with the customer-feedback lexicon of
``voc.nlp.lexicon`` and evidence stock VADER cannot see: complaint cues ("on hold", "for 2 hours",
"where is my ...") and the taxonomy's complaint topics ("flight delayed" is a complaint without an
emotion word). Questions, requests and wishes are not praise. The item score is a weighted mean of
its clauses, so long texts do not saturate, and a clause that opens with a contrast outweighs the
one before it. docs/nlp.md lists every rule.

Results: ``doc._.sentiment`` (-1..1), ``doc._.sentiment_label``, ``doc._.sentences``
([(start_char, end_char, score)]), and ``sentiment`` on each of ``doc._.topics`` (the mean of the
clauses that carry its evidence). Items in a language other than English get no score: the lexicon
is English.
"""

from __future__ import annotations

import math
from functools import cache
from itertools import repeat
from operator import mul

from spacy.language import Language
from spacy.matcher import PhraseMatcher
from spacy.tokens import Doc
from vaderSentiment.vaderSentiment import (
    BOOSTER_DICT,
    C_INCR,
    N_SCALAR,
    NEGATE,
    SPECIAL_CASES,
    SentimentIntensityAnalyzer,
    allcap_differential,
)

from voc.nlp.docdata import EMOJI, HASHTAGS, LANGUAGE, MENTIONS, SENTENCES, SENTIMENT, SENTIMENT_LABEL, TOPICS, URLS
from voc.nlp.lemmatize import lemma_of, token_table
from voc.nlp.lexicon import ADJECTIVE_BOOSTERS, EMOJI_VALENCE, PHRASE_VALENCE, REQUEST_WORDS, WORD_VALENCE, token_cues
from voc.nlp.normalize import hashtag_words, text_of
from voc.nlp.topics import sentence_of

POSITIVE_AT = 0.05  # VADER authors' recommended thresholds on the compound score
NEGATIVE_AT = -0.05
CONTRAST = frozenset({"but", "however", "although", "though", "unfortunately", "sadly"})
NEGATIONS = frozenset(NEGATE) | {"no", "not", "never", "without"}
NEGATE_WORDS = frozenset(NEGATE)
# without one of these words (or a word with "n't") ``_negation_check`` changes no valence
NEGATION_CONTEXT = NEGATE_WORDS | {"never", "without", "so", "this"}
# the words of VADER's idioms and multi-word boosters: without one ``_idioms_check`` changes no valence
IDIOM_WORDS = frozenset(word for phrase in (*SPECIAL_CASES, *BOOSTER_DICT) if " " in phrase for word in phrase.split())
INFLECTED = ("s", "ed", "ing")
NEUTRALISED = frozenset(word for word, valence in WORD_VALENCE.items() if not valence)
# how a question for information opens (a "why" or "where is my ..." question is a complaint instead)
INFO_OPENERS = frozenset({"do", "does", "is", "are", "will", "can", "could", "may", "should", "would", "did", "am"})
INFO_FRAMES = frozenset({("how", "do"), ("how", "can"), ("how", "long"), ("how", "many"), ("how", "much"),
                         ("what", "time"), ("what", "is"), ("what", "are"), ("what", "do"), ("when", "is"),
                         ("when", "will"), ("when", "does"), ("when", "do"), ("where", "do"), ("where", "can"),
                         ("which", "is"), ("who", "do"), ("who", "should"), ("any", "chance"), ("any", "way")})
IRREALIS = frozenset({"would", "wish", "if", "should", "could", "hoping", "hopefully", "wonder"})
POLITE = frozenset({"thanks", "thank", "thx", "ty", "appreciate", "appreciated", "pls", "please", "kindly"})
# VADER looks up to three words back for negations and boosters; three neutral words end that reach
BARRIER = "\x1f"
EMOJI_PREFIX = "emoji:"  # lexicon entries for emoji (see ``EMOJI_VALENCE``)
SCOPE_BREAK = (BARRIER,) * 3
ADJECTIVE_BOOSTER_WORDS = frozenset(ADJECTIVE_BOOSTERS)
NONE = ()  # no mentions, links, hashtags or emoji in a doc; no cue in a clause

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


def _negated_word(word: str) -> bool:
    return word in NEGATE_WORDS or "n't" in word


def _negation_check(valence: float, lw: list[str], back: int, i: int) -> float:
    """VADER's ``_negation_check`` on lower-cased words."""
    if back == 0:
        return valence * N_SCALAR if _negated_word(lw[i - 1]) else valence
    if back == 1:
        if lw[i - 2] == "never" and lw[i - 1] in ("so", "this"):
            return valence * 1.25
        if lw[i - 2] == "without" and lw[i - 1] == "doubt":
            return valence
        return valence * N_SCALAR if _negated_word(lw[i - 2]) else valence
    if (lw[i - 3] == "never" and lw[i - 2] in ("so", "this")) or lw[i - 1] in ("so", "this"):
        return valence * 1.25
    if lw[i - 3] == "without" and (lw[i - 2] == "doubt" or lw[i - 1] == "doubt"):
        return valence
    return valence * N_SCALAR if _negated_word(lw[i - 3]) else valence


def _idioms_check(valence: float, lw: list[str], i: int) -> float:
    """VADER's ``_special_idioms_check`` on lower-cased words (i >= 3)."""
    onezero, twoone = f"{lw[i - 1]} {lw[i]}", f"{lw[i - 2]} {lw[i - 1]}"
    twoonezero, threetwoone = f"{lw[i - 2]} {lw[i - 1]} {lw[i]}", f"{lw[i - 3]} {lw[i - 2]} {lw[i - 1]}"
    threetwo = f"{lw[i - 3]} {lw[i - 2]}"
    for seq in (onezero, twoonezero, twoone, threetwoone, threetwo):
        if seq in SPECIAL_CASES:
            valence = SPECIAL_CASES[seq]
            break
    n = len(lw)
    if n - 1 > i and f"{lw[i]} {lw[i + 1]}" in SPECIAL_CASES:
        valence = SPECIAL_CASES[f"{lw[i]} {lw[i + 1]}"]
    if n - 1 > i + 1 and f"{lw[i]} {lw[i + 1]} {lw[i + 2]}" in SPECIAL_CASES:
        valence = SPECIAL_CASES[f"{lw[i]} {lw[i + 1]} {lw[i + 2]}"]
    for n_gram in (threetwoone, threetwo, twoone):
        if n_gram in BOOSTER_DICT:
            valence += BOOSTER_DICT[n_gram]
    return valence


class _SentiText:
    """The two attributes VADER's rules read from its ``SentiText``, for words that are already split."""

    __slots__ = ("words_and_emoticons", "is_cap_diff")

    def __init__(self, words: list[str]) -> None:
        self.words_and_emoticons = words
        self.is_cap_diff = allcap_differential(words)


class FeedbackVader(SentimentIntensityAnalyzer):
    """VADER's word-level rules over words that are already tokenised, with the feedback lexicon."""

    def __init__(self) -> None:
        super().__init__()
        for emoji, valence in EMOJI_VALENCE.items():
            self.lexicon[EMOJI_PREFIX + emoji] = valence
        for word, valence in WORD_VALENCE.items():
            if valence:
                self.lexicon[word] = valence
            else:
                self.lexicon.pop(word, None)

    def stock_valences(self, words: list[str]) -> list[float]:
        """``valences`` computed by vaderSentiment's own methods (slower; kept to test the fast path against)."""
        sentitext = _SentiText(words)
        sentiments: list[float] = []
        for i, word in enumerate(words):
            lower = word.lower()
            if lower in BOOSTER_DICT or (lower == "kind" and i < len(words) - 1 and words[i + 1].lower() == "of"):
                sentiments.append(0.0)
                continue
            sentiments = self.sentiment_valence(0, sentitext, word, i, sentiments)
        return self._but_check(words, sentiments)

    def valences(self, words: list[str], lw: list[str] | None = None) -> list[float]:
        """One valence per word, as VADER's ``polarity_scores`` computes them before summing.

        The same rules as vaderSentiment's ``sentiment_valence``, ``_negation_check``,
        ``_special_idioms_check``, ``_least_check`` and ``_but_check``, written over words lower-cased
        once (VADER lower-cases the whole sentence again for every sentiment word it meets); ``lw``
        passes those lower-cased words when the caller has them already. Only words in the lexicon
        are visited: every rule starts from one.
        """
        lexicon = self.lexicon
        n = len(words)
        if lw is None:
            lw = list(map(str.lower, words))
        is_cap_diff = None  # a word's case is read only where a rule needs it, and ALL CAPS words are rare
        negatable = idiomatic = None
        sentiments = [0.0] * n
        found = lexicon.keys() & lw
        for i in [k for k, lower in enumerate(lw) if lower in found] if found else ():
            lower = lw[i]
            if lower in BOOSTER_DICT or (lower == "kind" and i < n - 1 and lw[i + 1] == "of"):
                continue
            valence = lexicon[lower]
            if lower == "no" and i != n - 1 and lw[i + 1] in lexicon:
                valence = 0.0
            if (i > 0 and lw[i - 1] == "no") or (i > 1 and lw[i - 2] == "no") or (
                    i > 2 and lw[i - 3] == "no" and lw[i - 1] in ("or", "nor")):
                valence = lexicon[lower] * N_SCALAR
            if words[i].isupper():
                if is_cap_diff is None:
                    is_cap_diff = 0 < n - sum(map(str.isupper, words)) < n
                if is_cap_diff:
                    valence += C_INCR if valence > 0 else -C_INCR
            if negatable is None:  # whether any word can trigger the negation or idiom rules below
                joined = "\x1e".join(lw)
                negatable = "n't" in joined or not NEGATION_CONTEXT.isdisjoint(lw)
                idiomatic = " " in joined or "" in lw or not IDIOM_WORDS.isdisjoint(lw)
            for back in range(3):
                if i <= back:
                    break
                before = lw[i - back - 1]
                if before in lexicon:
                    continue
                scalar = 0.0
                if before in BOOSTER_DICT:
                    scalar = BOOSTER_DICT[before] * (-1 if valence < 0 else 1)
                    if words[i - back - 1].isupper():
                        if is_cap_diff is None:
                            is_cap_diff = 0 < n - sum(map(str.isupper, words)) < n
                        if is_cap_diff:
                            scalar += C_INCR if valence > 0 else -C_INCR
                    scalar *= (1.0, 0.95, 0.9)[back]
                valence += scalar
                if negatable:
                    valence = _negation_check(valence, lw, back, i)
                if back == 2 and idiomatic:
                    valence = _idioms_check(valence, lw, i)
            if i > 1 and lw[i - 1] == "least" and "least" not in lexicon:
                if lw[i - 2] not in ("at", "very"):
                    valence *= N_SCALAR
            elif i > 0 and lw[i - 1] == "least" and "least" not in lexicon:
                valence *= N_SCALAR
            sentiments[i] = valence
        if not ADJECTIVE_BOOSTER_WORDS.isdisjoint(lw):  # "your staff are incredible": nothing to intensify
            for i, lower in enumerate(lw):
                if lower in ADJECTIVE_BOOSTERS and (i == n - 1 or lw[i + 1] not in lexicon):
                    sentiments[i] = ADJECTIVE_BOOSTERS[lower]
        if "but" in lw:  # VADER: the part after "but" counts half again, the part before half
            pivot = lw.index("but")
            sentiments = [v * 0.5 if k < pivot else v * 1.5 if k > pivot else v for k, v in enumerate(sentiments)]
        return sentiments

    @staticmethod
    def compound(valences: list[float], exclaims: int, questions: int) -> float:
        total = sum(valences)
        if exclaims or questions:  # (without either the emphasis is 0 and adding it changes nothing)
            emphasis = min(exclaims, 4) * 0.292 + (0 if questions < 2 else 0.96 if questions > 3 else questions * 0.18)
            total += emphasis if total > 0 else -emphasis if total < 0 else 0
        return max(-1.0, min(1.0, total / math.sqrt(total * total + 15)))


class _Inflected(dict):
    """norm -> whether its lemma may stand in for it in VADER's lexicon: not listed itself, inflected ("-s", "-ed",
    "-ing"), not neutralised by the feedback lexicon. Filled on first use."""

    def __init__(self, lexicon: dict[str, float]) -> None:
        super().__init__()
        self.lexicon = lexicon

    def __missing__(self, norm: str) -> bool:
        value = self[norm] = norm not in self.lexicon and norm.endswith(INFLECTED) and norm not in NEUTRALISED
        return value


class FeedbackSentiment:
    def __init__(self, nlp: Language, complaint_valence: float, contrast_weight: float, negative_weight: float,
                 dominant_negative: float, mixed_positive: float, question_positive: float,
                 info_question_negative: float, positive_at: float, negative_at: float) -> None:
        self.vader = FeedbackVader()
        self.complaint_valence = complaint_valence
        self.contrast_weight = contrast_weight
        self.negative_weight = negative_weight
        self.dominant_negative = dominant_negative
        self.mixed_positive = mixed_positive
        self.question_positive = question_positive
        self.info_question_negative = info_question_negative
        self.positive_at, self.negative_at = positive_at, negative_at
        self.cues = PhraseMatcher(nlp.vocab, attr="LEMMA")
        self.cue_valence: dict[str, float] = {}
        self.cue_firsts: set[str] = set()  # the lemma each cue phrase starts with: a doc without one has no cue
        for phrase, valence in PHRASE_VALENCE.items():
            doc = nlp.make_doc(phrase)
            for token in doc:
                token.lemma_ = lemma_of(token.norm_)
            self.cues.add(phrase, [doc])
            self.cue_valence[phrase] = valence
            self.cue_firsts.add(doc[0].lemma_)
        self.lexicon = self.vader.lexicon
        self.inflected = _Inflected(self.lexicon)  # norm -> whether its lemma may stand in for it

    def __call__(self, doc: Doc) -> Doc:
        """Reads the doc's token table, topics and social features; writes sentiment, its label and the sentence
        scores to ``doc._``, and each topic's sentiment."""
        if len(self.inflected) > 200_000:  # one entry per distinct norm: keep it bounded
            self.inflected.clear()
        data = doc.user_data  # doc._ values (see voc.nlp.docdata)
        text = text_of(doc)
        if not text.strip() or data.get(LANGUAGE) not in (None, "en"):
            data[SENTIMENT] = data[SENTIMENT_LABEL] = None
            data[SENTENCES] = []
            return doc
        table = token_table(doc)
        starts = table.sent_starts
        norms = table.norms
        ends = [*starts[1:], len(norms)]
        if CONTRAST.isdisjoint(norms):  # one clause per sentence
            units = list(zip(starts, ends, repeat(False)))
            unit_starts = starts
        else:
            units = self._clauses(norms, starts, ends)
            unit_starts = [u[0] for u in units]
        extra: dict[int, list[float]] = {}  # clause -> valences of cues found in it
        if not self.cue_firsts.isdisjoint(table.lemmas):  # else no cue phrase can start anywhere
            strings = doc.vocab.strings
            for match_id, start, _ in self.cues(doc):
                extra.setdefault(sentence_of(unit_starts, start), []).append(self.cue_valence[strings[match_id]])
        for start, valence in token_cues(norms, table.punct, table.num):
            extra.setdefault(sentence_of(unit_starts, start), []).append(valence)
        complaints = [0] * len(units)
        topics = data.get(TOPICS, ())
        for hit in topics:
            if not hit.complaint:
                continue
            seen = set()
            for ev in hit.evidence:
                unit = sentence_of(unit_starts, ev.token_start)
                if unit in seen or self._negated(norms, ev.token_start, units[unit][0]):
                    continue
                seen.add(unit)
                complaints[unit] += 1
        mentions, urls, hashtags, emoji = (data.get(MENTIONS), data.get(URLS), data.get(HASHTAGS),
                                           data.get(EMOJI))
        if mentions or urls or hashtags or emoji:
            hashtags = set(hashtags or ())
            skip = set(mentions or ()) | set(urls or ()) | {i - 1 for i in hashtags}
            emoji = dict(emoji or ())
        else:  # no social features (most survey comments)
            hashtags = skip = emoji = NONE
        asking = "?" in text or not REQUEST_WORDS.isdisjoint(norms)
        scores: list[float | None] = []
        weights: list[float] = []
        contrast_weight, negative_weight = self.contrast_weight, self.negative_weight
        for n, (start, end, contrast) in enumerate(units):
            score = self._score(table, start, end, skip, emoji, hashtags, extra.get(n, NONE), complaints[n], asking)
            scores.append(score)
            weights.append(0.0 if score is None else (0.5 + abs(score)) * (contrast_weight if contrast else 1.0)
                           * (negative_weight if score < 0 else 1.0))
        data[SENTENCES] = self._sentences(table, starts, ends, units, scores, weights)
        if None in scores:
            scored = [k for k, s in enumerate(scores) if s is not None]
            scores_of, weights_of = [scores[k] for k in scored], [weights[k] for k in scored]
        else:
            scores_of, weights_of = scores, weights
        if not scores_of:
            data[SENTIMENT], data[SENTIMENT_LABEL] = 0.0, "neutral"
        else:
            score = sum(map(mul, scores_of, weights_of)) / sum(weights_of)
            worst = min(scores_of)
            if worst <= self.dominant_negative:
                score = min(score, worst)  # one clearly negative clause makes a piece of feedback a complaint
            data[SENTIMENT], data[SENTIMENT_LABEL] = score, label_for(score, self.positive_at, self.negative_at)
        for hit in topics:  # a topic's sentiment comes from the clauses that carry its evidence
            values = [scores[i] for i in {sentence_of(unit_starts, ev.token_start) for ev in hit.evidence}
                      if scores[i] is not None]
            if values:
                hit.sentiment = sum(values) / len(values)
                hit.sentiment_label = label_for(hit.sentiment, self.positive_at, self.negative_at)
        return doc

    @staticmethod
    def _clauses(norms: list[str], starts: list[int], ends: list[int]) -> list[tuple[int, int, bool]]:
        """Split sentences at contrast words: (start, end, opens with a contrast) per clause."""
        units = []
        for start, end in zip(starts, ends, strict=True):
            clause_start = start
            for i in range(start + 1, end - 1):
                if norms[i] in CONTRAST and i > clause_start:
                    units.append((clause_start, i, norms[clause_start] in CONTRAST))
                    clause_start = i
            units.append((clause_start, end, norms[clause_start] in CONTRAST))
        return units

    def _score(self, table, start: int, end: int, skip: set[int], emoji: dict[int, str], hashtags: set[int],
               extra: list[float], complaints: int, asking: bool) -> float | None:
        """VADER compound of one clause, None when it has no words (only mentions, links, punctuation).

        Complaint-topic evidence counts only in a clause that is not already positive and is neither
        a question nor a request ("can you help me change my booking?" asks, it does not complain).
        """
        words, exclaims, questions, request = [], 0, 0, False
        lexicon = self.lexicon
        texts, norms, lemmas, punct = table.texts, table.norms, table.lemmas, table.punct
        inflected = self.inflected
        for i in range(start, end):
            if i in skip:
                continue
            text = texts[i]
            if punct[i]:
                exclaims += text.count("!")
                questions += text.count("?")
                if len(text) < 2 or text[0] not in ":;=8xX":
                    if words and words[-1] != BARRIER:
                        words.extend(SCOPE_BREAK)  # negation does not reach across punctuation ("no seat, horrible")
                    continue
            if i in emoji:
                words.extend(EMOJI_PREFIX + c for c in text if c in EMOJI_VALENCE)
                words.extend(emoji[i].split())
                continue
            if i in hashtags:  # "#PoorService", "#neveragain": the words inside carry the sentiment
                words.extend(hashtag_words(text))
                continue
            norm = norms[i]
            if norm == "no" and i + 1 < len(texts) and any(c.isdigit() for c in texts[i + 1]):
                norm = "number"  # "flight no 123", "order no. 4567"
            if inflected[norm] and lemmas[i] in lexicon:
                norm = lemmas[i]  # "troubles", "failed": VADER's lexicon lists one form only
            request = request or norm in REQUEST_WORDS
            words.append(norm.upper() if len(text) > 1 and text.isupper() else norm)
        if not words and not extra and not complaints:
            return None
        lw = list(map(str.lower, words))
        valences = self.vader.valences(words, lw)
        if asking and not POLITE.isdisjoint(lw):  # "thanks" closing a question or a request is politeness, not praise
            valences = [0.0 if w in POLITE and v > 0 else v for w, v in zip(lw, valences, strict=True)]
        if complaints or (extra and min(extra) < 0):  # praise next to a complaint is mostly sarcasm or politeness
            valences = [v * self.mixed_positive if v > 0 else v for v in valences]
        if questions and self._asks_for_information(words):
            # "can I change my booking?", "is it possible to cancel online?": a how-to question, not a complaint
            valences = [v * self.info_question_negative if v < 0 else v for v in valences]
            extra = [e * self.info_question_negative for e in extra]
            complaints = 0
        if questions:  # a question asks: its friendly words are not praise
            valences = [v * self.question_positive if v > 0 else v for v in valences]
        elif not IRREALIS.isdisjoint(lw):  # nor are those of a wish, after its "would"/"if"/"wish" ("it would be
            wish = next(k for k, w in enumerate(lw) if w in IRREALIS)  # great if ...")
            valences = [v * self.question_positive if v > 0 and k > wish else v for k, v in enumerate(valences)]
        valences += extra
        score = self.vader.compound(valences, exclaims, questions)
        if complaints and score <= POSITIVE_AT and not questions and not request:
            score = self.vader.compound(valences + [self.complaint_valence] * complaints, exclaims, questions)
        return score

    @staticmethod
    def _asks_for_information(words: list[str]) -> bool:
        first = [w.lower() for w in words[:2] if w != BARRIER]
        return bool(first) and (tuple(first) in INFO_FRAMES or (first[0] in INFO_OPENERS and len(first) > 1))

    @staticmethod
    def _sentences(table, starts: list[int], ends: list[int], units: list[tuple[int, int, bool]],
                   scores: list[float | None], weights: list[float]) -> list[tuple[int, int, float]]:
        """Per-sentence scores: the weighted mean of the sentence's clauses."""
        idx, texts = table.idx, table.texts
        out = []
        if len(units) == len(starts):  # one clause per sentence
            for start, end, score, weight in zip(starts, ends, scores, weights, strict=True):
                if score is not None:  # the weighted mean of one clause, as sum() computes it below
                    out.append((idx[start], idx[end - 1] + len(texts[end - 1]),
                                round((0.0 + score * weight) / weight, 4)))
            return out
        k, count = 0, len(units)
        for start, end in zip(starts, ends, strict=True):
            parts = []
            while k < count and units[k][0] < end:  # units are in order, each within one sentence
                if start <= units[k][0] and scores[k] is not None:
                    parts.append((scores[k], weights[k]))
                k += 1
            if parts:
                score = sum(s * w for s, w in parts) / sum(w for _, w in parts)
                out.append((*table.char_span(start, end), round(score, 4)))
        return out

    @staticmethod
    def _negated(norms: list[str], token_i: int, sent_start: int) -> bool:
        """A complaint phrase right after a negation ("no delay", "not late") is not complaint evidence."""
        return any(norms[i] in NEGATIONS for i in range(max(sent_start, token_i - 2), token_i))


@Language.factory("voc_vader_sentiment", default_config={
    "complaint_valence": -1.5, "contrast_weight": 2.0, "negative_weight": 1.0, "dominant_negative": -1.0,
    "mixed_positive": 0.5, "question_positive": 0.0, "info_question_negative": 0.5, "positive_at": POSITIVE_AT,
    "negative_at": NEGATIVE_AT})
def make_vader_sentiment(nlp: Language, name: str, complaint_valence: float, contrast_weight: float,
                         negative_weight: float, dominant_negative: float, mixed_positive: float,
                         question_positive: float, info_question_negative: float, positive_at: float,
                         negative_at: float) -> FeedbackSentiment:
    return FeedbackSentiment(nlp, complaint_valence, contrast_weight, negative_weight, dominant_negative,
                             mixed_positive, question_positive, info_question_negative, positive_at, negative_at)
