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

from voc.nlp.docdata import CHANNEL, JOURNEY_STAGE, STAGE_REASON, SURVEY_ID, TOPICS

for _name in ("journey_stage", "stage_reason", "channel", "survey_id"):
    if not Doc.has_extension(_name):
        Doc.set_extension(_name, default=None)


class JourneyStage:
    def __init__(self, nlp: Language) -> None:
        self.nlp = nlp

    def __call__(self, doc: Doc) -> Doc:
        data = doc.user_data  # doc._ values (see voc.nlp.docdata)
        staged = [hit for hit in data.get(TOPICS, ()) if hit.stage]
        if staged:
            best = max(staged, key=lambda h: (h.priority, h.complaint, len(h.evidence), -h.evidence[0].start))
            data[JOURNEY_STAGE], data[STAGE_REASON] = best.stage, f"topic {best.topic}"
            return doc
        taxonomy = self.nlp.get_pipe("voc_topic_matcher").taxonomy  # (a search of the pipeline: only when needed)
        survey_id, channel = data.get(SURVEY_ID), data.get(CHANNEL)
        if survey_id and survey_id in taxonomy.survey_stages:
            data[JOURNEY_STAGE] = taxonomy.survey_stages[survey_id]
            data[STAGE_REASON] = f"survey {survey_id}"
        elif channel and channel in taxonomy.channel_stages:
            data[JOURNEY_STAGE] = taxonomy.channel_stages[channel]
            data[STAGE_REASON] = f"channel {channel}"
        elif taxonomy.default_stage:
            data[JOURNEY_STAGE], data[STAGE_REASON] = taxonomy.default_stage, "default stage"
        else:
            data[JOURNEY_STAGE], data[STAGE_REASON] = None, "unknown: no topic, survey or channel stage applies"
        return doc


@Language.factory("voc_journey_stage")
def make_journey_stage(nlp: Language, name: str) -> JourneyStage:
    return JourneyStage(nlp)
