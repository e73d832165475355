"""``voc forget``: after erasing a person, no text, JSON or bytes column of any table - and no extract file - holds
their identifiers or their words; everyone else's data is unchanged; a second run changes nothing; loading the
same files again does not bring them back; the audit row names nobody."""

from __future__ import annotations

import csv
import html
import itertools
import json
import os
import re
import shutil
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from tests.conftest import _admin
from tests.reliability import worker
from tests.reliability.harness import ingest_all, new_database, snapshot
from tests.reliability.persona import QUIET_DAY, SURVEY_COLUMNS, identifiers, write_people
from voc.pipeline import trends
from voc.pipeline.customers import load_crm_links, resolve_customers
from voc.pipeline.db import get_engine
from voc.pipeline.enrich import enrich_pending
from voc.pipeline.extract.report import write_extract
from voc.pipeline.forget import ForgetError, forget
from voc.pipeline.ingest import ingest_files

SUITE = "erasure (voc forget)"
_copies = itertools.count()
PERSON, OTHER = 5, 6
SOURCES = {"survey": "surveys", "social": "social_x", "email": "support_email", "ticket": "zendesk_export",
           "review": "reviews"}
EXTRACT_DAYS = (date.fromisoformat(QUIET_DAY), date(2026, 10, 20), date(2026, 10, 31))

# Every column type that can hold text: scanned in every table of every schema, including ones added later.
COLUMNS_SQL = """
SELECT c.table_schema, c.table_name, c.column_name, c.data_type
FROM information_schema.columns AS c
JOIN information_schema.tables AS t USING (table_schema, table_name)
WHERE t.table_type = 'BASE TABLE' AND c.table_schema NOT IN ('pg_catalog', 'information_schema')
  AND (c.data_type IN ('text', 'character varying', 'character', 'json', 'jsonb', 'bytea', 'ARRAY', 'USER-DEFINED'))
ORDER BY 1, 2, 3
"""


def needles(who: dict[str, str], keys: set[str]) -> re.Pattern:
    """The person's identifiers, hashes, keys and own words, as whole words, case-insensitive."""
    words = [who[k] for k in ("email", "customer_id", "handle", "x_user", "requester", "name", "order", "phone",
                              "phone_digits", "email_sha256", "email_key")]
    words += [w.replace(" ", "") for w in (who["phone"],)] + sorted(keys)
    alternatives = "|".join(re.escape(w) for w in sorted(set(words), key=len, reverse=True))
    return re.compile(rf"(?<![A-Za-z0-9_])(?:{alternatives})(?![A-Za-z0-9_])", re.IGNORECASE)


def scan_database(engine, pattern: re.Pattern) -> list[str]:
    """Every (table.column, value) of the whole database whose text, JSON, array or bytes match ``pattern``."""
    hits = []
    with engine.connect() as conn:
        for schema, table, column, type_ in conn.exec_driver_sql(COLUMNS_SQL).all():
            expression = f'"{column}"' if type_ == "bytea" else f'"{column}"::text'
            for (value,) in conn.exec_driver_sql(f'SELECT {expression} FROM "{schema}"."{table}"'):
                if value is None:
                    continue
                text = bytes(value).decode("utf-8", "replace") if type_ == "bytea" else value
                if pattern.search(text) or pattern.search(json.dumps(text)):
                    hits.append(f"{schema}.{table}.{column}: {text[:120]!r}")
    return hits


def scan_files(folder: Path, pattern: re.Pattern) -> list[str]:
    hits = []
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        text = path.read_text(encoding="utf-8", errors="replace")
        if pattern.search(text) or pattern.search(html.unescape(text)):
            hits.append(str(path.relative_to(folder)))
    return hits


def _customer_keys(engine, item_ids: set[str]) -> set[str]:
    with engine.connect() as conn:
        keys = set(conn.exec_driver_sql("SELECT DISTINCT customer_key FROM core.feedback_item"
                                        " WHERE item_id::text = ANY(%s)", (sorted(item_ids),)).scalars())
    return {k for k in keys if k}


def _items_of(engine, pattern: re.Pattern) -> set[str]:
    """Item ids whose raw record mentions the person (how the test knows their items without the code under test)."""
    with engine.connect() as conn:
        rows = conn.exec_driver_sql("SELECT f.item_id::text, r.payload::text FROM core.feedback_item f"
                                    " JOIN raw.record r USING (record_id)").all()
    return {item for item, payload in rows if pattern.search(payload)}


@pytest.fixture(scope="module")
def built(server_url, template_db, sample, tmp_path_factory):
    """The scaled sample plus two people with feedback on every channel, enriched, resolved, trends and extracts;
    built once (every batch passes the quality gate), then cloned for each test."""
    root = tmp_path_factory.mktemp("erasure")
    os.environ["VOC_DATA_DOCS_DIR"] = str(root / "data_docs")  # restored by the per-test fixture
    url = new_database(server_url, template_db, "rel_erasure_built")
    engine = get_engine(url)
    files, who = write_people(root, (PERSON, OTHER))
    ingest_all(engine, sample.sources)
    for kind, paths in files.items():
        ingest_files(engine, kind, paths, source=SOURCES[kind])
    enrich_pending(engine, tagger=worker.tagger())
    load_crm_links(engine, Path(sample.crm))
    resolve_customers(engine)
    trends.build_range(engine, sample.first_day, date.fromisoformat(QUIET_DAY))
    for day in EXTRACT_DAYS:
        write_extract(engine, day, root / "exports")
    engine.dispose()
    admin = _admin(server_url)  # the quality gate's own connections linger until garbage collection
    with admin.cursor() as cur:
        cur.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", (url.database,))
    admin.close()
    return {"database": url.database, "files": files, "who": who, "exports": root / "exports",
            "data_docs": root / "data_docs"}


@pytest.fixture
def warehouse(built, server_url, tmp_path, monkeypatch):
    """A copy of the built warehouse (a database cloned from it, the extract folders copied) for one test."""
    url = new_database(server_url, built["database"], f"rel_erasure_{next(_copies)}")
    shutil.copytree(built["exports"], tmp_path / "exports")
    dsn = url.set(drivername="postgresql").render_as_string(hide_password=False)
    monkeypatch.setenv("VOC_DATABASE_URL", dsn)
    engine = get_engine(url)
    yield {"files": built["files"], "who": built["who"], "exports": tmp_path / "exports", "engine": engine,
           "data_docs": built["data_docs"],
           "env": {**os.environ, "VOC_DATABASE_URL": dsn}}
    engine.dispose()


def _forget_cli(db_env, *args) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "voc.pipeline.cli", "forget", *args], env=db_env,
                          capture_output=True, text=True, timeout=120)


def test_forget_by_email_leaves_no_trace_and_touches_nobody_else(warehouse, ledger):
    engine, db_env = warehouse["engine"], warehouse["env"]
    files, who = warehouse["files"], warehouse["who"][PERSON]
    exports = warehouse["exports"]
    probe = needles(who, set())
    person_items = _items_of(engine, probe)
    pattern = needles(who, _customer_keys(engine, person_items))
    # The test can fail: before erasure the person is everywhere, in all three layers and in an extract.
    before_hits = scan_database(engine, pattern)
    assert {h.split(":")[0] for h in before_hits} >= {
        "raw.record.payload", "raw.quarantine.payload", "raw.quarantine.original", "core.feedback_item.text",
        "core.feedback_item.customer_key", "core.customer_identifier.identifier", "core.identity_link.identifier_a"}
    assert len(person_items) >= 8
    assert f"complaint_trends/{QUIET_DAY}/report.html" in scan_files(exports, pattern)
    before = snapshot(engine)

    done = _forget_cli(db_env, "--email", who["email"].upper(), "--exports", str(exports),
                       "--reference", "DSR-2026-0042", "--json")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    after = snapshot(engine)
    leaks = scan_database(engine, pattern)
    file_leaks = scan_files(exports, pattern) + scan_files(warehouse["data_docs"], pattern)  # the gate's pages too
    ledger.add(SUITE, cases=1, leaks=len(leaks) + len(file_leaks))
    assert not leaks, "\n".join(leaks)
    assert not file_leaks
    assert report["traces"] == {} and report["counts"]["core.feedback_item"] == len(person_items)
    assert report["counts"]["raw.quarantine"] >= 3 and report["counts"]["raw.record"] >= 5
    assert f"complaint_trends/{QUIET_DAY}" in " ".join(report["exports_rewritten"])

    # Nobody else changed: other customers' items, enrichment, and the trend counts (aggregates stay).
    def others(snap, table):
        return [r for r in snap[table] if json.loads(r)["item_id"] not in person_items]

    for table in ("core.feedback_item", "core.enrichment"):
        assert others(after, table) == others(before, table)
    assert after["mart.complaint_trend_daily"] == before["mart.complaint_trend_daily"]
    other = needles(warehouse["who"][OTHER], set())
    assert len(scan_database(engine, other)) >= 10  # the other person is all still there
    # The retweet by customer 7 stays (it is theirs), with the person's handle and words scrubbed from its copy.
    with engine.connect() as conn:
        retweet = conn.exec_driver_sql("SELECT r.payload FROM core.repost p JOIN raw.record r USING (record_id)"
                                       " WHERE p.repost_key = %s", (f"18600000000000001{PERSON:02d}",)).scalar_one()
        audit = conn.exec_driver_sql("SELECT selector, reference, counts, exports_done_at FROM raw.erasure_log").all()
    assert retweet["data"]["text"] == "RT [erased]: [erased]" and retweet["includes"]["users"][0]["id"] == "9000007"
    [(selector, reference, counts, exports_done)] = audit
    assert (selector, reference, exports_done is not None) == ("email", "DSR-2026-0042", True)
    assert counts == report["counts"]

    # Idempotent: a second run finds nothing and changes nothing but the audit log.
    again = _forget_cli(db_env, "--email", who["email"], "--exports", str(exports))
    assert again.returncode == 0 and "nothing found" in again.stdout
    assert {t: v for t, v in snapshot(engine).items() if t != "raw.erasure_log"} == \
        {t: v for t, v in after.items() if t != "raw.erasure_log"}
    # Loading the same files again does not bring the person back: their records are known, as tombstones.
    for kind, paths in files.items():
        ingest_files(engine, kind, paths, source=SOURCES[kind])
    assert scan_database(engine, pattern) == []


def test_forget_by_customer_key_and_dry_run(warehouse, ledger):
    engine = warehouse["engine"]
    who = warehouse["who"][OTHER]
    probe = needles(who, set())
    items = _items_of(engine, probe)
    [key] = _customer_keys(engine, items)  # resolved: one customer across every channel
    pattern = needles(who, {key})
    dry = forget(engine, customer=key, dry_run=True)
    assert dry.found and dry.erasure_id is None and dry.counts["core.feedback_item"] == len(items)
    assert len(scan_database(engine, pattern)) >= 10  # a dry run changes nothing
    report = forget(engine, customer=key, exports=warehouse["exports"], reference="DSR-7")
    leaks = scan_database(engine, pattern) + scan_files(warehouse["exports"], pattern)
    ledger.add(SUITE, cases=1, leaks=len(leaks))
    assert not leaks, leaks
    assert report.found and not report.traces
    assert not forget(engine, customer=key).found


def test_requests_that_name_nobody_usably_are_refused(engine, db_env):
    for kwargs in ({}, {"customer": "x", "email": "a@b.example"}, {"customer": "  "}, {"email": "not-an-address"},
                   {"email": "ann@example.com", "reference": "request from ann@example.com"}):
        with pytest.raises(ForgetError):
            forget(engine, **kwargs)
    done = _forget_cli(db_env, "--customer", "x", "--email", "a@b.example")
    assert done.returncode == 2 and "exactly one" in done.stderr
    unknown = _forget_cli(db_env, "--customer", "cust_0000000000000000", "--exports", "/nonexistent/exports")
    assert unknown.returncode == 0 and "nothing found" in unknown.stdout


def test_forget_reaches_a_batch_the_quality_gate_holds(engine, tmp_path, ledger):
    """A person whose feedback waits in a held batch (staged in raw, not in core) is erased there too, and
    releasing the batch afterwards publishes nothing of theirs."""
    from voc.pipeline.quality.errors import BatchesHeld
    from voc.pipeline.quality.gate import release

    who = identifiers(PERSON)
    rows = [[f"H{n}", "2026-10-20 10:00:00", "relationship_nps", "nps", "en", f"C{20000 + n}", "", "7", "",
             f"Delivery {n} was slow", ""] for n in range(16)]
    rows += [[f"H-bad-{n}", "2026-10-20 10:00:00", "relationship_nps", "nps", "en", f"C{30000 + n}", "", "eleven",
              "", "bad score", ""] for n in range(5)]  # 5 of 22 rejected: above the gate's 10%, the batch is held
    rows.append(["H-person", "2026-10-20 11:00:00", "relationship_nps", "nps", "en", who["customer_id"],
                 who["email"], "2", "", f"Parcel {who['order']} lost, call {who['phone']}", ""])
    path = tmp_path / "held.csv"
    with path.open("w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows([SURVEY_COLUMNS, *rows])
    with pytest.raises(BatchesHeld) as held:
        ingest_files(engine, "survey", [path], source="surveys")
    pattern = needles(who, set())
    assert scan_database(engine, pattern)  # the test can fail: the person is staged in raw
    report = forget(engine, email=who["email"])
    leaks = scan_database(engine, pattern)
    ledger.add(SUITE, cases=1, leaks=len(leaks))
    assert not leaks and report.counts.get("raw.staged_item") == 1 and not report.traces, (leaks, report)
    release(engine, held.value.held[0].load_id, by="reliability test")
    assert not scan_database(engine, pattern)
    with engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT count(*) FROM core.feedback_item").scalar_one() == 16
