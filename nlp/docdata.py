"""Read and write the pipeline's ``doc._`` values in ``doc.user_data`` directly, without ``doc._``.

spaCy keeps a doc extension attribute's value (one declared with a ``default``, as all of this
pipeline's are) in ``doc.user_data`` under the key ``("._.", name, None, None)``, and ``doc._.name``
returns the default when the key is absent. Each ``doc._`` access creates an ``Underscore`` object and
goes through two Python-level lookups, which cost about a tenth of the pipeline's time; the
components use these keys instead, with the same defaults, so ``doc._`` reads exactly the same values.
"""

from __future__ import annotations


def key(name: str) -> tuple[str, str, None, None]:
    """The ``doc.user_data`` key of the doc extension ``name``."""
    return ("._.", name, None, None)


URLS, MENTIONS, HASHTAGS, EMOJI = key("urls"), key("mentions"), key("hashtags"), key("emoji")
LANGUAGE, TOPICS = key("language"), key("topics")
SENTIMENT, SENTIMENT_LABEL, SENTENCES = key("sentiment"), key("sentiment_label"), key("sentences")
INTENTS, IS_COMPLAINT = key("intents"), key("is_complaint")
JOURNEY_STAGE, STAGE_REASON, CHANNEL, SURVEY_ID = key("journey_stage"), key("stage_reason"), key("channel"), \
    key("survey_id")
