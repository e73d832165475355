"""Identity resolution: one customer across channels, explainable links, merges that keep history."""

import json

import pytest

from tests.helpers import count
from voc.pipeline.connectors.base import SourceRecord
from voc.pipeline.customers import load_crm_links, resolve_customers
from voc.pipeline.identity import protect
from voc.pipeline.load import load_records
from voc.schemas import item_id


def _load(engine, source, channel, rows):
    """Load items with given identifiers through the real loader: rows = [(key, customer_ids, text)]."""
    records = [SourceRecord(f"{source}:{n}", {"key": key, "ids": ids, "text": text})
               for n, (key, ids, text) in enumerate(rows, start=1)]

    def to_items(record):
        p = record.payload
        return [{"item_id": item_id(source, p["key"]), "source": source, "source_item_key": p["key"],
                 "channel": channel, "aided": channel == "survey", "occurred_at": "2026-10-01T10:00:00+00:00",
                 "customer_ids": p["ids"], "text": p["text"], "raw_ref": record.location}]

    load_records(engine, source=source, kind=channel, location=source, content_sha256=source + str(rows),
                 records=records, to_items=to_items)


def _keys(engine) -> dict[str, str]:
    with engine.connect() as conn:
        return dict(conn.exec_driver_sql("SELECT source_item_key, customer_key FROM core.feedback_item").all())


def test_identifiers_found_together_make_one_customer(engine):
    _load(engine, "survey", "survey", [("s1", {"customer_id": "C1", "email": "Ann@Example.com"}, "Late")])
    _load(engine, "tickets", "ticket", [("t1", {"email": "ann@example.com "}, "Where is it?")])
    _load(engine, "social", "social", [("p1", {"handle": "@ann_w"}, "Still waiting")])
    _load(engine, "other", "email", [("e1", {"email": "bob@example.com"}, "Hello")])
    report = resolve_customers(engine)
    keys = _keys(engine)
    assert keys["s1"] == keys["t1"] != keys["e1"]
    assert keys["p1"] not in (keys["s1"], keys["e1"])  # a handle alone links to nobody
    assert all(k.startswith("cust_") for k in keys.values())
    assert (report.identifiers, report.customers) == (4, 3)
    with engine.connect() as conn:
        [(rule, source, evidence)] = conn.exec_driver_sql(
            "SELECT rule, source, evidence FROM core.identity_link").all()
        stored = json.dumps(conn.exec_driver_sql("SELECT json_agg(i) FROM core.customer_identifier i").scalar())
    assert (rule, source) == ("same_item", "survey") and evidence == item_id("survey", "s1")
    assert "example.com" not in stored.lower()  # contact details are hashed


def test_a_later_crm_link_merges_two_customers_and_keeps_history(engine, tmp_path):
    _load(engine, "survey", "survey", [("s1", {"customer_id": "C1"}, "Late")])
    _load(engine, "social", "social", [("p1", {"handle": "ann_w"}, "Still waiting")])
    resolve_customers(engine)
    before = _keys(engine)
    assert before["s1"] != before["p1"]
    crm = tmp_path / "crm.csv"
    crm.write_text("customer_id,handle,email\nC1,@Ann_W,ann@example.com\n")
    assert load_crm_links(engine, crm) == 2  # one row of three identifiers: two links
    report = resolve_customers(engine)
    after = _keys(engine)
    assert after["s1"] == after["p1"] == min(before.values())
    assert report.merges == 1 and report.items_rekeyed == 1
    with engine.connect() as conn:
        old, new, reason = conn.exec_driver_sql("SELECT old_key, new_key, reason FROM core.customer_key_merge").one()
    assert (old, new) == (max(before.values()), min(before.values()))
    assert reason == "joined by crm.csv:2"
    # idempotent
    again = resolve_customers(engine)
    assert (again.new_links, again.merges, again.items_rekeyed) == (0, 0, 0)
    assert count(engine, "core.customer_key_merge") == 1


def test_crm_file_with_unknown_columns_is_refused(engine, tmp_path):
    crm = tmp_path / "crm.csv"
    crm.write_text("customer_id,full_name\nC1,Ann Smith\n")
    with pytest.raises(ValueError, match="unknown: full_name"):
        load_crm_links(engine, crm)


def test_protected_identifiers_are_what_items_store(engine):
    _load(engine, "survey", "survey", [("s1", {"email": "Ann@Example.com", "phone": "+44 20 7946 0958"}, "x")])
    with engine.connect() as conn:
        ids = conn.exec_driver_sql("SELECT customer_ids FROM core.feedback_item").scalar_one()
    assert ids == protect({"email": "Ann@Example.com", "phone": "+44 20 7946 0958"})


def test_identity_cli_links_and_resolves(db_env, tmp_path):
    import subprocess
    import sys

    crm = tmp_path / "crm.csv"
    crm.write_text("customer_id,email\nC1,ann@example.com\n")
    run = [sys.executable, "-m", "voc.pipeline.cli", "identity"]
    out = subprocess.run([*run, "link", str(crm)], env=db_env, capture_output=True, text=True, check=True).stdout
    assert out.startswith("1 new links")
    out = subprocess.run([*run, "resolve"], env=db_env, capture_output=True, text=True, check=True).stdout
    assert "2 identifiers -> 1 customers" in out
    bad = tmp_path / "bad.csv"
    bad.write_text("name\nAnn\n")
    result = subprocess.run([*run, "link", str(bad)], env=db_env, capture_output=True, text=True)
    assert result.returncode == 2 and "unknown: name" in result.stderr


def test_resolution_reads_only_items_not_yet_resolved(engine):
    _load(engine, "survey", "survey", [("s1", {"customer_id": "C1", "email": "ann@example.com"}, "Late"),
                                       ("s2", {"customer_id": "C2"}, "Fine")])
    first = resolve_customers(engine)
    assert (first.pending_items, first.items_rekeyed) == (2, 2)
    keys = _keys(engine)
    # a new item of a known customer gets that customer's key; the resolved items are not read again
    _load(engine, "tickets", "ticket", [("t1", {"email": "ann@example.com"}, "Where is it?")])
    second = resolve_customers(engine)
    assert (second.pending_items, second.items_rekeyed, second.new_links) == (1, 1, 0)
    assert _keys(engine)["t1"] == keys["s1"]
    assert (second.identifiers, second.customers) == (first.identifiers, first.customers) == (3, 2)
    # a new item that joins two customers re-keys the merged customer's old items too
    _load(engine, "social", "social", [("p1", {"customer_id": "C2", "email": "ann@example.com"}, "Still waiting")])
    third = resolve_customers(engine)
    retired_items = 1 if max(keys["s1"], keys["s2"]) == keys["s2"] else 2  # s2, or s1 and t1
    assert (third.pending_items, third.merges, third.items_rekeyed) == (1, 1, 1 + retired_items)
    after = _keys(engine)
    assert len(set(after.values())) == 1 and after["s1"] == min(keys["s1"], keys["s2"])
    assert resolve_customers(engine).pending_items == 0
