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
from spacy.attrs import IDX, IS_ALPHA, IS_PUNCT, LEMMA, LIKE_NUM, NORM, ORTH, SENT_START
from spacy.language import Language
from spacy.tokens import Doc
from spacy.util import load_language_data


@cache
def lemma_table() -> dict[str, str]:
    """The English lookup table from spacy-lookups-data (surface form -> lemma) as a plain dict."""
    # spaCy's Lookups table is keyed by string hashes; the package's own JSON gives a plain str dict
    return load_language_data(spacy_lookups_data.en["lemma_lookup"])


@cache
def blank_english() -> Language:
    """A shared tokenizer-only English pipeline, for tokenising taxonomy phrases outside a pipeline."""
    return spacy.blank("en")


def lemma_of(norm: str) -> str:
    return lemma_table().get(norm, norm)


def phrase_key(phrase: str) -> str:
    """Lower-cased lemmas of a phrase's tokens, the form two phrases are compared in."""
    return " ".join(lemma_of(t.norm_) for t in blank_english().make_doc(phrase.lower()))


class TokenTable:
    """Plain lists of the token attributes later components read, built once per doc: iterating a
    ``Doc`` creates a Python object per token, which costs more than the work done on it."""

    __slots__ = ("texts", "norms", "lemmas", "punct", "alpha", "num", "idx", "sent_starts")

    def __init__(self, doc: Doc, lemmas: dict[str, str] | None = None,
                 ids: dict[int, tuple[str, str, int]] | None = None) -> None:
        """Read the attributes of every token through arrays (no Token objects); with ``lemmas``, also
        set each token's lemma from that lookup table keyed by the norm (``ids`` remembers, per norm id,
        the norm, its lemma and the lemma's id in this doc's string store, once added there)."""
        strings = doc.vocab.strings
        # one column per attribute (the transposed array), so each list below is built in one pass
        array = doc.to_array([ORTH, NORM, LEMMA, IS_PUNCT, IS_ALPHA, LIKE_NUM, IDX, SENT_START])
        rows = len(array)
        columns = array.T.tolist() if rows else [[] for _ in range(8)]
        orths, norms, lemma_ids, punct, alpha, num, idx, sent_start = columns
        known_texts = doc.user_data.get("voc_orths")  # (orths, texts) as voc_normalizer read them
        self.texts = known_texts[1] if known_texts is not None and known_texts[0] == orths else \
            [strings[o] for o in orths]
        if lemmas is not None and rows:
            ids = {} if ids is None else ids
            known = [ids.get(n) for n in norms]
            if None in known:
                for k, n in enumerate(norms):
                    if known[k] is None:
                        norm = strings[n]
                        lemma = lemmas.get(norm, norm)
                        known[k] = ids[n] = (norm, lemma, strings.add(lemma))
            norm_list, lemma_list, new_ids = zip(*known, strict=True)
            self.norms, self.lemmas = list(norm_list), list(lemma_list)
            doc.from_array([LEMMA], numpy.array(new_ids, dtype="uint64").reshape(-1, 1))
        else:
            self.norms = [strings[n] for n in norms]
            self.lemmas = [] if lemmas is not None else \
                [strings[k] if k else n for k, n in zip(lemma_ids, self.norms, strict=True)]
        self.punct = punct  # 1/0 per token (IS_PUNCT, IS_ALPHA, LIKE_NUM), read as true/false
        self.alpha = alpha
        self.num = num
        self.idx = idx  # character offset of each token
        # SENT_START is 1 at a sentence start, -1 inside, 0 when no sentence boundaries were set
        if rows:
            starts = numpy.flatnonzero(array[:, 7] == 1).tolist()
            self.sent_starts = starts if starts and starts[0] == 0 else [0, *starts]
        else:
            self.sent_starts = [0]

    def char_span(self, start: int, end: int) -> tuple[int, int]:
        """Character offsets of the tokens ``start:end``."""
        return self.idx[start], self.idx[end - 1] + len(self.texts[end - 1])


def token_table(doc: Doc) -> TokenTable:
    """The doc's ``TokenTable`` (made by ``voc_lemmatizer``; built here if that did not run)."""
    table = doc.user_data.get("voc_tokens")
    if table is None:
        table = doc.user_data["voc_tokens"] = TokenTable(doc)
    return table


class LookupLemmatizer:
    """Set ``token.lemma_`` from the lookup table, keyed by the token's norm."""

    def __init__(self) -> None:
        self.table = lemma_table()
        self.ids: dict[int, tuple[str, str, int]] = {}  # norm id -> (norm, lemma, lemma id in this pipeline's strings)

    def __call__(self, doc: Doc) -> Doc:
        if len(self.ids) > 500_000:  # typos and ids make the vocabulary unbounded: do not grow forever
            self.ids.clear()
        doc.user_data["voc_tokens"] = TokenTable(doc, self.table, self.ids)
        return doc


@Language.factory("voc_lemmatizer")
def make_lemmatizer(nlp: Language, name: str) -> LookupLemmatizer:
    return LookupLemmatizer()
