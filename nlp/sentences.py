"""``voc_sentencizer``: sentence boundaries by punctuation, the rule of spaCy's ``sentencizer``, read from arrays.

spaCy's ``Sentencizer`` makes a Python ``Token`` object for every token to read two attributes;
this one reads the same two (text and is-punctuation) through ``Doc.to_array`` and writes
``SENT_START`` in one ``Doc.from_array``, so boundaries are identical and cost a fraction. A
sentence starts at the first token and at the first token after a sentence-final character
(``.``, ``!``, ``?`` and the other characters of spaCy's default list) that is neither punctuation
nor such a character itself ("Wait... what?!" is two sentences, "?!" stays with the second).
"""

from __future__ import annotations

from itertools import compress

import numpy
from spacy.attrs import SENT_START
from spacy.language import Language
from spacy.pipeline import Sentencizer
from spacy.tokens import Doc

from voc.nlp.lemmatize import token_table

SENTENCE_FINAL = frozenset(Sentencizer.default_punct_chars)


class FastSentencizer:
    def __init__(self, nlp: Language) -> None:
        strings = nlp.vocab.strings
        self.final_ids: set[int] = {strings.add(c) for c in SENTENCE_FINAL}  # string-store ids of the characters

    def __call__(self, doc: Doc) -> Doc:
        n = len(doc)
        if not n:
            return doc
        final_ids = self.final_ids
        table = token_table(doc)
        orths = table.orths
        first = [0]
        if not final_ids.isdisjoint(orths):  # else no sentence-final character: one sentence
            # after each sentence-final character, the next token that is neither punctuation nor such a character
            # starts a sentence (characters passed over on the way belong to the sentence they end)
            punct = table.punct
            following = 0
            for i in compress(range(n), map(final_ids.__contains__, orths)):
                if i < following:
                    continue
                j = i + 1
                while j < n and (punct[j] or orths[j] in final_ids):
                    j += 1
                if j < n:
                    first.append(j)
                following = j
        table.sent_starts = first
        starts = [-1] * n  # -1 inside a sentence, 1 where one starts
        for i in first:
            starts[i] = 1
        doc.from_array([SENT_START], numpy.array(starts, dtype="int64").astype("uint64").reshape(-1, 1))
        return doc


@Language.factory("voc_sentencizer")
def make_sentencizer(nlp: Language, name: str) -> FastSentencizer:
    return FastSentencizer(nlp)
