"""The core-items and trend-day gates: results stored, error-level failures raise, personal data never shown."""

from datetime import date

import pytest

from tests.pipeline.quality.batches import survey_file
from tests.pipeline.seed import seed_items
from voc.pipeline.enrich import enrich_pending
from voc.pipeline.ingest import ingest_files
from voc.pipeline.quality import QualityGateError, check_core_items, check_trend_day
from voc.pipeline.trends import build_day

DAY = date(2026, 10, 20)


def _results(engine, suite):
    with engine.connect() as conn:
        return [dict(r) for r in conn.exec_driver_sql(
            "SELECT check_name, column_name, severity, success, unexpected_count, sample_unexpected, trend_date,"
            " data_docs_page FROM raw.quality_result WHERE suite = %s ORDER BY result_id", (suite,)).mappings()]


def test_core_items_after_enrichment_pass_and_a_leaked_address_fails(engine, tmp_path, docs_dir):
    ingest_files(engine, "survey", [survey_file(tmp_path / "s.csv", 25)])
    enrich_pending(engine)
    run = check_core_items(engine)
    assert not run.failed and {r["success"] for r in _results(engine, "core_items")} == {True}
    with engine.begin() as conn:
        conn.exec_driver_sql("UPDATE core.feedback_item SET text = 'write to jane.doe@example.com or +44 20 7946"
                             " 0958' WHERE source_item_key LIKE 'R3#%%'")
    with pytest.raises(QualityGateError, match="no e-mail address: text 1 of 25 rows") as info:
        check_core_items(engine)
    assert "no phone number: text 1 of 25 rows" in str(info.value)
    failed = [r for r in _results(engine, "core_items") if not r["success"]]
    assert {(r["check_name"], r["column_name"]) for r in failed} == {("no e-mail address", "text"),
                                                                     ("no phone number", "text")}
    assert all(r["sample_unexpected"] is None for r in failed)  # the leaked details are not copied anywhere
    page = (docs_dir / failed[0]["data_docs_page"]).read_text(encoding="utf-8")
    assert "jane.doe@example.com" not in page and "7946" not in page


def test_items_not_enriched_fail_the_core_check(engine, tmp_path):
    ingest_files(engine, "survey", [survey_file(tmp_path / "s.csv", 25)])
    with pytest.raises(QualityGateError, match="every item enriched: enriched_at 25 of 25 rows"):
        check_core_items(engine)


def test_a_trend_day_is_checked_and_a_broken_row_fails_it(engine):
    seed_items(engine, [{"occurred_at": f"{DAY}T10:00:00+00:00", "channel": "social", "is_complaint": True,
                         "topics": [("delivery", "late_delivery", True)], "label": "negative", "sentiment": -0.6,
                         "stage": "delivery"} for _ in range(3)])
    build_day(engine, DAY)
    run = check_trend_day(engine, DAY)
    assert not [r for r in run.failed if r.severity == "error"]
    assert {r["trend_date"] for r in _results(engine, "complaint_trend_day")} == {DAY}
    with engine.begin() as conn:
        conn.exec_driver_sql("UPDATE mart.complaint_trend_daily SET complaint_count = item_count + 2,"
                             " negative_share = 1.5 WHERE trend_date = %s", (DAY,))
    with pytest.raises(QualityGateError, match="counts consistent") as info:
        check_trend_day(engine, DAY)
    assert "measures within scales: negative_share 1 of 1 rows (100.0%) outside 0..1" in str(info.value)
    # a day without rows only warns
    empty = check_trend_day(engine, date(2026, 10, 1))
    assert [(r.check_name, r.severity) for r in empty.failed] == [("day has trend rows", "warning")]
