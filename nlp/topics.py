"""``voc_topic_matcher``: taxonomy topics on ``doc._.topics``, each with the evidence that matched it.

Phrases match case-insensitively on lemmas of the normalised tokens ("delays", "DELAYED" and
"delaaayed" match ``delay``; multi-word phrases match contiguous tokens), a hashtag matches a phrase
written without spaces (``#LostLuggage`` matches "lost luggage"), and the topic's ``patterns`` run
through a spaCy ``Matcher``. A sentence containing one of a topic's ``exclude`` phrases gives no
evidence for that topic, and evidence inside a longer match is dropped ("late refund" is a refund
topic, not a late-delivery one).
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass, field
from operator import itemgetter

from spacy.language import Language
from spacy.matcher import Matcher, PhraseMatcher
from spacy.tokens import Doc

from voc.nlp.docdata import HASHTAGS, TOPICS
from voc.nlp.lemmatize import lemma_of, token_table
from voc.nlp.normalize import text_of
from voc.nlp.taxonomy import Taxonomy, Topic, cached_taxonomy

if not Doc.has_extension("topics"):
    Doc.set_extension("topics", default=())

SEP = "\x1f"


@dataclass(slots=True)
class Evidence:
    start: int  # character offsets into doc.text
    end: int
    text: str
    rule: str  # "phrase:<phrase>", "lemma:<phrase>", "hashtag:<phrase>" or "pattern:<topic>#<n>"
    token_start: int
    token_end: int

    def as_dict(self) -> dict:
        return {"start": self.start, "end": self.end, "text": self.text, "rule": self.rule}


@dataclass(slots=True)
class TopicHit:
    theme: str
    topic: str
    complaint: bool
    stage: str | None
    evidence: list[Evidence] = field(default_factory=list)
    sentiment: float | None = None
    sentiment_label: str | None = None
    priority: int = 0  # the topic's taxonomy priority: ranks it when an item matches several topics

    def as_dict(self) -> dict:
        sentiment = None if self.sentiment is None else {"label": self.sentiment_label,
                                                          "score": round(self.sentiment, 4)}
        return {"theme": self.theme, "topic": self.topic, "complaint": self.complaint, "sentiment": sentiment,
                "evidence": [e.as_dict() for e in self.evidence]}


# pattern attributes whose values a doc's token table can list cheaply, and how
ANCHOR_ATTRS = ("LOWER", "LEMMA", "NORM", "ORTH", "TEXT")


def pattern_requirements(pattern: list[dict]) -> list[tuple[str, frozenset[str]]]:
    """The tokens every match of ``pattern`` must contain, as (attribute, the values it may take), one per
    required token that has fixed string values; empty when no token is pinned down that way."""
    required = []
    for spec in pattern:
        if spec.get("OP", "1") not in ("1", "+"):
            continue  # optional ("?", "*") or negated ("!") tokens need not be there
        best = None
        for attr, value in spec.items():
            attr = attr.upper()
            if attr not in ANCHOR_ATTRS:
                continue
            if isinstance(value, str):
                values = frozenset([value])
            elif isinstance(value, dict) and set(value) == {"IN"} and all(isinstance(v, str) for v in value["IN"]):
                values = frozenset(value["IN"])
            else:
                continue
            if best is None or len(values) < len(best[1]):
                best = ("ORTH" if attr == "TEXT" else attr, values)
        if best is not None:
            required.append(best)
    return required


def sentence_starts(doc: Doc) -> list[int]:
    """Token index where each sentence starts (from the doc's ``TokenTable``)."""
    return token_table(doc).sent_starts


def sentence_of(starts: list[int], token_i: int) -> int:
    return bisect_right(starts, token_i) - 1


class TopicMatcher:
    def __init__(self, nlp: Language, taxonomy: str) -> None:
        self.nlp = nlp
        self.taxonomy: Taxonomy | None = None
        if taxonomy:
            self.use(cached_taxonomy(taxonomy))

    def _phrase_doc(self, phrase: str) -> Doc:
        doc = self.nlp.make_doc(phrase)
        for token in doc:
            token.lemma_ = lemma_of(token.norm_)
        return doc

    def use(self, taxonomy: Taxonomy) -> None:
        """Compile ``taxonomy`` into matchers; later docs are tagged with it."""
        vocab = self.nlp.vocab
        self.taxonomy = taxonomy
        self.topics: dict[str, Topic] = {t.id: t for t in taxonomy.topics}
        self.phrases = PhraseMatcher(vocab, attr="LEMMA")
        self.excludes = PhraseMatcher(vocab, attr="LEMMA")
        self.patterns = Matcher(vocab)
        self.requirements: list[list[tuple[str, frozenset[str]]]] = []  # per pattern, see pattern_requirements
        self.hashtags: dict[str, tuple[str, str]] = {}
        self.phrase_norms: dict[str, tuple[str, ...]] = {}
        self.match_keys: dict[int, tuple[str, tuple[str, ...], str, str]] = {}  # match id -> topic, norms, rules
        self.exclude_firsts: set[str] = set()  # the lemma each exclude phrase starts with
        for topic in taxonomy.topics:
            for phrase in topic.phrases:
                doc = self._phrase_doc(phrase)
                key = f"{topic.id}{SEP}{phrase}"
                self.phrases.add(key, [doc])
                self.phrase_norms[key] = tuple(t.norm_ for t in doc)
                compact = "".join(t.norm_ for t in doc if not t.is_punct)
                self.hashtags.setdefault(compact, (topic.id, phrase))
                self.hashtags.setdefault("".join(t.lemma_ for t in doc if not t.is_punct), (topic.id, phrase))
            if topic.exclude:
                docs = [self._phrase_doc(p) for p in topic.exclude]
                self.excludes.add(topic.id, docs)
                self.exclude_firsts.update(d[0].lemma_ for d in docs if len(d))
            for n, pattern in enumerate(topic.patterns):
                self.patterns.add(f"{topic.id}{SEP}#{n}", [pattern])
                self.requirements.append(pattern_requirements(pattern))
        self.requirement_values: dict[str, frozenset[str]] = {}  # attribute -> every value a requirement names
        for required in self.requirements:
            for attr, values in required:
                self.requirement_values[attr] = self.requirement_values.get(attr, frozenset()) | values
        self.all_pinned = all(self.requirements)  # every pattern requires some token value
        self.has_excludes = len(self.excludes) > 0
        self.has_patterns = len(self.patterns) > 0

    def _may_match_patterns(self, table) -> bool:
        """False when no pattern can match: each misses a token value it requires. The Matcher then
        finds nothing, and running it costs more than the PhraseMatcher over all phrases."""
        present = {}
        for attr, wanted in self.requirement_values.items():  # only the values some requirement names
            present[attr] = wanted.intersection(table.lemmas if attr == "LEMMA" else table.norms if attr == "NORM"
                                                else table.texts if attr == "ORTH" else map(str.lower, table.texts))
        if self.all_pinned and not any(present.values()):  # no token has a value any requirement names (most docs)
            return False
        for required in self.requirements:
            for attr, wanted in required:
                if wanted.isdisjoint(present[attr]):
                    break
            else:
                return True
        return False

    def __call__(self, doc: Doc) -> Doc:
        if self.taxonomy is None:
            raise ValueError("voc_topic_matcher has no taxonomy: pass config taxonomy=PATH or call .use(taxonomy)")
        data = doc.user_data  # doc._ values (see voc.nlp.docdata)
        strings = doc.vocab.strings
        table = token_table(doc)
        norms = table.norms
        found: list[tuple[str, int, int, str]] = []  # (topic, token start, token end, rule)
        keys = self.match_keys
        for match_id, start, end in self.phrases(doc):
            known = keys.get(match_id)
            if known is None:
                key = strings[match_id]
                topic, phrase = key.split(SEP, 1)
                known = keys[match_id] = (topic, self.phrase_norms[key], "phrase:" + phrase, "lemma:" + phrase)
            found.append((known[0], start, end, known[2] if tuple(norms[start:end]) == known[1] else known[3]))
        if self.has_patterns and self._may_match_patterns(table):
            for match_id, start, end in self.patterns(doc):
                topic, n = strings[match_id].split(SEP, 1)
                found.append((topic, start, end, f"pattern:{topic}{n}"))
        for i in data.get(HASHTAGS, ()):
            hit = self.hashtags.get(norms[i]) or self.hashtags.get(table.lemmas[i])
            if hit:
                found.append((hit[0], i - 1, i + 1, f"hashtag:{hit[1]}"))
        if not found:
            data[TOPICS] = []
            return doc
        starts = table.sent_starts
        if self.has_excludes and not self.exclude_firsts.isdisjoint(table.lemmas):  # else no exclude can match
            blocked = {(strings[m], sentence_of(starts, s)) for m, s, _ in self.excludes(doc)}
            found = [f for f in found if (f[0], sentence_of(starts, f[1])) not in blocked]
        # a match strictly inside a longer one belongs to that longer phrase ("late refund" is about the refund,
        # "#delayed" is one piece of evidence, not two)
        if len({f[2] - f[1] for f in found}) > 1:  # spans of one length cannot lie strictly inside each other
            extents = {(f[1], f[2]) for f in found}
            inside = {(start, end) for start, end in extents for outer_start, outer_end in extents
                      if outer_start <= start and end <= outer_end and outer_end - outer_start > end - start}
            found = [f for f in found if (f[1], f[2]) not in inside]
        text = text_of(doc)
        hits: dict[str, TopicHit] = {}
        spans: set[tuple[str, int, int]] = set()  # (topic, token start, token end) of the evidence so far
        for topic_id, start, end, rule in sorted(found, key=itemgetter(1, 2)):
            if (topic_id, start, end) in spans:  # one piece of evidence per span and topic
                continue
            spans.add((topic_id, start, end))
            hit = hits.get(topic_id)
            if hit is None:
                topic = self.topics[topic_id]
                hit = hits[topic_id] = TopicHit(topic.theme, topic.id, topic.complaint, topic.stage,
                                                priority=topic.priority)
            start_char, end_char = table.char_span(start, end)
            hit.evidence.append(Evidence(start_char, end_char, text[start_char:end_char], rule, start, end))
        data[TOPICS] = list(hits.values())
        return doc


@Language.factory("voc_topic_matcher", default_config={"taxonomy": ""})
def make_topic_matcher(nlp: Language, name: str, taxonomy: str) -> TopicMatcher:
    return TopicMatcher(nlp, taxonomy)
