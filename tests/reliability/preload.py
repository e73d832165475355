"""Imported once by the reliability fork server: build the tagger, and tag a few texts so the lazily loaded
language models and lookup tables are in memory before any child is forked from it; import Great
Expectations (the quality gate judges every batch) once too."""

import importlib.util

from tests.reliability.worker import tagger
from voc.nlp import Item

list(tagger().tag([Item(text=text, id=str(n)) for n, text in enumerate((
    "My parcel is late again and nobody answers the phone.", "Great service, thank you!",
    "Mein Paket ist immer noch nicht da.", "Le colis est arrivé cassé.", "Il pacco è in ritardo.",
    "Mijn pakket is te laat.", "Mi pedido llegó tarde."))]))

if importlib.util.find_spec("voc.pipeline.quality") is not None:
    import voc.pipeline.quality.runner  # noqa: F401 - several seconds of imports, paid once
