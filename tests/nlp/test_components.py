"""The spaCy components one by one: normalisation, lemmas, language, topics with evidence, intents, stage."""

import pytest

from voc.nlp import COMPONENTS, Item, Tagger, build_nlp
from voc.nlp.normalize import hashtag_words, squeeze
from voc.nlp.taxonomy import parse_taxonomy

TAXONOMY = parse_taxonomy("""\
version: 3
name: test-shop
stages:
  - {id: purchase, label: Purchase}
  - {id: delivery, label: Delivery}
  - {id: support, label: Support}
default_stage: purchase
channel_stages: {ticket: support}
survey_stages: {post_purchase_csat: purchase, delivery_survey: delivery}
themes:
  - id: delivery
    stage: delivery
    topics:
      - id: late_delivery
        complaint: true
        phrases: [delay, late, "still waiting", "lost luggage"]
        exclude: ["on time"]
        patterns:
          - [{LOWER: where}, {LOWER: is}, {LOWER: my}, {LOWER: {IN: [order, parcel]}}]
      - id: refund
        stage: support
        complaint: true
        phrases: ["late refund", refund]
  - id: digital
    stage: purchase
    topics:
      - id: app
        phrases: [app, website]
""")


@pytest.fixture(scope="module")
def nlp():
    return build_nlp(TAXONOMY)


def topics(doc) -> dict[str, list[tuple[str, str]]]:
    return {hit.topic: [(e.text, e.rule) for e in hit.evidence] for hit in doc._.topics}


def test_pipeline_is_a_blank_english_pipeline_with_one_component_per_concern(nlp):
    assert nlp.pipe_names == list(COMPONENTS)
    assert nlp.meta["lang"] == "en" and not any(p for p in nlp.pipe_names if p in ("tagger", "parser", "ner"))


def test_normalisation_lists_social_features_and_squeezes_elongations(nlp):
    doc = nlp("@acme sooooo baaad &amp; late 😡 #LostLuggage http://t.co/x1")
    assert [doc[i].text for i in doc._.mentions] == ["@acme"]
    assert [doc[i].text for i in doc._.urls] == ["http://t.co/x1"]
    assert [doc[i].text for i in doc._.hashtags] == ["LostLuggage"]
    assert doc._.emoji == [(5, "pouting face")]
    assert [t.norm_ for t in doc[1:5]] == ["so", "bad", "and", "late"]
    assert doc.text == "@acme sooooo baaad &amp; late 😡 #LostLuggage http://t.co/x1", "the text itself is kept"
    assert [squeeze(w) for w in ("goooood", "cooool", "yesss")] == ["good", "cool", "yes"]
    assert hashtag_words("PoorService") == ("poor", "service") and hashtag_words("neveragain") == ("never", "again")


def test_lookup_lemmas_of_normalised_tokens(nlp):
    doc = nlp("DELAYS, Delayed and delaaayed bags were lost")
    assert [t.lemma_ for t in doc] == ["delay", ",", "delay", "and", "delay", "bag", "be", "lose"]


def test_lemmas_keep_words_the_lookup_table_would_turn_into_others(nlp):
    # the table has no part of speech: it maps "crew" to "crow", "feed" to "fee", "better" to "well"
    doc = nlp("The crew said the feed is better, the worst is first")
    assert [t.lemma_ for t in doc] == ["the", "crew", "say", "the", "feed", "be", "better", ",", "the", "worst",
                                       "be", "first"]


def test_topics_match_lemmas_hashtags_phrases_and_patterns_with_evidence(nlp):
    text = "Two DELAYS and a delayed parcel. Where is my order? #delayed #LostLuggage"
    doc = nlp(text)
    found = topics(doc)
    assert found["late_delivery"] == [
        ("DELAYS", "lemma:delay"), ("delayed", "lemma:delay"), ("Where is my order", "pattern:late_delivery#0"),
        ("#delayed", "hashtag:delay"), ("#LostLuggage", "hashtag:lost luggage")]
    for hit in doc._.topics:
        for ev in hit.evidence:
            assert text[ev.start:ev.end] == ev.text
    assert set(found) == {"late_delivery"}


def test_multi_word_phrases_match_contiguous_tokens_only(nlp):
    assert "late_delivery" in topics(nlp("I am still waiting for it"))
    assert "late_delivery" not in topics(nlp("I am still happily waiting for it"))


def test_exclude_works_within_a_sentence(nlp):
    assert "late_delivery" not in topics(nlp("It was late at night but arrived on time."))
    assert topics(nlp("It arrived on time. The second parcel had a delay."))["late_delivery"] == [
        ("delay", "phrase:delay")]


def test_a_longer_phrase_claims_its_words(nlp):
    assert topics(nlp("Still no late refund")) == {"refund": [("late refund", "phrase:late refund")]}


def test_stage_precedence_topic_then_survey_then_channel_then_default():
    tagger = Tagger(TAXONOMY)
    items = [Item("The app keeps crashing", channel="ticket", survey_id="delivery_survey"),
             Item("Nothing to add", channel="ticket", survey_id="delivery_survey"),
             Item("Nothing to add", channel="ticket", survey_id="unknown_survey"),
             Item("Nothing to add", channel="email"),
             Item("The app is fine but the parcel is late", channel="ticket")]
    stages = [(r["journey_stage"], r["stage_reason"]) for r in tagger.tag(items)]
    assert stages == [("purchase", "topic app"), ("delivery", "survey delivery_survey"), ("support", "channel ticket"),
                      ("purchase", "default stage"), ("delivery", "topic late_delivery")]


def test_the_topic_with_the_highest_priority_is_the_main_topic():
    """Without priorities the late delivery (more evidence) decides; with one the refund does, in the stage and
    in ``voc eval``'s primary topic."""
    from voc.nlp.evaluate import primary_topic

    text = "Parcel late, delayed again, and now I wait for a refund"
    plain = next(Tagger(TAXONOMY).tag([Item(text)]))
    assert (plain["stage_reason"], primary_topic(plain)) == ("topic late_delivery", "late_delivery")
    ranked = TAXONOMY.__class__(**{**TAXONOMY.__dict__})
    ranked.themes = [theme.__class__(**{**theme.__dict__}) for theme in TAXONOMY.themes]
    ranked.themes[0].topics = [t.__class__(**{**t.__dict__, "priority": 1 if t.id == "refund" else 0})
                               for t in TAXONOMY.themes[0].topics]
    result = next(Tagger(ranked).tag([Item(text)]))
    assert result["stage_reason"] == "topic refund"
    assert primary_topic(result, {t.id: t.priority for t in ranked.topics}) == "refund"


def test_a_topic_in_a_negative_sentence_makes_a_positive_item_a_complaint(nlp):
    doc = nlp("Love the new collection, amazing prices and great quality! The app is useless.")
    assert doc._.sentiment_label == "positive" and doc._.is_complaint


def test_unknown_stage_when_nothing_decides():
    tagger = Tagger("acme-retail")
    (result,) = tagger.tag([Item("Bought a kettle for my mum.", channel="email")])
    assert result["journey_stage"] is None and result["stage_reason"].startswith("unknown")


def test_language_is_decided_cheaply_for_english_and_other_languages_get_no_sentiment(nlp):
    detector = nlp.get_pipe("voc_language")
    before = dict(detector.stats)
    english = nlp("The parcel was late and the box was broken")
    assert english._.language == "en" and detector.stats["lingua"] == before["lingua"]
    for text, code in [("Der Versand war sehr langsam und das Paket beschädigt", "de"),
                       ("Le colis est arrivé en retard et abîmé", "fr"),
                       ("El paquete llegó tarde y dañado, no me gusta", "es")]:
        doc = nlp(text)
        assert doc._.language == code and doc._.sentiment is None and doc._.sentiment_label is None
    assert nlp("😡😡").to_json() and nlp("😡😡")._.language is None


@pytest.mark.parametrize(("text", "intents"), [
    ("My parcel is late again.", ["complaint"]),
    ("Brilliant service, thank you so much!", ["praise"]),
    ("When does the store open?", ["question"]),
    ("You should add more sizes. It would be nice to have text updates.", ["suggestion"]),
    ("It would be better with a dark mode.", ["suggestion"]),  # "better" is not reduced to "well"
    ("A dark mode could be nice.", ["suggestion"]),  # the lemma of "could" is "can"
    ("Terrible. I will cancel my account and switch to Globex.", ["complaint", "churn_risk"]),
    ("Never ordering from you again!", ["complaint", "churn_risk"]),
    ("Why is my refund not here yet?", ["complaint", "question"]),
])
def test_intents(nlp, text, intents):
    doc = nlp(text)
    assert doc._.intents == intents
    assert doc._.is_complaint == ("complaint" in intents)


def test_a_complaint_topic_in_a_positive_sentence_is_no_complaint(nlp):
    doc = nlp("Thanks, great service, no delay at all and it came early!")
    assert not doc._.is_complaint and "praise" in doc._.intents


def test_tagger_redacts_before_tagging_and_evidence_points_into_the_redacted_text():
    tagger = Tagger(TAXONOMY)
    (result,) = tagger.tag([Item("Call me on +44 20 7946 0958, my refund is late", id="x")])
    assert result["redacted_text"] == "Call me on [phone], my refund is late"
    refund = next(t for t in result["topics"] if t["topic"] == "refund")
    ev = refund["evidence"][0]
    assert result["redacted_text"][ev["start"]:ev["end"]] == "refund"
    assert set(result) >= {"id", "language", "redacted_text", "sentiment", "topics", "journey_stage", "stage_reason",
                           "is_complaint", "intents"}


def test_items_without_text_get_a_stage_but_no_sentiment():
    (result,) = Tagger(TAXONOMY).tag([Item(None, channel="ticket")])
    assert result["sentiment"] is None and result["topics"] == [] and result["redacted_text"] is None
    assert (result["journey_stage"], result["stage_reason"]) == ("support", "channel ticket")
