"""The bundled sample: every channel loads, the same customer speaks on several, broken records are quarantined."""

import hashlib

import pytest

from tests.helpers import table_counts
from voc.pipeline.ingest import ingest_files
from voc.pipeline.sample import generate_all


@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    return generate_all(tmp_path_factory.mktemp("sample"))


def _load(engine, sample):
    reports = []
    for source, kind, folder, mapping in sample:
        reports += ingest_files(engine, kind, [folder], source=source, mapping=mapping)
    return reports


def test_the_sample_is_the_same_every_time(sample, tmp_path):
    again = generate_all(tmp_path)
    assert [(s, k) for s, k, _, _ in again] == [(s, k) for s, k, _, _ in sample]
    for (_, _, first, _), (_, _, second, _) in zip(sample, again, strict=True):
        files = sorted(p.relative_to(first) for p in first.rglob("*") if p.is_file())
        assert files == sorted(p.relative_to(second) for p in second.rglob("*") if p.is_file())
        assert all((first / f).read_bytes() == (second / f).read_bytes() for f in files)


def test_every_channel_loads_and_one_customer_speaks_on_all_of_them(engine, sample):
    reports = _load(engine, sample)
    with engine.connect() as conn:
        channels = dict(conn.exec_driver_sql("SELECT channel, count(*) FROM core.feedback_item GROUP BY 1").all())
        quarantined = dict(conn.exec_driver_sql("SELECT source, count(*) FROM raw.quarantine GROUP BY 1").all())
        email = "sha256:" + hashlib.sha256(b"customer5@example.com").hexdigest()
        story = conn.exec_driver_sql(
            "SELECT DISTINCT channel, source FROM core.feedback_item WHERE customer_ids->>'customer_id' = 'C10005'"
            " OR customer_ids->>'email' = %s OR customer_ids->>'handle' = 'customer5' ORDER BY 1", (email,)).all()
        reposts = conn.exec_driver_sql("SELECT count(*) FROM core.repost").scalar_one()
    assert set(channels) == {"survey", "social", "email", "ticket", "review"}
    assert all(n >= 50 for n in channels.values()), channels
    assert {c for c, _ in story} >= {"survey", "social", "email", "ticket"}
    assert reposts > 10
    assert quarantined == {"surveys": 3, "social_x": 3, "support_email": 3, "zendesk_export": 2, "reviews": 2}
    assert all(r.read == r.loaded + r.duplicate + r.quarantined for r in reports)


def test_loading_the_sample_twice_changes_no_table(engine, sample):
    _load(engine, sample)
    before = table_counts(engine)
    again = _load(engine, sample)
    assert all(r.loaded == 0 and r.items == 0 for r in again)
    assert table_counts(engine) == before


def test_the_sample_carries_a_damaged_item_spike_on_its_last_day(engine, sample):
    """The demo's CX report must have a spike to show: the surge of damaged parcels on SPIKE_DAY."""
    from voc.pipeline import trends
    from voc.pipeline.enrich import enrich_pending
    from voc.pipeline.sample import SPIKE_DAY

    _load(engine, sample)
    enrich_pending(engine)
    quiet = trends.build_day(engine, SPIKE_DAY.date().replace(day=30))
    report = trends.build_day(engine, SPIKE_DAY.date())
    with engine.connect() as conn:
        spikes = conn.exec_driver_sql(
            "SELECT topic, channel, complaint_count FROM mart.complaint_trend_daily"
            " WHERE trend_date = %s AND is_spike", (SPIKE_DAY.date(),)).all()
        day_before = conn.exec_driver_sql(
            "SELECT count(*) FROM mart.complaint_trend_daily WHERE trend_date = %s",
            (SPIKE_DAY.date().replace(day=30),)).scalar_one()
    assert report.spikes == len(spikes) >= 1
    assert ("damaged_item", "social") in {(t, c) for t, c, _ in spikes}
    assert day_before > 0 and quiet.spikes == 0  # the day before is built and calm
