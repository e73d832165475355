"""voc.nlp: the spaCy pipeline that describes every feedback item in the company's common language.

Components are registered with ``@Language.factory`` (one per module) and write their results on
``doc._``. ``build_nlp()`` assembles the pipeline, ``Tagger`` runs it over items and returns plain
results, and ``NLP_VERSION`` plus the taxonomy's ``version_tag`` are stored with every result.
"""

from voc.nlp.pipeline import COMPONENTS, NLP_VERSION, build_nlp, resolve_taxonomy
from voc.nlp.tagger import Item, Tagger
from voc.nlp.taxonomy import Taxonomy, TaxonomyError, load_taxonomy

__all__ = ["COMPONENTS", "NLP_VERSION", "Item", "Tagger", "Taxonomy", "TaxonomyError", "build_nlp", "load_taxonomy",
           "resolve_taxonomy"]
