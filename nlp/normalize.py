"""``voc_normalizer``: make social and e-mail text comparable without changing the text itself.

The text stays as stored (evidence offsets point into it); what changes is each token's ``norm_``,
which matching and sentiment read: elongations are squeezed ("sooooo" -> "so", "baaad" -> "bad"),
HTML entities from exports ("&amp;") read as what they stand for. Social features are listed on the
doc: ``doc._.urls``, ``doc._.mentions`` (token indexes), ``doc._.hashtags`` (indexes of the word after
``#``) and ``doc._.emoji`` ((index, description) from VADER's emoji lexicon).
"""

from __future__ import annotations

import re
from functools import cache, lru_cache

from spacy.language import Language
from spacy.symbols import NORM, ORTH
from spacy.tokens import Doc

from voc.nlp.docdata import EMOJI, HASHTAGS, MENTIONS, URLS
from voc.nlp.lemmatize import TokenTable, lemma_table

for _name in ("urls", "mentions", "hashtags", "emoji"):
    if not Doc.has_extension(_name):
        Doc.set_extension(_name, default=())

# Anything worth a token loop: a social marker, an entity, a run of 3 equal letters, or non-ASCII (emoji).
NEEDS_WORK = re.compile(r"[@#&]|http|www\.|([a-zA-Z])\1\1|[^\x00-\x7f]")
ELONGATED = re.compile(r"([a-z])\1{2,}")
ENTITIES = {"&amp;": "and", "&lt;": "<", "&gt;": ">", "&quot;": '"', "&#39;": "'", "&lt;3": "<3"}


def text_of(doc: Doc) -> str:
    """``doc.text``, remembered: spaCy rebuilds it from every token on each access."""
    text = doc.user_data.get("voc_text")
    if text is None:
        text = doc.user_data["voc_text"] = doc.text
    return text


@cache
def emoji_lexicon() -> dict[str, str]:
    """Emoji -> English description, from the lexicon that ships with vaderSentiment."""
    from importlib import resources

    text = resources.files("vaderSentiment").joinpath("emoji_utf8_lexicon.txt").read_text(encoding="utf-8")
    pairs = (line.split("\t")[:2] for line in text.splitlines() if "\t" in line)
    return {emoji: description for emoji, description in pairs}


@cache
def _known_words() -> frozenset[str]:
    from voc.nlp.sentiment import vader_lexicon

    table = lemma_table()
    return frozenset(table) | frozenset(table.values()) | frozenset(vader_lexicon())


def squeeze(word: str) -> str:
    """Undo emphatic letter repetition ("sooooo" -> "so", "goooood" -> "good", "baaad" -> "bad"):
    prefer a form that carries sentiment or is a function word, then any known word."""
    two, one = ELONGATED.sub(r"\1\1", word), ELONGATED.sub(r"\1", word)
    for candidates in (_strong_words(), _known_words()):
        for form in (two, one):
            if form in candidates:
                return form
    return two


@cache
def _strong_words() -> frozenset[str]:
    from spacy.lang.en.stop_words import STOP_WORDS

    from voc.nlp.sentiment import vader_lexicon

    return frozenset(vader_lexicon()) | frozenset(STOP_WORDS)


@cache
def _all_words() -> frozenset[str]:
    """Every word a hashtag may be split into (built once: the union copies some 100,000 strings)."""
    return _strong_words() | _known_words()


CAMEL = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|\d+")


@lru_cache(maxsize=50_000)
def hashtag_words(tag: str) -> tuple[str, ...]:
    """Split a hashtag body into words: "PoorService" -> (poor, service), "neveragain" -> (never, again).

    Camel case decides where it can; an all-lower-case tag that is not itself a sentiment or function
    word is split into the fewest known words (a tag that cannot be split stays whole).
    """
    parts = CAMEL.findall(tag)
    if len(parts) > 1:
        return tuple(p.lower() for p in parts)
    word = tag.lower()
    if word in _strong_words() or len(word) > 40:
        return (word,)
    known = _all_words()
    best: list[tuple[str, ...] | None] = [()] + [None] * len(word)
    for end in range(1, len(word) + 1):
        for start in range(max(0, end - 20), end):
            piece = word[start:end]
            if best[start] is not None and (len(piece) > 1 or piece in ("a", "i")) and piece in known \
                    and piece != word:
                candidate = best[start] + (piece,)
                if best[end] is None or len(candidate) < len(best[end]):
                    best[end] = candidate
    return best[-1] or (word,)


def add_entity_exceptions(nlp: Language) -> None:
    """Tokenise HTML entities left in exported text as single tokens that read as the character."""
    for entity, norm in ENTITIES.items():
        nlp.tokenizer.add_special_case(entity, [{ORTH: entity, NORM: norm}])


class Normalizer:
    def __call__(self, doc: Doc) -> Doc:
        """Reads the doc's tokens into a new token table (the first component: a table left from an earlier run
        is replaced); writes squeezed norms to the doc and the table, and the social features to ``doc._``."""
        table = doc.user_data["voc_tokens"] = TokenTable(doc)
        text = text_of(doc)
        if not NEEDS_WORK.search(text):
            return doc
        # the shared token table instead of Token objects, and one pass per feature the text can have: this
        # runs on every social post. A token is a mention, else a URL, else (non-ASCII) emoji, else maybe elongated.
        texts, like_url, alpha, space = table.texts, table.like_url, table.alpha, table.space
        mentions = [i for i, t in enumerate(texts) if t[0] == "@" and len(t) > 1] if "@" in text else []
        taken = set(mentions)
        urls = [i for i, u in enumerate(like_url) if u and i not in taken] if any(like_url) else []
        taken.update(urls)
        hashtags = [i for i in range(1, len(texts)) if texts[i - 1] == "#" and not space[i - 1] and alpha[i]] \
            if "#" in text else []
        emoji = []
        if not text.isascii():
            emojis = emoji_lexicon()
            for i, t in enumerate(texts):
                if i not in taken and not t.isascii():
                    found = [emojis[c] for c in t if c in emojis]
                    if found:
                        emoji.append((i, " ".join(found)))
        if ELONGATED.search(text.lower()):  # else no token is elongated
            strings = doc.vocab.strings
            for i, t in enumerate(texts):
                if i not in taken and len(t) > 2 and t.isascii() and ELONGATED.search(t.lower()):
                    norm = squeeze(t.lower())
                    doc[i].norm_ = norm
                    table.norms[i], table.norm_ids[i] = norm, strings[norm]
        data = doc.user_data  # doc._.urls, .mentions, .hashtags, .emoji (see voc.nlp.docdata)
        data[URLS], data[MENTIONS], data[HASHTAGS], data[EMOJI] = urls, mentions, hashtags, emoji
        return doc


@Language.factory("voc_normalizer")
def make_normalizer(nlp: Language, name: str) -> Normalizer:
    add_entity_exceptions(nlp)
    return Normalizer()
