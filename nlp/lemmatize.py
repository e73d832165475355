"""``voc_lemmatizer``: lookup lemmas (spacy-lookups-data) of each token's normalised form, no trained model.

spaCy's own lookup lemmatizer looks up the exact surface text, so "Delayed" or "DELAYS" stay
unlemmatised; this one looks up the norm that ``voc_normalizer`` set (lower case, elongations
squeezed), which is what the taxonomy's phrases are compared with.
"""

from __future__ import annotations

from functools import cache

import numpy
import spacy
import spacy_lookups_data
from spacy.attrs import IDX, IS_ALPHA, IS_PUNCT, LEMMA, LIKE_NUM, LIKE_URL, NORM, ORTH, SENT_START, SPACY
from spacy.language import Language
from spacy.tokens import Doc
from spacy.util import load_language_data

# Words the lookup table reduces to another word. It has no part of speech, so it picks one reading for
# all: "crew" -> "crow", "feed" -> "fee", "ground" -> "grind", "better"/"best" -> "well", "worse"/"worst"
# -> "wrong", "first" -> "1", "as" -> "a". In customer feedback the word itself is meant, and rules written
# with it ("would be better" is a suggestion, "fee" is not "feed") must see it. These stay themselves.
KEEP_AS_IS = frozenset({
    "better", "best", "worse", "worst", "well", "more", "most", "less", "least", "further",
    "crew", "feed", "ground", "as", "first", "second", "third", "cs", "bs", "pls", "ss", "lit",
})


@cache
def lemma_table() -> dict[str, str]:
    """The English lookup table from spacy-lookups-data (surface form -> lemma) as a plain dict, without
    the entries of ``KEEP_AS_IS``."""
    # spaCy's Lookups table is keyed by string hashes; the package's own JSON gives a plain str dict
    table = load_language_data(spacy_lookups_data.en["lemma_lookup"])
    for word in KEEP_AS_IS:
        table.pop(word, None)
    return table


@cache
def blank_english() -> Language:
    """A shared tokenizer-only English pipeline, for tokenising taxonomy phrases outside a pipeline."""
    return spacy.blank("en")


def lemma_of(norm: str) -> str:
    return lemma_table().get(norm, norm)


def phrase_key(phrase: str) -> str:
    """Lower-cased lemmas of a phrase's tokens, the form two phrases are compared in."""
    return " ".join(lemma_of(t.norm_) for t in blank_english().make_doc(phrase.lower()))


# the columns ``TokenTable`` reads in its one ``Doc.to_array`` call
COLUMNS = [ORTH, NORM, IDX, SPACY, IS_PUNCT, IS_ALPHA, LIKE_NUM, LIKE_URL, LEMMA, SENT_START]
LISTED = 8  # the columns made into lists at once; LEMMA and SENT_START only when no component sets them
# string-store id -> string, shared by every pipeline: an id is the hash of its string, the same in every
# vocabulary, so a plain dict answers what ``StringStore.__getitem__`` would, faster
_STRINGS: dict[int, str] = {}


def strings_of(strings, ids: list[int]) -> list[str]:
    """The strings of ``ids`` (string-store ids of ``strings``), through the shared ``_STRINGS`` cache."""
    known = list(map(_STRINGS.get, ids))
    if None in known:
        if len(_STRINGS) > 1_000_000:  # typos and ids make the vocabulary unbounded: do not grow forever
            _STRINGS.clear()
        for k, i in enumerate(ids):
            if known[k] is None:
                known[k] = _STRINGS[i] = strings[i]
    return known


class TokenTable:
    """Plain lists of the token attributes the components read, built once per doc from one ``to_array``
    call: iterating a ``Doc`` creates a Python object per token, which costs more than the work done on
    it. ``voc_normalizer`` builds it and writes its squeezed norms into it, ``voc_sentencizer`` its
    sentence starts, ``voc_lemmatizer`` the lemmas."""

    __slots__ = ("orths", "texts", "norm_ids", "norms", "_lemmas", "punct", "alpha", "num",
                 "like_url", "space", "idx", "_sent_starts", "_array", "_strings")

    def __init__(self, doc: Doc) -> None:
        """Read the attributes of every token through one array (no Token objects)."""
        strings = self._strings = doc.vocab.strings
        array = self._array = doc.to_array(COLUMNS)
        # one column per attribute (the transposed array), so each list below is built in one pass
        columns = array[:, :LISTED].T.tolist() if len(array) else [[] for _ in range(LISTED)]
        self.orths, self.norm_ids, self.idx, self.space, self.punct, self.alpha, self.num, self.like_url = columns
        self.texts = strings_of(strings, self.orths)
        self.norms = strings_of(strings, self.norm_ids)
        self._lemmas: list[str] | None = None
        self._sent_starts: list[int] | None = None
        # IS_PUNCT, IS_ALPHA, LIKE_NUM, LIKE_URL, SPACY: 1/0 per token, read as true/false; IDX: character offsets

    @property
    def lemmas(self) -> list[str]:
        """Each token's lemma (``voc_lemmatizer`` sets them; else the doc's own lemma, or the norm)."""
        if self._lemmas is None:
            lemma_ids = self._array[:, LISTED].tolist()
            known = strings_of(self._strings, [k or n for k, n in zip(lemma_ids, self.norm_ids, strict=True)])
            self._lemmas = known
        return self._lemmas

    @lemmas.setter
    def lemmas(self, value: list[str]) -> None:
        self._lemmas = value

    @property
    def sent_starts(self) -> list[int]:
        """Token index where each sentence starts (``voc_sentencizer`` sets them; else the doc's ``SENT_START``:
        1 at a sentence start, -1 inside, 0 when no sentence boundaries were set)."""
        if self._sent_starts is None:
            starts = [i for i, s in enumerate(self._array[:, LISTED + 1].tolist()) if s == 1]
            self._sent_starts = starts if starts and starts[0] == 0 else [0, *starts]
        return self._sent_starts

    @sent_starts.setter
    def sent_starts(self, value: list[int]) -> None:
        self._sent_starts = value

    def char_span(self, start: int, end: int) -> tuple[int, int]:
        """Character offsets of the tokens ``start:end``."""
        return self.idx[start], self.idx[end - 1] + len(self.texts[end - 1])


def token_table(doc: Doc) -> TokenTable:
    """The doc's ``TokenTable`` (made by the first component that reads tokens)."""
    table = doc.user_data.get("voc_tokens")
    if table is None:
        table = doc.user_data["voc_tokens"] = TokenTable(doc)
    return table


class LookupLemmatizer:
    """Set ``token.lemma_`` from the lookup table, keyed by the token's norm."""

    def __init__(self) -> None:
        self.table = lemma_table()
        # norm id -> lemma, and -> the lemma's id in this pipeline's strings
        self.lemmas: dict[int, str] = {}
        self.lemma_ids: dict[int, int] = {}

    def __call__(self, doc: Doc) -> Doc:
        """Reads the doc's token table (norms); writes each token's lemma to the doc and the table."""
        if len(self.lemmas) > 500_000:  # typos and ids make the vocabulary unbounded: do not grow forever
            self.lemmas.clear()
            self.lemma_ids.clear()
        table = token_table(doc)
        norm_ids = table.norm_ids
        if not norm_ids:
            table.lemmas = []
            return doc
        lemmas = list(map(self.lemmas.get, norm_ids))
        if None in lemmas:
            strings, lookup = doc.vocab.strings, self.table
            for k, n in enumerate(norm_ids):
                if lemmas[k] is None:
                    norm = table.norms[k]
                    lemma = lemmas[k] = self.lemmas[n] = lookup.get(norm, norm)
                    self.lemma_ids[n] = strings.add(lemma)
        table.lemmas = lemmas
        ids = numpy.fromiter(map(self.lemma_ids.__getitem__, norm_ids), dtype="uint64", count=len(norm_ids))
        doc.from_array([LEMMA], ids.reshape(-1, 1))
        return doc


@Language.factory("voc_lemmatizer")
def make_lemmatizer(nlp: Language, name: str) -> LookupLemmatizer:
    return LookupLemmatizer()
