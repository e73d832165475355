"""Retention: raw payloads older than the configured age are removed; the redacted core items stay, loading the same
input again stores nothing, and a second purge of the same night purges nothing."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

from tests.reliability.harness import ingest_all, snapshot
from voc.pipeline.retention import purge_quarantine, purge_raw_payloads

SUITE = "retention (raw purge)"
EMAIL = re.compile(r"customer\d+@example\.com")
AS_OF = datetime(2027, 11, 20, tzinfo=UTC)


def _age(engine, source: str, days: int) -> None:
    with engine.begin() as conn:
        conn.exec_driver_sql("UPDATE raw.record SET received_at = %s WHERE source = %s",
                             (AS_OF - timedelta(days=days), source))
        conn.exec_driver_sql("UPDATE raw.quarantine SET quarantined_at = %s WHERE source = %s",
                             (AS_OF - timedelta(days=days), source))


def test_old_raw_payloads_go_and_the_redacted_items_stay(engine, sample, ledger):
    ingest_all(engine, sample.sources)
    _age(engine, "surveys", 400)
    _age(engine, "support_email", 366)
    _age(engine, "social_x", 364)  # younger than the age: kept
    with engine.connect() as conn:
        old = conn.exec_driver_sql("SELECT count(*) FROM raw.record WHERE source IN ('surveys', 'support_email')"
                                   ).scalar_one()
        old_emails = conn.exec_driver_sql("SELECT count(*) FROM raw.record WHERE source IN ('surveys',"
                                          " 'support_email') AND payload::text ~ 'customer[0-9]+@example'").scalar_one()
    assert old_emails > 0  # the test can fail: the old payloads hold clear contact details
    before = snapshot(engine)

    purged = purge_raw_payloads(engine, timedelta(days=365), as_of=AS_OF, batch_size=7)
    after = snapshot(engine)
    with engine.connect() as conn:
        payloads = conn.exec_driver_sql("SELECT source, payload::text FROM raw.record").all()
    leaks = [p for s, p in payloads if s in ("surveys", "support_email") and EMAIL.search(p)]
    ledger.add(SUITE, cases=1, leaks=len(leaks))
    assert purged == old and not leaks
    assert all(p == '{"_removed": {"by": "retention"}}' for s, p in payloads if s in ("surveys", "support_email"))
    assert any(EMAIL.search(p) for s, p in payloads if s == "zendesk_export")  # not old: untouched
    for table in ("core.feedback_item", "core.enrichment", "core.item_context", "raw.quarantine", "raw.load_batch"):
        assert after[table] == before[table], table
    assert len(after["raw.record"]) == len(before["raw.record"])  # rows (and hashes) stay; payloads go

    # The same night again purges nothing; loading the same files again stores nothing.
    assert purge_raw_payloads(engine, timedelta(days=365), as_of=AS_OF) == 0
    ingest_all(engine, sample.sources)
    assert snapshot(engine) == after

    # Quarantined records older than the age go too (they were never loaded).
    with engine.connect() as conn:
        old_rejects = conn.exec_driver_sql("SELECT count(*) FROM raw.quarantine WHERE quarantined_at < %s",
                                           (AS_OF - timedelta(days=365),)).scalar_one()
    assert old_rejects > 0 and purge_quarantine(engine, timedelta(days=365), as_of=AS_OF) == old_rejects


def test_the_age_must_be_positive_and_the_run_time_aware(engine):
    with pytest.raises(ValueError, match="positive"):
        purge_raw_payloads(engine, timedelta(0))
    with pytest.raises(ValueError, match="timezone-aware"):
        purge_raw_payloads(engine, timedelta(days=1), as_of=datetime(2027, 1, 1))
