"""``voc_lemmatizer``: lookup lemmas (spacy-lookups-data) of each token's normalised form, no trained model.

spaCy's own lookup lemmatizer looks up the exact surface text, so "Delayed" or "DELAYS" stay
unlemmatised; this one looks up the norm that ``voc_normalizer`` set (lower case, elongations
squeezed), which is what the taxonomy's phrases are compared with.
"""

from __future__ import annotations

from functools import cache

import spacy
import spacy_lookups_data
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


class LookupLemmatizer:
    """Set ``token.lemma_`` from the lookup table, keyed by the token's norm."""

    def __init__(self) -> None:
        self.table = lemma_table()

    def __call__(self, doc: Doc) -> Doc:
        table = self.table
        for token in doc:
            norm = token.norm_
            token.lemma_ = table.get(norm, norm)
        return doc


@Language.factory("voc_lemmatizer")
def make_lemmatizer(nlp: Language, name: str) -> LookupLemmatizer:
    return LookupLemmatizer()
