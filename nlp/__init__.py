"""voc.nlp: the spaCy pipeline that describes every feedback item in the company's common language.

Components are registered with ``@Language.factory`` (one per module) and write their results on
``doc._``. ``build_nlp()`` assembles the pipeline; ``NLP_VERSION`` is stored with every result.
"""

from voc.nlp.pipeline import NLP_VERSION, build_nlp

__all__ = ["NLP_VERSION", "build_nlp"]
