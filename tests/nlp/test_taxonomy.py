"""Taxonomy files: the bundled ones are valid, and every kind of mistake is reported with its line."""

import json

import pytest
from typer.testing import CliRunner

from voc.nlp import TaxonomyError, load_taxonomy, resolve_taxonomy
from voc.nlp.taxonomy import parse_taxonomy
from voc.pipeline.cli import app
from voc.schemas.taxonomies import bundled, bundled_path

VALID = """\
version: 1
name: shop
stages:
  - {id: purchase, label: Purchase}
  - {id: delivery, label: Delivery}
default_stage: null
channel_stages: {ticket: purchase}
themes:
  - id: delivery
    label: Delivery
    stage: delivery
    topics:
      - id: late_delivery
        label: Late delivery
        complaint: true
        phrases: [late, delay, "still waiting"]
        exclude: ["on time"]
        patterns:
          - [{LOWER: where}, {LOWER: is}, {LOWER: my}, {LOWER: {IN: [order, parcel]}}]
"""


def errors_of(text: str) -> list[str]:
    with pytest.raises(TaxonomyError) as caught:
        parse_taxonomy(text, source="t.yaml")
    return caught.value.errors


def test_bundled_taxonomies_are_valid():
    assert set(bundled()) >= {"acme-retail", "airline"}
    for name in bundled():
        taxonomy = load_taxonomy(bundled_path(name))
        assert taxonomy.topics and all(t.phrases or t.patterns for t in taxonomy.topics)
        assert taxonomy.version_tag.startswith(f"{taxonomy.name}@{taxonomy.version}+")
    assert resolve_taxonomy(None).name == "acme-retail"
    assert resolve_taxonomy("airline").name == "airline-example"


def test_a_valid_file_parses_into_topics_with_stages():
    taxonomy = parse_taxonomy(VALID)
    topic = taxonomy.topic("late_delivery")
    assert (topic.theme, topic.stage, topic.complaint) == ("delivery", "delivery", True)
    assert topic.exclude == ["on time"] and len(topic.patterns) == 1
    assert taxonomy.channel_stages == {"ticket": "purchase"} and taxonomy.default_stage is None


def test_priority_is_optional_and_must_be_a_whole_number():
    assert parse_taxonomy(VALID).topic("late_delivery").priority == 0
    ranked = parse_taxonomy(VALID.replace("complaint: true", "complaint: true\n        priority: 2"))
    assert ranked.topic("late_delivery").priority == 2
    errors = errors_of(VALID.replace("complaint: true", "complaint: true\n        priority: high"))
    assert errors == ["t.yaml:16: themes[0].topics[0].priority: expected a whole number (higher wins when an item "
                      "matches several topics; default 0), got 'high'"]


def test_unknown_stage_is_located():
    errors = errors_of(VALID.replace("stage: delivery", "stage: delivry"))
    assert errors == ["t.yaml:11: themes[0].stage: unknown stage 'delivry' (stages: delivery, purchase)"]


def test_duplicate_ids_empty_topics_and_unknown_keys_are_all_reported_at_once():
    text = VALID + """\
      - id: late_delivery
        label: Again
        phrases: [slow]
      - id: empty_one
        label: Nothing to match
        phrase: [typo]
  - id: delivery
    topics: []
"""
    errors = errors_of(text)
    assert "t.yaml:20: themes[0].topics[1].id: duplicate topic id 'late_delivery'" in errors
    assert "t.yaml:23: themes[0].topics[2]: topic 'empty_one' is empty: give it phrases or patterns" in errors
    assert any(e.startswith("t.yaml:25: themes[0].topics[2].phrase: unknown key 'phrase'") for e in errors)
    assert "t.yaml:26: themes[1].id: duplicate theme id 'delivery'" in errors
    assert "t.yaml:27: themes[1].topics: theme 'delivery' has no topics" in errors
    assert len(errors) == 5


def test_a_phrase_claimed_by_two_topics_is_an_error_even_in_another_form():
    text = VALID + """\
      - id: slow_delivery
        phrases: [slow, delays]
"""
    assert errors_of(text) == ["t.yaml:21: themes[0].topics[1].phrases[1]: phrase 'delays' is already claimed by "
                               "topic 'late_delivery'"]


def test_bad_patterns_are_located():
    errors = errors_of(VALID.replace("{LOWER: where}", "{LOWR: where}") + """\
      - id: other
        patterns: [not-a-list]
""")
    assert errors[0] == ("t.yaml:19: themes[0].topics[0].patterns[0]: bad pattern: [token 0 -> LOWR] Extra inputs "
                         "are not permitted")
    assert errors[1] == ("t.yaml:21: themes[0].topics[1].patterns[0]: a pattern is a non-empty list of token "
                         "mappings, e.g. [{LOWER: where}]")


def test_broken_yaml_and_missing_keys():
    assert errors_of("version: 1\nname: [unclosed\n")[0].startswith("t.yaml:3: not valid YAML")
    assert errors_of("version: 1\n") == ["t.yaml:1: (top): missing required key 'name'",
                                         "t.yaml:1: (top): missing required key 'stages'",
                                         "t.yaml:1: (top): missing required key 'themes'"]


def test_version_tag_follows_content_not_comments_or_layout():
    base = parse_taxonomy(VALID).version_tag
    assert parse_taxonomy("# a comment\n" + VALID.replace("[late, delay,", "[late,  delay,")).version_tag == base
    changed = parse_taxonomy(VALID.replace("[late, delay,", "[late, delayed parcel, delay,")).version_tag
    assert changed != base and changed.startswith("shop@1+")


def test_taxonomy_check_command(tmp_path):
    good, bad = tmp_path / "good.yaml", tmp_path / "bad.yaml"
    good.write_text(VALID, encoding="utf-8")
    bad.write_text(VALID.replace("stage: delivery", "stage: nowhere"), encoding="utf-8")
    runner = CliRunner()
    ok = runner.invoke(app, ["taxonomy", "check", str(good)])
    assert ok.exit_code == 0 and ok.output.startswith("ok: shop@1+") and "1 topics, 3 phrases, 1 patterns" in ok.output
    failed = runner.invoke(app, ["taxonomy", "check", str(bad)])
    assert failed.exit_code == 1
    assert f"error: {bad}:11: themes[0].stage: unknown stage 'nowhere'" in failed.output
    as_json = json.loads(runner.invoke(app, ["taxonomy", "check", str(bad), "--json"]).output)
    assert as_json["valid"] is False and len(as_json["errors"]) == 1
    missing = runner.invoke(app, ["taxonomy", "check", str(tmp_path / "nope.yaml")])
    assert missing.exit_code == 1 and "no such file, and no bundled taxonomy of that name" in missing.output
    bundled = runner.invoke(app, ["taxonomy", "check", "airline"])  # a bundled name, as --taxonomy takes
    assert bundled.exit_code == 0 and bundled.output.startswith("ok: airline-example@1+"), bundled.output
