"""``voc_intents``: what the customer is doing, on ``doc._.intents`` and ``doc._.is_complaint``.

Flags, in this order: ``complaint`` (a complaint topic, or a negative item), ``praise`` (a clearly
positive sentence), ``question``, ``suggestion`` and ``churn_risk`` (cancelling, closing an account,
switching to a competitor, "never again"). Phrases are matched on lower-cased lemmas.
"""

from __future__ import annotations

from spacy.language import Language
from spacy.matcher import Matcher
from spacy.tokens import Doc

INTENTS = ("complaint", "praise", "question", "suggestion", "churn_risk")
PRAISE_AT = 0.5  # a sentence this positive praises something
WH = frozenset({"how", "why", "what", "when", "where", "who", "which", "whats", "wheres", "hows", "whys"})

for _name, _default in (("intents", ()), ("is_complaint", False)):
    if not Doc.has_extension(_name):
        Doc.set_extension(_name, default=_default)


def _l(*words: str) -> dict:
    return {"LEMMA": {"IN": list(words)}}


OPT = {"OP": "?"}
ANY = {"OP": "?"}
SUGGESTION = [
    [_l("should"), {"LEMMA": {"NOT_IN": ["not"]}}],
    [_l("would", "could"), _l("be"), _l("nice", "great", "good", "better", "helpful", "useful", "lovely")],
    [_l("would", "'d"), _l("love", "like", "prefer"), {"LEMMA": {"IN": ["to", "a", "an", "more", "some", "if"]}}],
    [_l("wish")], [_l("suggest", "suggestion", "recommendation", "idea")], [_l("improve", "improvement")],
    [_l("please", "pls", "plz", "kindly"), _l("add", "make", "bring", "offer", "introduce", "consider", "allow")],
    [_l("why"), _l("not", "don't")], [_l("how"), _l("about")], [_l("consider")],
    [_l("need", "needs"), _l("to"), _l("be", "have", "add", "make", "improve", "offer", "get")],
]
CHURN = [
    [_l("cancel", "close", "delete", "terminate"), _l("my", "our", "the"), OPT,
     _l("account", "subscription", "membership", "contract", "card", "policy", "plan", "service")],
    [_l("switch", "move", "go", "change"), _l("to"), {"IS_TITLE": True}],
    [_l("switch", "switching"), _l("provider", "supplier", "bank", "airline", "company", "carrier", "to")],
    [_l("take", "taking"), _l("my", "our"), _l("business", "custom", "money"), _l("elsewhere")],
    [_l("go", "shop", "look"), _l("elsewhere")],
    [_l("never"), _l("fly", "order", "buy", "shop", "use", "book", "come", "return", "recommend"), ANY, ANY,
     _l("again")],
    [_l("not", "never"), _l("be"), _l("back", "return", "returning", "use", "using", "fly", "flying", "order",
                                       "ordering", "shop", "shopping", "buy", "buying", "book", "booking")],
    [_l("will", "would"), _l("not"), _l("fly", "order", "buy", "shop", "use", "book", "come", "return", "recommend")],
    [_l("lose", "lost"), _l("a"), OPT, _l("customer")],
    [_l("last"), _l("time"), _l("i", "we"), _l("fly", "order", "buy", "shop", "use", "book")],
    [_l("find", "look"), _l("another", "a"), OPT, _l("provider", "supplier", "bank", "airline", "company", "carrier",
                                                      "shop", "store")],
    [_l("unsubscribe")], [_l("done"), _l("with"), _l("you")],
]


class IntentFlagger:
    def __init__(self, nlp: Language) -> None:
        self.matcher = Matcher(nlp.vocab)
        self.matcher.add("suggestion", SUGGESTION)
        self.matcher.add("churn_risk", CHURN)

    def __call__(self, doc: Doc) -> Doc:
        found = set()
        complaint_topic = any(hit.complaint for hit in doc._.topics)
        if complaint_topic or doc._.sentiment_label == "negative":
            found.add("complaint")
        if any(score >= PRAISE_AT for _, _, score in doc._.sentences) and doc._.sentiment_label != "negative":
            found.add("praise")
        if "?" in doc.text or self._starts_with_wh(doc):
            found.add("question")
        strings = doc.vocab.strings
        found.update(strings[match_id] for match_id, _, _ in self.matcher(doc))
        doc._.intents = [name for name in INTENTS if name in found]
        doc._.is_complaint = "complaint" in found
        return doc

    @staticmethod
    def _starts_with_wh(doc: Doc) -> bool:
        skip = set(doc._.mentions)
        for sent in doc.sents if doc.has_annotation("SENT_START") else [doc[:]]:
            first = next((t for t in sent if t.i not in skip and not t.is_punct), None)
            if first is not None and first.norm_ in WH:
                return True
        return False


@Language.factory("voc_intents")
def make_intents(nlp: Language, name: str) -> IntentFlagger:
    return IntentFlagger(nlp)
