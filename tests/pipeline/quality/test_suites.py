"""The suite factories, unit-tested without a database or Airflow: what each kind checks, at which severity."""

from datetime import UTC, datetime

import pytest

from voc.pipeline.quality.gx import gx
from voc.pipeline.quality.settings import Thresholds, thresholds_for
from voc.pipeline.quality.suites import BatchFacts, batch_suite, core_items_suite, trend_day_suite

ARRIVED = datetime(2026, 11, 1, 12, tzinfo=UTC)


@pytest.fixture(autouse=True)
def context():
    """Suites live in a Data Context: an ephemeral one, in memory, no database."""
    return gx.get_context(mode="ephemeral")


def _checks(suite) -> dict[tuple[str, str | None], list]:
    found: dict = {}
    for e in suite.expectations:
        found.setdefault((e.meta["check"], getattr(e, "column", None)), []).append(e)
    return found


@pytest.mark.parametrize("kind", ["survey", "social", "email", "ticket", "review"])
def test_every_kind_checks_ids_timestamps_text_rejects_and_duplicates(kind):
    suite = batch_suite(kind, BatchFacts(kind=kind, arrived_at=ARRIVED))
    checks = _checks(suite)
    assert suite.name == f"{kind}_batch"
    for check, column in [("ids present", "rejected_for"), ("ids unique", "item_id"),
                          ("timestamps parseable", "rejected_for"), ("timestamps not in the future", "occurred_at"),
                          ("text not empty", "text_length"), ("records rejected", "reject_reason"),
                          ("duplicate rate", "duplicate_share")]:
        assert (check, column) in checks, (check, column)
    [future] = checks[("timestamps not in the future", "occurred_at")]
    assert future.max_value == ARRIVED + thresholds_for(kind).future_tolerance
    assert {e.severity.value for e in checks[("records rejected", "reject_reason")]} == {"critical", "warning"}
    assert [e.severity.value for e in checks[("duplicate rate", "duplicate_share")]] == ["warning"]
    # without three earlier inputs there is no baseline to compare volume or languages with
    assert not any(check in ("volume", "language mix") for check, _ in checks)


def test_scores_are_checked_against_their_scales_per_kind():
    def scales(kind):
        return {e.column: (e.min_value, e.max_value) for e in batch_suite(kind, BatchFacts(kind, ARRIVED)).expectations
                if e.meta["check"] == "scores within scales"}

    assert scales("survey") == {"nps": (0, 10), "csat": (1, 5), "ces": (1, 7), "rating": (1, 5)}
    assert scales("review") == {"rating": (1, 5)}
    assert scales("ticket") == {"csat": (1, 5)}
    assert scales("social") == scales("email") == {}
    with pytest.raises(ValueError, match="unknown source kind 'fax'"):
        batch_suite("fax", BatchFacts("fax", ARRIVED))


def test_volume_and_language_mix_need_a_baseline_of_whole_inputs():
    facts = BatchFacts("survey", ARRIVED, recent_read_counts=(100, 120, 80, 90), is_whole_input=True,
                       recent_languages={"en": 950, "de": 40, "fr": 5, "": 30})
    checks = _checks(batch_suite("survey", facts, Thresholds()))
    low, high = checks[("volume", "read_count")]
    assert (low.min_value, low.severity.value) == (24, "critical")  # a quarter of the median 95, rounded up
    assert (high.max_value, high.severity.value) == (380, "warning")
    [mix] = checks[("language mix", "language")]
    assert (mix.value_set, mix.mostly, mix.severity.value) == (["de", "en"], 0.9, "warning")
    # an API page is not compared with whole files; two earlier inputs are not a baseline
    page = BatchFacts("survey", ARRIVED, recent_read_counts=(100, 120, 80), is_whole_input=False)
    assert ("volume", "read_count") not in _checks(batch_suite("survey", page))
    young = BatchFacts("survey", ARRIVED, recent_read_counts=(100, 120), is_whole_input=True)
    assert ("volume", "read_count") not in _checks(batch_suite("survey", young))


def test_rates_are_marked_so_small_batches_only_warn():
    suite = batch_suite("ticket", BatchFacts("ticket", ARRIVED))
    rated = {e.meta["check"] for e in suite.expectations if e.meta.get("rate")}
    assert rated == {"ids present", "ids unique", "timestamps parseable", "timestamps not in the future",
                     "scores within scales", "text not empty", "records rejected"}
    assert thresholds_for("email").max_duplicate_id_share > thresholds_for("ticket").max_duplicate_id_share == 0


def test_core_items_suite_checks_enrichment_versions_and_personal_data():
    suite = core_items_suite()
    checks = _checks(suite)
    assert {c for c, _ in checks} == {"every item enriched", "sentiment or score-only", "journey stage decided",
                                      "versions recorded", "no e-mail address", "no phone number"}
    private = [e for e in suite.expectations if e.meta.get("private")]
    assert {e.column for e in private} == {"text", "title"}
    assert all(e.severity.value == "critical" for e in suite.expectations)


def test_trend_day_suite_checks_cells_counts_and_measures():
    checks = _checks(trend_day_suite())
    assert ("one row per cell", None) in checks
    assert {column for check, column in checks if check == "measures within scales"} == {
        "negative_share", "mean_sentiment", "nps", "mean_csat", "mean_ces"}
    [rows] = checks[("day has trend rows", None)]
    assert rows.severity.value == "warning"
