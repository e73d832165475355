"""Run the pipeline over feedback items and return plain, JSON-ready results (the ``voc tag`` row shape).

Streams: items go through the pipeline in batches (``batch_size``, 256 by default) and results come out one
by one, so a million rows never sit in memory. Text is redacted first; evidence offsets point into ``redacted_text``.
"""

from __future__ import annotations

import gc
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from itertools import islice
from pathlib import Path

from spacy.tokens import Doc
from spacy.util import raise_error

from voc.nlp import docdata
from voc.nlp.normalize import text_of
from voc.nlp.pipeline import NLP_VERSION, build_nlp, resolve_taxonomy
from voc.nlp.redact import redact
from voc.nlp.taxonomy import Taxonomy


@dataclass
class Item:
    text: str | None
    id: str | None = None
    channel: str | None = None
    survey_id: str | None = None


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector for one batch of docs, if it runs.

    A batch allocates hundreds of thousands of short-lived objects; every 700 of them start a collection of the
    young ones, and every so often a full one walks the ~100,000 objects of the pipeline (lexicons, matchers,
    caches): three full collections per 5,000 texts, a sixth of the time. The docs hold no reference cycles, so
    reference counting frees them, and whatever cycle a batch made is collected when the collector resumes after
    it: memory stays bounded by one batch. Measured 1.09-1.16x on the whole pipeline (docs/nlp.md, "Fifth speed round").
    """
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


class Tagger:
    """Tag items with one taxonomy; ``nlp_version`` and ``taxonomy_version`` name what produced the results."""

    def __init__(self, taxonomy: Taxonomy | str | Path | None = None, *, batch_size: int = 256) -> None:
        self.taxonomy = resolve_taxonomy(taxonomy)
        self.nlp = build_nlp(self.taxonomy)
        self.batch_size = batch_size
        self.nlp_version = NLP_VERSION
        self.taxonomy_version = self.taxonomy.version_tag

    def docs(self, items: Iterable[Item]) -> Iterator[tuple[Item, Doc]]:
        """Yield each item with its processed doc, in input order."""
        for chunk, docs in self._batches(items):
            yield from zip(chunk, docs, strict=True)

    def _batches(self, items: Iterable[Item]) -> Iterator[tuple[list[Item], list[Doc]]]:
        """Yield the items ``batch_size`` at a time with their processed docs, the collector paused while they run.

        Component by component over the batch rather than doc by doc: each component's code and caches stay warm
        for the whole batch, measured 1.21x faster (docs/nlp.md, "Fifth speed round")."""
        procs = self._direct_procs()
        items = iter(items)
        while chunk := list(islice(items, self.batch_size)):
            with gc_paused():
                if procs is None:
                    docs = list(self.nlp.pipe(map(self._prepare, chunk), batch_size=self.batch_size))
                else:
                    docs = list(map(self._prepare, chunk))
                    for proc in procs:
                        docs = list(map(proc, docs))
            yield chunk, docs

    def _prepare(self, item: Item) -> Doc:
        """The redacted text of ``item`` as a tokenised doc, with the item's channel and survey id."""
        text = redact(item.text) or ""
        doc = self.nlp.make_doc(text)
        doc.user_data["voc_text"] = text
        if item.channel is not None or item.survey_id is not None:  # both default to None
            doc.user_data[docdata.CHANNEL], doc.user_data[docdata.SURVEY_ID] = item.channel, item.survey_id
        return doc

    def _direct_procs(self) -> list | None:
        """The pipeline's components when every one works doc by doc and errors propagate: calling them in turn
        is what ``nlp.pipe`` would do, without its generator per component; None when ``nlp.pipe`` is needed."""
        procs = [proc for _, proc in self.nlp.pipeline]
        if self.nlp.default_error_handler is not raise_error or any(
                hasattr(proc, "pipe") or hasattr(proc, "get_error_handler") for proc in procs):
            return None
        return procs

    def tag(self, items: Iterable[Item]) -> Iterator[dict]:
        """Yield one result per item (see ``result``)."""
        for chunk, docs in self._batches(items):
            with gc_paused():
                results = [result(item, doc) for item, doc in zip(chunk, docs, strict=True)]
            yield from results


def result(item: Item, doc: Doc) -> dict:
    """The tags of one item: the ``voc tag`` output row, plus per-sentence scores."""
    data = doc.user_data  # the doc._ values, read directly (see voc.nlp.docdata)
    sentiment = score = data.get(docdata.SENTIMENT)
    if score is not None:
        sentiment = {"label": data.get(docdata.SENTIMENT_LABEL), "score": round(score, 4)}
    return {
        "id": item.id,
        "language": data.get(docdata.LANGUAGE),
        "redacted_text": text_of(doc) if item.text is not None else None,
        "sentiment": sentiment,
        "topics": [hit.as_dict() for hit in data.get(docdata.TOPICS, ())],
        "journey_stage": data.get(docdata.JOURNEY_STAGE),
        "stage_reason": data.get(docdata.STAGE_REASON),
        "is_complaint": data.get(docdata.IS_COMPLAINT, False),
        "intents": list(data.get(docdata.INTENTS, ())),
        "sentences": [{"start": s, "end": e, "score": v} for s, e, v in data.get(docdata.SENTENCES, ())],
    }
