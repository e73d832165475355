"""``voc_journey_stage``: the journey stage of an item and why, on ``doc._.journey_stage`` and ``stage_reason``.

Precedence, from the taxonomy: the matched topics decide first (the stage of a complaint topic
before others, then of the topic with the most evidence, the earliest on a tie); then ``survey_stages``
by the item's survey id, then
``channel_stages`` by its channel, then ``default_stage``. Set ``doc._.channel`` and
``doc._.survey_id`` before the pipeline runs (``voc.nlp.tagger`` does).
"""

from __future__ import annotations

from spacy.language import Language
from spacy.tokens import Doc

for _name in ("journey_stage", "stage_reason", "channel", "survey_id"):
    if not Doc.has_extension(_name):
        Doc.set_extension(_name, default=None)


class JourneyStage:
    def __init__(self, nlp: Language) -> None:
        self.nlp = nlp

    def __call__(self, doc: Doc) -> Doc:
        taxonomy = self.nlp.get_pipe("voc_topic_matcher").taxonomy
        staged = [hit for hit in doc._.topics if hit.stage]
        if staged:
            best = max(staged, key=lambda h: (h.complaint, len(h.evidence), -h.evidence[0].start))
            doc._.journey_stage, doc._.stage_reason = best.stage, f"topic {best.topic}"
        elif doc._.survey_id and doc._.survey_id in taxonomy.survey_stages:
            doc._.journey_stage = taxonomy.survey_stages[doc._.survey_id]
            doc._.stage_reason = f"survey {doc._.survey_id}"
        elif doc._.channel and doc._.channel in taxonomy.channel_stages:
            doc._.journey_stage = taxonomy.channel_stages[doc._.channel]
            doc._.stage_reason = f"channel {doc._.channel}"
        elif taxonomy.default_stage:
            doc._.journey_stage, doc._.stage_reason = taxonomy.default_stage, "default stage"
        else:
            doc._.journey_stage, doc._.stage_reason = None, "unknown: no topic, survey or channel stage applies"
        return doc


@Language.factory("voc_journey_stage")
def make_journey_stage(nlp: Language, name: str) -> JourneyStage:
    return JourneyStage(nlp)
