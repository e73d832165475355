"""``voc_intents``: what the customer is doing, on ``doc._.intents`` and ``doc._.is_complaint``.

Flags, in this order: ``complaint`` (a negative item, a complaint topic whose sentences are not
positive, or any topic whose sentences are negative), ``praise`` (a clearly
positive sentence), ``question``, ``suggestion`` and ``churn_risk`` (cancelling, closing an account,
switching to a competitor, "never again"). Phrases are matched on lower-cased lemmas.
"""

from __future__ import annotations

from itertools import compress
from operator import itemgetter

from spacy.language import Language
from spacy.tokens import Doc

from voc.nlp.docdata import INTENTS as INTENTS_KEY
from voc.nlp.docdata import IS_COMPLAINT, MENTIONS, SENTENCES, SENTIMENT_LABEL, TOPICS
from voc.nlp.lemmatize import token_table
from voc.nlp.normalize import text_of

INTENTS = ("complaint", "praise", "question", "suggestion", "churn_risk")
PRAISE_AT = 0.5  # a sentence this positive praises something
WH = frozenset({"how", "why", "what", "when", "where", "who", "which", "whats", "wheres", "hows", "whys"})

for _name, _default in (("intents", ()), ("is_complaint", False)):
    if not Doc.has_extension(_name):
        Doc.set_extension(_name, default=_default)


ANY = "*"  # one token of any kind


def _expand(*slots: tuple[str, ...] | str) -> list[tuple[str, ...]]:
    """All lemma sequences of a pattern: each slot is one lemma, a tuple of alternatives, or "?" + slot
    for an optional token of any kind."""
    sequences: list[tuple[str, ...]] = [()]
    for slot in slots:
        if slot == "?":
            sequences = [seq + extra for seq in sequences for extra in ((), (ANY,))]
            continue
        options = (slot,) if isinstance(slot, str) else slot
        sequences = [seq + (option,) for seq in sequences for option in options]
    return sequences


MODAL = ("would", "can")  # lemmas: "could" is "can" ("could be better"), "'d" is "would"
NICE = ("nice", "great", "good", "better", "helpful", "useful", "lovely")
ACTIONS = ("fly", "order", "buy", "shop", "use", "book", "come", "return", "recommend")
PROVIDERS = ("provider", "supplier", "bank", "airline", "company", "carrier", "shop", "store")
SUGGESTION = [
    *_expand("should"), *_expand(MODAL, "be", NICE), *_expand(("would", "'d"), ("love", "like", "prefer"),
                                                           ("to", "a", "an", "more", "some", "if")),
    *_expand(("wish", "suggest", "suggestion", "recommendation", "idea", "improve", "improvement", "consider")),
    *_expand(("please", "pls", "plz", "kindly"), ("add", "make", "bring", "offer", "introduce", "consider", "allow")),
    *_expand("why", "not"), *_expand("how", "about"),
    *_expand("need", "to", ("be", "have", "add", "make", "improve", "offer", "get")),
]
CHURN = [
    *_expand(("cancel", "close", "delete", "terminate"), ("my", "our", "the"), "?",
             ("account", "subscription", "membership", "contract", "card", "policy", "plan", "service")),
    *_expand(("switch", "switching", "move", "moving"), "to"), *_expand("switch", PROVIDERS),
    *_expand("take", ("my", "our"), ("business", "custom", "money"), "elsewhere"),
    *_expand(("go", "shop", "look"), "elsewhere"),
    *_expand("never", ACTIONS, "again"), *_expand("never", ACTIONS, "?", "again"),
    *_expand("never", ACTIONS, "?", "?", "again"),
    *_expand(("not", "never"), "be", ("back", "return", "returning", "use", "using", "fly", "flying", "order",
                                      "ordering", "shop", "shopping", "buy", "buying", "book", "booking")),
    *_expand("will", "not", ACTIONS), *_expand("would", "not", ACTIONS),
    *_expand("lose", "a", "?", "customer"), *_expand("last", "time", ("i", "we"), ACTIONS),
    *_expand(("find", "look"), ("another", "a"), "?", PROVIDERS),
    *_expand("unsubscribe"), *_expand("do", "with", "you"),
]


class SequenceMatcher:
    """Find lemma sequences (``ANY`` matches any token) in a list of lemmas, indexed by first lemma:
    far cheaper than a spaCy ``Matcher`` with ``IN`` predicates for a few hundred fixed phrases."""

    def __init__(self, sequences: list[tuple[str, ...]]) -> None:
        self.singles: set[str] = {seq[0] for seq in sequences if len(seq) == 1}
        # first lemma -> second lemma (or ANY) -> the sequences that open so: most tokens fail at the second
        self.by_first: dict[str, dict[str, list[tuple[str, ...]]]] = {}
        for seq in sequences:
            if len(seq) > 1:
                self.by_first.setdefault(seq[0], {}).setdefault(seq[1], []).append(seq)

    def found(self, lemmas: list[str]) -> bool:
        if not self.singles.isdisjoint(lemmas):
            return True
        n = len(lemmas)
        by_first = self.by_first
        if by_first.keys().isdisjoint(lemmas):  # no token opens a sequence (most docs for most matchers)
            return False
        for i in compress(range(n - 1), map(by_first.__contains__, lemmas)):
            seconds = by_first[lemmas[i]]
            for second in (lemmas[i + 1], ANY):
                for seq in seconds.get(second, ()):
                    if i + len(seq) <= n and all(s == ANY or s == lemmas[i + k] for k, s in enumerate(seq) if k > 1):
                        return True
        return False


class IntentFlagger:
    def __init__(self) -> None:
        self.matchers = {"suggestion": SequenceMatcher(SUGGESTION), "churn_risk": SequenceMatcher(CHURN)}
        # every lemma a sequence of either matcher opens with: a doc without one matches neither
        self.openers = frozenset().union(*(m.singles | m.by_first.keys() for m in self.matchers.values()))
        self.lower: dict[str, str] = {}  # lemma -> lemma.lower()

    def __call__(self, doc: Doc) -> Doc:
        data = doc.user_data  # doc._ values (see voc.nlp.docdata)
        found = set()
        # a complaint topic counts unless its own sentences are positive ("arrived on time, thanks"); any topic
        # counts when its own sentences are negative, even in an item that is positive overall ("love the deal
        # but the page never loads"), as core.item_topic counts a topic with negative sentiment as a complaint
        complaint_topic = any(hit.sentiment_label == "negative" or (hit.complaint and hit.sentiment_label != "positive")
                              for hit in data.get(TOPICS, ()))
        label = data.get(SENTIMENT_LABEL)
        if complaint_topic or label == "negative":
            found.add("complaint")
        if label != "negative" and any(map(PRAISE_AT.__le__, map(itemgetter(2), data.get(SENTENCES, ())))):
            found.add("praise")
        table = token_table(doc)
        if "?" in text_of(doc) or self._starts_with_wh(doc, data.get(MENTIONS, ()), table):
            found.add("question")
        lower = self.lower
        if len(lower) > 200_000:  # one entry per distinct lemma: keep it bounded
            lower.clear()
        lemmas = list(map(lower.get, table.lemmas))
        if None in lemmas:
            lemmas = [lower.get(lemma) or lower.setdefault(lemma, lemma.lower()) for lemma in table.lemmas]
        if not self.openers.isdisjoint(lemmas):
            found.update(name for name, matcher in self.matchers.items() if matcher.found(lemmas))
        data[INTENTS_KEY] = [name for name in INTENTS if name in found]
        data[IS_COMPLAINT] = "complaint" in found
        return doc

    @staticmethod
    def _starts_with_wh(doc: Doc, mentions, table) -> bool:
        skip, norms = set(mentions), table.norms
        if WH.isdisjoint(norms):
            return False
        for start in table.sent_starts:
            first = next((i for i in range(start, len(norms)) if i not in skip), None)
            if first is not None and norms[first] in WH:
                return True
        return False


@Language.factory("voc_intents")
def make_intents(nlp: Language, name: str) -> IntentFlagger:
    return IntentFlagger()
