"""The feedback-item contract: valid items pass, each kind of breach gives a readable reason."""

import pytest

from voc.schemas import CONTRACT_VERSION, item_id, load_contract, validate_item


def _item(**changes):
    item = {
        "item_id": item_id("surveys", "R1#comment"),
        "source": "surveys",
        "source_item_key": "R1#comment",
        "channel": "survey",
        "aided": True,
        "occurred_at": "2026-10-01T12:00:00+00:00",
        "customer_ids": {"customer_id": "C1"},
        "text": "Late again.",
        "nps": 3,
        "raw_ref": "export.csv:2",
    }
    item.update(changes)
    return item


def test_contract_is_versioned():
    assert CONTRACT_VERSION.endswith(".v1")
    assert load_contract()["$id"].endswith("feedback_item.v1.json")


def test_valid_item_passes():
    assert validate_item(_item()) == []


def test_item_id_is_stable_and_source_scoped():
    assert item_id("a", "1") == item_id("a", "1")
    assert item_id("a", "1") != item_id("b", "1")


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"nps": 11}, "nps: 11 is greater than the maximum of 10"),
        ({"csat": 0}, "csat: 0 is less than the minimum of 1"),
        ({"ces": 8}, "ces: 8 is greater than the maximum of 7"),
        ({"channel": "fax"}, "channel: 'fax' is not one of"),
        ({"occurred_at": "2026-10-01T12:00:00"}, "occurred_at: '2026-10-01T12:00:00' does not match"),
        ({"text": ""}, "text: '' should be non-empty"),
        ({"customer_ids": {"name": "Bob"}}, "customer_ids: 'name' is not one of"),
    ],
)
def test_breaches_are_explained(changes, expected):
    reasons = validate_item(_item(**changes))
    assert any(expected in r for r in reasons), reasons


def test_score_only_survey_item_is_allowed_but_empty_item_is_not():
    assert validate_item(_item(text=None)) == []
    reasons = validate_item(_item(text=None, nps=None))
    assert reasons == ["no text and no score: an item needs feedback text, or a score for a survey response"]


def test_unaided_item_needs_text():
    assert validate_item(_item(text=None, aided=False, channel="social")) != []
