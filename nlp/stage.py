"""``voc_journey_stage``: the journey stage of an item and why, on ``doc._.journey_stage`` and ``stage_reason``.

Precedence, from the taxonomy: the matched topics decide first (the topic with the highest
``priority``, then a complaint topic's stage before others, then the stage of the topic with the
most evidence, the earliest on a tie); then ``survey_stages`` by the item's survey id, then
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
        ext = doc._
        taxonomy = self.nlp.get_pipe("voc_topic_matcher").taxonomy
        staged = [hit for hit in ext.topics if hit.stage]
        if staged:
            best = max(staged, key=lambda h: (h.priority, h.complaint, len(h.evidence), -h.evidence[0].start))
            ext.journey_stage, ext.stage_reason = best.stage, f"topic {best.topic}"
        elif ext.survey_id and ext.survey_id in taxonomy.survey_stages:
            ext.journey_stage = taxonomy.survey_stages[ext.survey_id]
            ext.stage_reason = f"survey {ext.survey_id}"
        elif ext.channel and ext.channel in taxonomy.channel_stages:
            ext.journey_stage = taxonomy.channel_stages[ext.channel]
            ext.stage_reason = f"channel {ext.channel}"
        elif taxonomy.default_stage:
            ext.journey_stage, ext.stage_reason = taxonomy.default_stage, "default stage"
        else:
            ext.journey_stage, ext.stage_reason = None, "unknown: no topic, survey or channel stage applies"
        return doc


@Language.factory("voc_journey_stage")
def make_journey_stage(nlp: Language, name: str) -> JourneyStage:
    return JourneyStage(nlp)
