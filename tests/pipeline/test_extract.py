"""The CX team's daily extract: CSV and HTML report of a day, rendered in a real headless Chromium."""

import csv
import json
import random
import shutil
import struct
import subprocess
import sys
import tempfile
import zlib
from collections import defaultdict
from datetime import date, timedelta
from html.parser import HTMLParser
from importlib.resources import files

import pytest

from tests.pipeline.seed import seed_items
from voc.pipeline.extract import charts, write_extract
from voc.pipeline.extract.report import evidence_spans, segments
from voc.pipeline.trends import build_day

DAY = date(2026, 10, 20)
SCRIPT = "<script>alert(1)</script>"

# topic -> (theme, stage, channels, evidence phrase, texts); every text contains its phrase
TOPICS = {
    "late_delivery": ("delivery", "delivery", ["social", "ticket"], "arrived late",
                      ["My parcel arrived late again, third time this month.",
                       "Order arrived late and nobody told me why.",
                       "It arrived late, the tracking page said delivered days ago. Call me on [phone]."]),
    "damaged_parcel": ("delivery", "delivery", ["ticket"], "damaged",
                       ["The box came damaged and the mug inside was broken.", "Second damaged parcel in a row."]),
    "double_charge": ("billing", "billing", ["ticket", "email"], "charged twice",
                      ["I was charged twice for the same order.", "Charged twice again, write to [email] please."]),
    "refund_delay": ("billing", "billing", ["email"], "refund",
                     ["Still waiting for my refund after three weeks.", "Where is my refund?"]),
    "login_failure": ("app", "usage", ["review", "social"], "log in",
                      ["Cannot log in since the update.", "The app will not let me log in at all."]),
    "long_wait": ("support", "support", ["survey", "chat"], "on hold",
                  ["I was on hold for forty minutes.", "On hold forever, then the call dropped."]),
    "setup_help": ("onboarding", "onboarding", ["survey"], "set up",
                   ["Could not set up my account without calling you.", "Hard to set up the device."]),
}


def _complaint(day, topic, hour, rng, **extra):
    theme, stage, channels, _phrase, texts = TOPICS[topic]
    return {"occurred_at": f"{day}T{hour:02d}:{rng.randrange(60):02d}:00+00:00", "channel": rng.choice(channels),
            "text": rng.choice(texts), "topics": [(theme, topic, True)], "is_complaint": True, "label": "negative",
            "sentiment": round(-0.3 - rng.random() * 0.6, 3), "stage": stage, **extra}


def _add_evidence(engine):
    """Point every seeded topic's evidence at its phrase in the text, as the NLP tagger does."""
    phrases = {topic: spec[3] for topic, spec in TOPICS.items()}
    with engine.begin() as conn:
        rows = conn.exec_driver_sql("SELECT item_id, text, topics FROM core.enrichment JOIN core.feedback_item"
                                    " USING (item_id)").all()
        for item_id, text, topics in rows:
            for topic in topics:
                phrase = phrases.get(topic["topic"], "")
                at = text.lower().find(phrase) if phrase else -1
                topic["evidence"] = [{"start": at, "end": at + len(phrase), "text": text[at:at + len(phrase)],
                                      "rule": f"phrase:{phrase}"}] if at >= 0 else []
            conn.exec_driver_sql("UPDATE core.enrichment SET topics = %s WHERE item_id = %s",
                                 (json.dumps(topics), item_id))


def seed_month(engine, *, spike_text=None):
    """Four weeks of everyday complaints, then on DAY a surge of late deliveries on social and more double
    charges than usual; one late-delivery post may carry ``spike_text``."""
    rng = random.Random(7)
    rows = []
    for back in range(28, 0, -1):
        day = DAY - timedelta(days=back)
        for topic in TOPICS:
            rows += [_complaint(day, topic, 8 + rng.randrange(12), rng) for _ in range(rng.choice([0, 1, 1, 2, 3]))]
        rows.append({"occurred_at": f"{day}T12:00:00+00:00", "channel": "survey", "text": "Great service!",
                     "label": "positive", "sentiment": 0.8, "stage": "support", "nps": 10})
    rows += [_complaint(DAY, "late_delivery", 9 + n % 10, rng, channel="social") for n in range(14)]
    rows += [_complaint(DAY, "double_charge", 9 + n, rng, channel="ticket") for n in range(6)]
    rows += [_complaint(DAY, topic, 10, rng) for topic in ("login_failure", "long_wait", "setup_help")]
    if spike_text:
        rows.append(_complaint(DAY, "late_delivery", 20, rng, channel="social", text=spike_text, sentiment=-0.99))
    seed_items(engine, rows)
    _add_evidence(engine)


def _read_csv(path):
    with path.open(newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def _mart_days(engine):
    with engine.connect() as conn:
        return set(conn.exec_driver_sql("SELECT DISTINCT trend_date FROM mart.complaint_trend_daily").scalars())


# ---------------------------------------------------------------- files


def test_extract_builds_the_days_it_needs_and_writes_the_days_rows_as_csv(engine, tmp_path):
    seed_month(engine)
    assert _mart_days(engine) == set()
    result = write_extract(engine, DAY, tmp_path)
    folder = tmp_path / "complaint_trends" / "2026-10-20"
    assert result.folder == folder and result.csv_path == folder / "complaint_trends_2026-10-20.csv"
    assert sorted(p.name for p in folder.iterdir()) == ["complaint_trends_2026-10-20.csv", "report.html"]
    assert DAY in result.built_days and DAY in _mart_days(engine)
    assert len(_mart_days(engine)) == 29  # the day and the 28 days of its chart and baselines, all with feedback

    rows = _read_csv(result.csv_path)
    with engine.connect() as conn:
        mart = conn.exec_driver_sql("SELECT theme, topic, journey_stage, channel, complaint_count, is_spike FROM"
                                    " mart.complaint_trend_daily WHERE trend_date = %s", (DAY,)).all()
    assert len(rows) == len(mart) == result.rows
    assert list(rows[0]) == ["trend_date", "theme", "topic", "journey_stage", "channel", "item_count",
                             "complaint_count", "negative_share", "mean_sentiment", "nps", "nps_responses",
                             "mean_csat", "mean_ces", "complaint_baseline_7d", "complaint_baseline_28d",
                             "complaint_stddev_28d", "complaint_zscore", "is_spike", "taxonomy_version", "built_at"]
    assert {(r["theme"], r["topic"], r["journey_stage"], r["channel"], int(r["complaint_count"]),
             r["is_spike"] == "true") for r in rows} == {tuple(m) for m in mart}
    [late] = [r for r in rows if r["topic"] == "late_delivery" and r["channel"] == "social"]
    assert late["is_spike"] == "true" and int(late["complaint_count"]) == 14 and result.spikes >= 1
    assert late["mean_sentiment"].startswith("-0.")  # a number stays a number: no apostrophe


def test_text_cells_that_look_like_formulas_are_neutralised_in_the_csv(engine, tmp_path):
    seed_items(engine, [{"occurred_at": f"{DAY}T10:00:00+00:00", "channel": "social", "is_complaint": True,
                         "topics": [('=HYPERLINK("http://evil.example")', "@cmd", True)], "stage": "-delivery",
                         "label": "negative", "sentiment": -0.5}])
    [row] = _read_csv(write_extract(engine, DAY, tmp_path).csv_path)
    assert (row["theme"], row["topic"], row["journey_stage"]) == (
        '\'=HYPERLINK("http://evil.example")', "'@cmd", "'-delivery")
    assert row["mean_sentiment"] == "-0.5000"


def test_rerunning_a_day_replaces_its_files(engine, tmp_path):
    seed_month(engine)
    first = write_extract(engine, DAY, tmp_path)
    (first.folder / "stale.txt").write_text("from an older run")
    seed_items(engine, [_complaint(DAY, "refund_delay", 15, random.Random(1)) for _ in range(3)])
    build_day(engine, DAY)  # late feedback: the day's trends are rebuilt, then extracted again
    second = write_extract(engine, DAY, tmp_path)
    assert second.built_days == [] and second.folder == first.folder
    assert sorted(p.name for p in second.folder.iterdir()) == ["complaint_trends_2026-10-20.csv", "report.html"]
    assert sum(int(r["complaint_count"]) for r in _read_csv(second.csv_path) if r["topic"] == "refund_delay") >= 3
    # nothing left behind but the lock file; no temporary or old folders
    assert sorted(p.name for p in (tmp_path / "complaint_trends").iterdir()) == [".2026-10-20.lock", "2026-10-20"]


def test_a_day_without_feedback_gets_an_empty_csv_and_a_report_that_says_so(engine, tmp_path):
    result = write_extract(engine, DAY, tmp_path)
    assert result.rows == 0 and _read_csv(result.csv_path) == []
    assert result.csv_path.read_text().startswith("trend_date,theme,topic")
    assert "No feedback on this day" in result.html_path.read_text()


# ---------------------------------------------------------------- HTML content


def test_customer_text_is_escaped_and_its_evidence_highlighted(engine, tmp_path):
    seed_month(engine, spike_text=f"Parcel arrived late {SCRIPT} <img src=x onerror=alert(2)> again")
    html = write_extract(engine, DAY, tmp_path).html_path.read_text()
    assert "<script" not in html and "<img" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html and "&lt;img src=x onerror=alert(2)&gt;" in html
    assert "Parcel <mark>arrived late</mark> &lt;script&gt;" in html
    assert "default-src 'none'" in html  # and if anything slipped through, the page's CSP would not run it
    assert "http://" not in html.replace("http://www.w3.org/2000/svg", "")  # nothing fetched from a network


def test_evidence_spans_trust_offsets_only_when_they_point_at_the_evidence():
    text = "Parcel arrived late, charged twice"
    assert evidence_spans(text, [{"start": 7, "end": 19, "text": "arrived late"}]) == [(7, 19)]
    assert evidence_spans(text, [{"start": 0, "end": 5, "text": "charged twice"}]) == [(21, 34)]  # stale offset
    assert evidence_spans(text, [{"start": 0, "end": 99, "text": "refund"}]) == []  # not in the text
    assert evidence_spans(text, [{"start": 7, "end": 14}, {"start": 12, "end": 19}]) == [(7, 19)]  # merged


def test_a_long_verbatim_is_cut_around_its_evidence():
    text = "a" * 1000 + "arrived late" + "b" * 1000
    pieces = segments(text, [(1000, 1012)], max_chars=100)
    assert pieces[0]["text"] == "…" and pieces[-1]["text"] == "…"
    assert [p["text"] for p in pieces if p["mark"]] == ["arrived late"]
    assert sum(len(p["text"]) for p in pieces[1:-1]) == 100


def test_chart_labels_are_escaped():
    svg = charts.stacked_bars([DAY], [charts.Series("<b>x</b>", "#000", [3])], title="<i>t</i>", chart_id="c")
    assert "<b>" not in svg and "<i>" not in svg and "&lt;b&gt;x&lt;/b&gt;" in svg


def test_the_template_ships_with_the_package():
    assert (files("voc.pipeline.extract.templates") / "report.html.j2").is_file()


# ---------------------------------------------------------------- real browser

CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def chromium(tmp_path, *args) -> str:
    """Run headless Chromium with a fresh profile; fail (never skip) when it is not installed."""
    binary = shutil.which("chromium")
    if binary is None:
        pytest.fail("chromium is not installed: run `make system-deps` (Debian: apt-get install -y chromium)",
                    pytrace=False)
    profile = tempfile.mkdtemp(prefix="chromium-profile-", dir=tmp_path)
    result = subprocess.run([binary, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", *args],
                            capture_output=True, text=True, timeout=180)
    assert result.returncode == 0, f"chromium exited {result.returncode}:\n{result.stderr[-3000:]}"
    return result.stdout


class Dom(HTMLParser):
    """The elements of a page with their attributes, the ids of their ancestors and their text."""

    VOID = {"meta", "link", "br", "img", "hr", "input", "source", "wbr", "col", "area", "base"}

    def __init__(self, html: str):
        super().__init__()
        self.elements: list[dict] = []
        self._open: list[dict] = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        element = {"tag": tag, "attrs": dict(attrs), "within": {e["attrs"].get("id") for e in self._open},
                   "classes": set().union(*(set((e["attrs"].get("class") or "").split()) for e in self._open)),
                   "text": ""}
        self.elements.append(element)
        if tag not in self.VOID:
            self._open.append(element)

    def handle_endtag(self, tag):
        while self._open:
            if self._open.pop()["tag"] == tag:
                break

    def handle_data(self, data):
        for element in self._open:
            element["text"] += data

    def find(self, tag, *, within=None, cls=None):
        return [e for e in self.elements if e["tag"] == tag and (within is None or within in e["within"])
                and (cls is None or cls in (e["attrs"].get("class") or "").split())]


def _png_size_and_colours(path):
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    width, height = struct.unpack(">II", data[16:24])
    idat, at = b"", 8
    while at < len(data):
        length, kind = struct.unpack(">I4s", data[at:at + 8])
        if kind == b"IDAT":
            idat += data[at + 8:at + 8 + length]
        at += 12 + length
    return width, height, len(set(zlib.decompress(idat)))


def test_the_report_renders_in_headless_chromium_with_its_charts_and_tables(engine, tmp_path):
    seed_month(engine, spike_text=f"It arrived late {SCRIPT} and support never answered")
    report = write_extract(engine, DAY, tmp_path / "exports").html_path
    dom = Dom(chromium(tmp_path, "--dump-dom", report.as_uri()))

    bars = dom.find("rect", within="volume-chart")
    values = defaultdict(int)
    for bar in bars:
        if "data-value" in bar["attrs"]:
            values[bar["attrs"]["data-date"]] += int(bar["attrs"]["data-value"])
    assert len(values) >= 25 and values[DAY.isoformat()] >= 24  # 14 + 6 + 3 + 1 complaints on the day

    rising = [tr for tr in dom.find("tr", within="rising") if dom.find("td")]
    body = [tr for tr in rising if "Spike" in tr["text"] or "Rising" in tr["text"]]
    assert body and "Late delivery" in body[0]["text"] and "Spike" in body[0]["text"]  # the surge leads
    assert len(dom.find("svg", within="rising")) == len(body)  # a 28-day sparkline per rising topic

    heat = dom.find("td", within="heatmap", cls="cell")
    assert heat and any(int(c["attrs"]["data-value"]) >= 14 for c in heat)
    assert "background" in heat[0]["attrs"]["style"]

    assert not dom.find("script")  # the customer's script is text, not an element
    verbatims = [p["text"] for p in dom.find("p", cls="said")]
    assert any(SCRIPT in v for v in verbatims)
    assert "arrived late" in {m["text"].lower() for m in dom.find("mark")}

    png = tmp_path / "report.png"
    chromium(tmp_path, f"--screenshot={png}", "--window-size=1280,2000", "--hide-scrollbars", report.as_uri())
    width, height, distinct = _png_size_and_colours(png)
    assert (width, height) == (1280, 2000)
    assert png.stat().st_size > 50_000 and distinct > 100, "the screenshot looks blank"


# ---------------------------------------------------------------- command line


def voc(*args, env):
    return subprocess.run([sys.executable, "-m", "voc.pipeline.cli", *args], env=env, capture_output=True, text=True,
                          timeout=300)


def test_voc_extract_writes_the_files_and_exits_zero(engine, db_env, tmp_path):
    seed_month(engine)
    result = voc("extract", "--date", "2026-10-20", "--out", str(tmp_path), env=db_env)
    assert result.returncode == 0, result.stderr
    folder = tmp_path / "complaint_trends" / "2026-10-20"
    assert f"{folder / 'complaint_trends_2026-10-20.csv'}" in result.stdout and f"{folder / 'report.html'}" in (
        result.stdout)
    assert "29 trend day(s) built" in result.stdout
    again = voc("extract", "--date", "2026-10-20", "--out", str(tmp_path), env=db_env)
    assert again.returncode == 0 and "0 trend day(s) built" in again.stdout


def test_voc_extract_warns_on_an_empty_day_and_rejects_a_bad_date(db_env, tmp_path):
    empty = voc("extract", "--date", "2026-01-01", "--out", str(tmp_path), env=db_env)
    assert empty.returncode == 0 and "no feedback on 2026-01-01" in empty.stderr
    bad = voc("extract", "--date", "20-10-2026", "--out", str(tmp_path), env=db_env)
    assert bad.returncode == 2 and "--date" in bad.stderr
