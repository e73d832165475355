"""The loader's fast contract check never accepts an item that jsonschema rejects, and accepts the plain ones."""

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from voc.pipeline.load import surely_valid
from voc.schemas import item_id, validate_item

BASE = {
    "item_id": item_id("surveys", "R1#comment"),
    "source": "surveys",
    "source_item_key": "R1#comment",
    "channel": "survey",
    "aided": True,
    "occurred_at": "2026-10-01T12:00:00+00:00",
    "customer_ids": {"customer_id": "C1", "email": "sha256:ab"},
    "text": "Late again.",
    "nps": 3,
    "question": "comment",
    "language": "en",
    "raw_ref": "export.csv:2",
}
KEYS = [*BASE, "csat", "ces", "rating", "survey_id", "survey_type", "unknown"]
ODD_VALUES = st.one_of(
    st.none(), st.booleans(), st.integers(-3, 12), st.floats(allow_nan=True), st.text(max_size=5),
    st.sampled_from(["", "survey", "chat", "email", "en", "en-GB", "EN", "en\n", "2026-10-01T12:00:00Z",
                     "2026-10-01 12:00", "not-a-uuid", BASE["item_id"], "x" * 201, 1.0, 5.5, 10, 0]),
    st.dictionaries(st.sampled_from(["customer_id", "email", "bogus"]), st.one_of(st.text(max_size=3), st.none()),
                    max_size=2),
    st.lists(st.integers(), max_size=1),
)


def test_the_plain_item_takes_the_fast_path():
    assert surely_valid(dict(BASE)) and validate_item(dict(BASE)) == []
    assert surely_valid({**BASE, "rating": 4.5, "csat": None, "survey_id": None})


@settings(max_examples=1000, derandomize=True, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(changes=st.dictionaries(st.sampled_from(KEYS), ODD_VALUES, max_size=3),
       dropped=st.sets(st.sampled_from(list(BASE)), max_size=1))
def test_never_accepts_what_the_contract_rejects(changes, dropped):
    item = {k: v for k, v in {**BASE, **changes}.items() if k not in dropped}
    if surely_valid(item):
        assert validate_item(item) == [], item
