"""The data dictionary in docs/ is generated from the warehouse's comments and kept current."""

from tests.helpers import REPO
from voc.pipeline.db.dictionary import render

DOC = REPO / "docs" / "data_dictionary.md"


def test_committed_data_dictionary_matches_the_warehouse(engine):
    generated = render(engine) + "\n"
    for name in ("mart.customer_story", "mart.customer_timeline", "mart.complaint_trend_daily",
                 "mart.journey_stage_health", "mart.listening_coverage", "mart.customer_health"):
        assert f"## {name} " in generated
    assert "_undocumented_" not in generated
    assert DOC.read_text(encoding="utf-8") == generated, (
        "docs/data_dictionary.md is stale: run `voc db dictionary --out docs/data_dictionary.md`")
