"""Expectation suites, built in code by small factories: one per source kind for an arriving batch, one for
the core items after enrichment, one for a day of complaint trends.

Great Expectations builds a suite inside the current Data Context: call the factories after creating one
(``runner.Runner`` does; a test can use ``gx.get_context(mode="ephemeral")``). Each expectation carries
``severity`` (critical: a failure holds the batch or fails the run; warning: recorded, published) and
``meta``: ``check`` names what it protects in words, ``rate`` marks shares that are only judged as errors
on batches of at least ``Thresholds.min_rows`` rows, ``private`` marks checks whose failing values must
never be shown (they would be personal data): a suite with one is validated without sampling any.
"""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass, field
from datetime import datetime

from voc.pipeline.quality.gx import gx, gxe
from voc.pipeline.quality.queries import EMAIL_PATTERN, PHONE_PATTERN
from voc.pipeline.quality.settings import KIND_SCORES, SCORE_SCALES, Thresholds, thresholds_for
from voc.schemas import CHANNELS

ERROR, WARNING = "critical", "warning"


@dataclass(frozen=True)
class BatchFacts:
    """What the batch suite needs to know about a batch: when it arrived, and its source's recent inputs."""

    kind: str
    arrived_at: datetime
    recent_read_counts: tuple[int, ...] = ()  # records read by the source's recent whole inputs, newest first
    recent_languages: dict[str, int] = field(default_factory=dict)  # their items per language
    is_whole_input: bool = False


def _meta(check: str, *, rate: bool = False, private: bool = False) -> dict:
    meta: dict = {"check": check}
    if rate:
        meta["rate"] = True
    if private:
        meta["private"] = True
    return meta


def _mostly(share: float) -> float:
    return round(1.0 - share, 6)


def batch_suite(kind: str, facts: BatchFacts, thresholds: Thresholds | None = None) -> gx.ExpectationSuite:
    """Return the suite for one arriving batch of a source kind (rows: ``queries.batch_rows_query``)."""
    if kind not in KIND_SCORES:
        raise ValueError(f"unknown source kind {kind!r}")
    t = thresholds or thresholds_for(kind)
    suite = gx.ExpectationSuite(name=f"{kind}_batch")
    add = suite.add_expectation

    add(gxe.ExpectColumnValuesToNotBeInSet(
        column="rejected_for", value_set=["id"], mostly=_mostly(t.max_missing_id_share), severity=ERROR,
        meta=_meta("ids present", rate=True)))
    add(gxe.ExpectColumnValuesToBeUnique(
        column="item_id", mostly=_mostly(t.max_duplicate_id_share), severity=ERROR,
        meta=_meta("ids unique", rate=True)))
    add(gxe.ExpectColumnValuesToNotBeInSet(
        column="rejected_for", value_set=["occurred_at"], mostly=_mostly(t.max_bad_time_share), severity=ERROR,
        meta=_meta("timestamps parseable", rate=True)))
    add(gxe.ExpectColumnValuesToBeBetween(
        column="occurred_at", max_value=facts.arrived_at + t.future_tolerance, mostly=_mostly(t.max_future_share),
        severity=ERROR, meta=_meta("timestamps not in the future", rate=True)))
    for score in KIND_SCORES[kind]:
        low, high = SCORE_SCALES[score]
        add(gxe.ExpectColumnValuesToBeBetween(
            column=score, min_value=low, max_value=high, mostly=_mostly(t.max_out_of_scale_share), severity=ERROR,
            meta=_meta("scores within scales", rate=True)))
    add(gxe.ExpectColumnValuesToBeBetween(
        column="text_length", min_value=1, mostly=_mostly(t.max_empty_text_share), severity=ERROR,
        meta=_meta("text not empty", rate=True)))
    add(gxe.ExpectColumnValuesToBeNull(
        column="reject_reason", mostly=_mostly(t.max_rejected_share), severity=ERROR,
        meta=_meta("records rejected", rate=True)))
    add(gxe.ExpectColumnValuesToBeNull(
        column="reject_reason", mostly=_mostly(t.warn_rejected_share), severity=WARNING,
        meta=_meta("records rejected")))
    add(gxe.ExpectColumnMaxToBeBetween(
        column="duplicate_share", max_value=t.warn_duplicate_share, severity=WARNING,
        meta=_meta("duplicate rate")))
    for expectation in _baseline_expectations(facts, t):
        add(expectation)
    return suite


def _baseline_expectations(facts: BatchFacts, t: Thresholds) -> list:
    """Volume and language mix against the source's recent whole inputs, once there are enough of them."""
    recent = facts.recent_read_counts[: t.volume_history]
    if len(recent) < t.min_history:
        return []
    found = []
    if facts.is_whole_input:
        median = statistics.median(recent)
        found.append(gxe.ExpectColumnMaxToBeBetween(
            column="read_count", min_value=math.ceil(median * t.min_volume_ratio), severity=ERROR,
            meta={**_meta("volume"), "baseline_median": median, "baseline_inputs": len(recent)}))
        found.append(gxe.ExpectColumnMaxToBeBetween(
            column="read_count", max_value=math.floor(median * t.warn_volume_ratio), severity=WARNING,
            meta={**_meta("volume"), "baseline_median": median, "baseline_inputs": len(recent)}))
    total = sum(n for lang, n in facts.recent_languages.items() if lang)
    usual = sorted(lang for lang, n in facts.recent_languages.items() if lang and n >= t.usual_language_share * total)
    if usual:
        found.append(gxe.ExpectColumnValuesToBeInSet(
            column="language", value_set=usual, mostly=_mostly(1 - t.min_usual_language_share), severity=WARNING,
            meta=_meta("language mix")))
    return found


def core_items_suite() -> gx.ExpectationSuite:
    """Return the suite for core items after enrichment (rows: ``queries.core_items_query``)."""
    suite = gx.ExpectationSuite(name="core_items")
    add = suite.add_expectation
    add(gxe.ExpectColumnValuesToNotBeNull(column="enriched_at", severity=ERROR, meta=_meta("every item enriched")))
    add(gxe.ExpectColumnValuesToBeInSet(
        column="sentiment_state", value_set=["scored", "score only", "no words", "language without lexicon"],
        severity=ERROR, meta=_meta("sentiment or score-only")))
    add(gxe.ExpectColumnValuesToNotBeNull(column="stage_reason", severity=ERROR, meta=_meta("journey stage decided")))
    for column in ("nlp_version", "taxonomy_version"):
        add(gxe.ExpectColumnValuesToNotBeNull(column=column, severity=ERROR, meta=_meta("versions recorded")))
    for column in ("text", "title"):
        add(gxe.ExpectColumnValuesToNotMatchRegex(
            column=column, regex=EMAIL_PATTERN, severity=ERROR, meta=_meta("no e-mail address", private=True)))
        add(gxe.ExpectColumnValuesToNotMatchRegex(
            column=column, regex=PHONE_PATTERN, severity=ERROR, meta=_meta("no phone number", private=True)))
    return suite


def trend_day_suite() -> gx.ExpectationSuite:
    """Return the suite for one day of ``mart.complaint_trend_daily`` (rows: ``queries.trend_day_query``)."""
    suite = gx.ExpectationSuite(name="complaint_trend_day")
    add = suite.add_expectation
    add(gxe.ExpectTableRowCountToBeBetween(min_value=1, severity=WARNING, meta=_meta("day has trend rows")))
    add(gxe.ExpectCompoundColumnsToBeUnique(
        column_list=["theme", "topic", "journey_stage", "channel"], severity=ERROR, meta=_meta("one row per cell")))
    add(gxe.ExpectColumnValuesToBeInSet(column="channel", value_set=list(CHANNELS), severity=ERROR,
                                        meta=_meta("known channels")))
    add(gxe.ExpectColumnValuesToBeBetween(column="item_count", min_value=1, severity=ERROR,
                                          meta=_meta("counts consistent")))
    add(gxe.ExpectColumnValuesToBeBetween(column="complaint_count", min_value=0, severity=ERROR,
                                          meta=_meta("counts consistent")))
    add(gxe.ExpectColumnPairValuesAToBeGreaterThanB(
        column_A="item_count", column_B="complaint_count", or_equal=True, severity=ERROR,
        meta=_meta("counts consistent")))
    for column, low, high in (("negative_share", 0, 1), ("mean_sentiment", -1, 1), ("nps", -100, 100),
                              ("mean_csat", 1, 5), ("mean_ces", 1, 7)):
        add(gxe.ExpectColumnValuesToBeBetween(column=column, min_value=low, max_value=high, severity=ERROR,
                                              meta=_meta("measures within scales")))
    add(gxe.ExpectColumnValuesToNotBeNull(column="is_spike", severity=ERROR, meta=_meta("spike flag set")))
    add(gxe.ExpectColumnValuesToNotBeNull(column="taxonomy_version", severity=WARNING,
                                          meta=_meta("versions recorded")))
    return suite
