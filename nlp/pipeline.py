"""Assemble the NLP pipeline: a blank English tokenizer plus the project's components, in order."""

from __future__ import annotations

from pathlib import Path

import spacy
from spacy.language import Language

# importing a component module registers its factory
import voc.nlp.intents  # noqa: F401
import voc.nlp.language  # noqa: F401
import voc.nlp.lemmatize  # noqa: F401
import voc.nlp.normalize  # noqa: F401
import voc.nlp.sentences  # noqa: F401
import voc.nlp.sentiment  # noqa: F401
import voc.nlp.stage  # noqa: F401
import voc.nlp.topics  # noqa: F401
from voc.nlp.taxonomy import Taxonomy, TaxonomyError, load_taxonomy

# Bump when a component's behaviour changes: `voc enrich --reprocess` re-tags items of other versions.
NLP_VERSION = "voc-nlp-0.5"

COMPONENTS = ("voc_normalizer", "voc_sentencizer", "voc_lemmatizer", "voc_language", "voc_topic_matcher",
              "voc_vader_sentiment", "voc_intents", "voc_journey_stage")


def resolve_taxonomy(spec: Taxonomy | str | Path | None = None) -> Taxonomy:
    """Return a taxonomy from a ``Taxonomy``, a file path, a bundled name ("airline"), or None (the default)."""
    from voc.schemas import taxonomies

    if isinstance(spec, Taxonomy):
        return spec
    if spec is None or str(spec) == "":
        return load_taxonomy(taxonomies.bundled_path())
    if Path(spec).exists():
        return load_taxonomy(spec)
    if str(spec) in taxonomies.bundled():
        return load_taxonomy(taxonomies.bundled_path(str(spec)))
    raise TaxonomyError([f"{spec}: no such file, and no bundled taxonomy of that name "
                         f"(bundled: {', '.join(taxonomies.bundled())})"])


def build_nlp(taxonomy: Taxonomy | str | Path | None = None) -> Language:
    """Return the pipeline that tags feedback items with ``taxonomy`` (no trained model needed)."""
    nlp = spacy.blank("en")
    for name in COMPONENTS:
        nlp.add_pipe(name)
    nlp.get_pipe("voc_topic_matcher").use(resolve_taxonomy(taxonomy))
    return nlp
