"""Assemble the NLP pipeline: a blank English tokenizer plus the project's components."""

from __future__ import annotations

import spacy
import voc.nlp.sentiment  # noqa: F401  (registers the voc_vader_sentiment factory)
from spacy.language import Language

NLP_VERSION = "voc-nlp-0.1"


def build_nlp() -> Language:
    """Return the pipeline that tags feedback items (no trained model needed)."""
    nlp = spacy.blank("en")
    nlp.add_pipe("voc_vader_sentiment")
    return nlp
