"""Write a day's extract: the CSV of its trend rows and the HTML report, replacing any earlier run of that day.

Reads ``mart.complaint_trend_daily`` (building missing days first), ``core.item_topic`` and
``mart.customer_story``; writes ``<out>/complaint_trends/<day>/``.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import uuid
from collections import defaultdict
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined
from sqlalchemy import Engine

from voc.pipeline import csvsafe, trends
from voc.pipeline.extract import charts
from voc.pipeline.extract.data import TREND_COLUMNS, Cell, day_rows, days_to_build, example_verbatims, window_counts

WINDOW_DAYS = 28  # the chart's span, and the baseline period of the spike detector
TOP_THEMES = len(charts.PALETTE)  # more themes than colours are drawn together as "Other themes"
RISING_LIMIT = 8
EXAMPLES_PER_TOPIC = 3
MAX_VERBATIM_CHARS = 480
NONE = "(none)"


@dataclass
class ExtractResult:
    """What one extract wrote."""

    day: date
    folder: Path
    csv_path: Path
    html_path: Path
    rows: int
    spikes: int
    built_days: list[date] = field(default_factory=list)

    def __str__(self) -> str:
        built = f", built trends for {len(self.built_days)} day(s)" if self.built_days else ""
        return f"{self.day}: {self.rows} trend rows, {self.spikes} spikes{built} -> {self.folder}"


def label(name: str) -> str:
    """A taxonomy id as people read it: ``late_delivery`` -> ``Late delivery``."""
    if name == NONE:
        return "No topic"
    words = name.replace("_", " ").strip()
    return words[:1].upper() + words[1:]


def _float(value: Any) -> float:
    return float(value) if value is not None else 0.0


def evidence_spans(text: str, evidence: Sequence[dict[str, Any]]) -> list[tuple[int, int]]:
    """Character spans of ``evidence`` in ``text``, merged and sorted.

    An offset pair is trusted only when it points at the evidence's own text; otherwise the text is
    looked up in ``text`` (case-insensitive) and dropped when it is not there, so a stale offset never
    highlights the wrong words.
    """
    spans = []
    folded = text.casefold()
    for item in evidence:
        start, end, quote = item.get("start"), item.get("end"), item.get("text") or ""
        valid = isinstance(start, int) and isinstance(end, int) and 0 <= start < end <= len(text)
        if valid and (not quote or text[start:end].casefold() == quote.casefold()):
            spans.append((start, end))
        elif quote and (found := folded.find(quote.casefold())) >= 0:
            spans.append((found, found + len(quote)))
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def segments(text: str, spans: Sequence[tuple[int, int]], max_chars: int = MAX_VERBATIM_CHARS) -> list[dict]:
    """Split ``text`` into ``{"text", "mark"}`` pieces, highlighting ``spans``; a long text is cut to a window of
    ``max_chars`` around its first span, with an ellipsis where it was cut."""
    lo, hi = 0, len(text)
    if hi > max_chars:
        anchor = spans[0][0] if spans else 0
        lo = max(0, anchor - max_chars // 3)
        hi = min(len(text), lo + max_chars)
        lo = max(0, hi - max_chars)
    pieces = [{"text": "…", "mark": False}] if lo > 0 else []
    cursor = lo
    for start, end in spans:
        start, end = max(start, lo), min(end, hi)
        if start >= end:
            continue
        if start > cursor:
            pieces.append({"text": text[cursor:start], "mark": False})
        pieces.append({"text": text[start:end], "mark": True})
        cursor = end
    if cursor < hi:
        pieces.append({"text": text[cursor:hi], "mark": False})
    if hi < len(text):
        pieces.append({"text": "…", "mark": False})
    return pieces


def _verbatim(row: dict[str, Any], cell: Cell) -> dict[str, Any]:
    evidence = [ev for topic in row["topics"] or []
                if topic.get("theme") == cell.theme and topic.get("topic") == cell.topic
                for ev in topic.get("evidence") or []]
    return {"occurred_at": row["occurred_at"], "channel": row["channel"], "source": row["source"],
            "segments": segments(row["text"], evidence_spans(row["text"], evidence))}


def _examples(engine: Engine, day: date, cell: Cell) -> list[dict[str, Any]]:
    """A few verbatims of ``cell``, one per distinct text: a copy-pasted complaint is shown once."""
    seen, chosen = set(), []
    for row in example_verbatims(engine, day, cell, EXAMPLES_PER_TOPIC * 5):
        key = " ".join(row["text"].casefold().split())
        if key not in seen:
            seen.add(key)
            chosen.append(_verbatim(row, cell))
        if len(chosen) == EXAMPLES_PER_TOPIC:
            break
    return chosen


def _volume(days: list[date], window: list[dict[str, Any]]) -> dict[str, Any]:
    """The 28-day chart: complaints per day and theme, the biggest themes in colour and the rest as one series."""
    per_theme: dict[str, dict[date, int]] = defaultdict(lambda: defaultdict(int))
    for row in window:
        if row["trend_date"] >= days[0] and row["complaint_count"]:
            per_theme[row["theme"]][row["trend_date"]] += row["complaint_count"]
    ranked = sorted(per_theme, key=lambda t: (-sum(per_theme[t].values()), t))
    shown, rest = ranked[:TOP_THEMES], ranked[TOP_THEMES:]
    series = [charts.Series(label(t), charts.PALETTE[i], [per_theme[t][d] for d in days])
              for i, t in enumerate(shown)]
    if rest:
        series.append(charts.Series(f"Other themes ({len(rest)})", charts.OTHER_COLOR,
                                    [sum(per_theme[t][d] for t in rest) for d in days]))
    title = f"Complaints per day by theme, {days[0]:%d %b} to {days[-1]:%d %b %Y}"
    return {
        "svg": charts.stacked_bars(days, series, title=title, chart_id="volume-chart"),
        "legend": [{"label": s.label, "color": s.color, "total": sum(s.values)} for s in series],
        "table": [{"day": d, "values": [s.values[i] for s in series], "total": sum(s.values[i] for s in series)}
                  for i, d in enumerate(days)],
    }


def _rising(engine: Engine, day: date, rows: list[dict[str, Any]], window: list[dict[str, Any]],
            history: list[date]) -> list[dict[str, Any]]:
    """The trend cells whose complaints rose most above their 28-day baseline, spikes first, with evidence."""
    counts: dict[Cell, dict[date, int]] = defaultdict(dict)
    for row in window:
        cell = Cell(row["theme"], row["topic"], row["journey_stage"], row["channel"])
        counts[cell][row["trend_date"]] = row["complaint_count"]
    candidates = [r for r in rows if r["complaint_count"] > 0 and r["complaint_count"] > _float(
        r["complaint_baseline_28d"])]
    candidates.sort(key=lambda r: (not r["is_spike"], -_float(r["complaint_zscore"]), -r["complaint_count"],
                                   r["theme"], r["topic"], r["journey_stage"], r["channel"]))
    rising = []
    for n, row in enumerate(candidates[:RISING_LIMIT], start=1):
        cell = Cell(row["theme"], row["topic"], row["journey_stage"], row["channel"])
        baseline = _float(row["complaint_baseline_28d"])
        values = [counts[cell].get(d, 0) for d in history]
        title = f"{label(cell.topic)}: daily complaints over 28 days and today; dashed line: 28-day mean {baseline:.1f}"
        rising.append({
            "anchor": f"topic-{n}", "cell": cell, "theme": label(cell.theme), "topic": label(cell.topic),
            "stage": label(cell.journey_stage), "channel": label(cell.channel), "today": row["complaint_count"],
            "items": row["item_count"], "baseline_7d": _float(row["complaint_baseline_7d"]), "baseline_28d": baseline,
            "stddev_28d": _float(row["complaint_stddev_28d"]), "zscore": _float(row["complaint_zscore"]),
            "is_spike": row["is_spike"],
            "spark": charts.sparkline(values, baseline, label=title, spike=row["is_spike"]),
            "examples": _examples(engine, day, cell),
        })
    return rising


def _heatmap(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Complaints of the day per journey stage (rows) and theme (columns); 'unknown' stage last."""
    grid: dict[tuple[str, str], int] = defaultdict(int)
    for row in rows:
        grid[row["journey_stage"], row["theme"]] += row["complaint_count"]
    stage_total: dict[str, int] = defaultdict(int)
    theme_total: dict[str, int] = defaultdict(int)
    for (stage, theme), value in grid.items():
        stage_total[stage] += value
        theme_total[theme] += value
    stages = sorted(stage_total, key=lambda s: (s == "unknown", -stage_total[s], s))
    themes = sorted(theme_total, key=lambda t: (-theme_total[t], t))
    vmax = max(grid.values(), default=0)
    return {
        "themes": [label(t) for t in themes],
        "rows": [{"stage": label(s), "total": stage_total[s],
                  "cells": [{"value": grid[s, t], "colors": charts.heat_color(grid[s, t], vmax)} for t in themes]}
                 for s in stages],
        "totals": [theme_total[t] for t in themes],
        "grand_total": sum(theme_total.values()),
    }


def build_context(engine: Engine, day: date, rows: list[dict[str, Any]], csv_name: str) -> dict[str, Any]:
    """Everything the template shows for ``day``: figures, charts, rising topics with verbatims, heat map."""
    history = [day - timedelta(days=n) for n in range(WINDOW_DAYS, -1, -1)]  # 28 baseline days and the day
    window = window_counts(engine, history[0], day)
    complaints_today = sum(r["complaint_count"] for r in rows)
    before = sum(r["complaint_count"] for r in window if r["trend_date"] < day)
    built_at = max((r["built_at"] for r in rows), default=None)
    return {
        "day": day,
        "utc": UTC,
        "csv_name": csv_name,
        "has_rows": bool(rows),
        "built_at": built_at,
        "taxonomy_versions": sorted({v for r in rows if r["taxonomy_version"]
                                     for v in r["taxonomy_version"].split(",")}),
        "figures": {
            "complaints": complaints_today,
            "average_28d": before / WINDOW_DAYS,
            "items": sum(r["item_count"] for r in rows),
            "spikes": sum(1 for r in rows if r["is_spike"]),
        },
        "volume": _volume(history[1:], window),
        "rising": _rising(engine, day, rows, window, history),
        "heatmap": _heatmap(rows),
        "min_volume": trends.MIN_VOLUME,
        "z_threshold": trends.Z_THRESHOLD,
    }


def _environment() -> Environment:
    # autoescape=True, not select_autoescape(): the template is named *.html.j2, which select_autoescape misses.
    env = Environment(loader=PackageLoader("voc.pipeline.extract", "templates"), autoescape=True,
                      undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)
    env.filters["label"] = label
    return env


def render_html(context: dict[str, Any]) -> str:
    """Render the report page from a ``build_context`` result."""
    return _environment().get_template("report.html.j2").render(**context)


def _csv_value(value: Any) -> Any:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return value.isoformat()
    return value  # numbers stay numbers (Decimal keeps the column's scale), so csvsafe leaves "-0.6" alone


@contextmanager
def _day_lock(parent: Path, name: str) -> Iterator[None]:
    """Serialise extracts of one day in one folder, so two runs never swap folders under each other."""
    with (parent / f".{name}.lock").open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield


def _replace_folder(staged: Path, target: Path) -> None:
    """Put ``staged`` in place of ``target``: readers see the old files or the new ones, never a mix."""
    old = target.with_name(f".{target.name}.old-{uuid.uuid4().hex[:8]}")
    if target.exists():
        os.rename(target, old)
    try:
        os.rename(staged, target)
    except OSError:
        if old.exists():
            os.rename(old, target)
        raise
    shutil.rmtree(old, ignore_errors=True)


def days_needed(engine: Engine, day: date, *, rebuild: bool = False) -> list[date]:
    """Trend days the report of ``day`` needs built: those of the day and the 28 before it not built yet,
    or all of them with ``rebuild``."""
    first = day - timedelta(days=WINDOW_DAYS)
    if rebuild:
        return [first + timedelta(days=n) for n in range(WINDOW_DAYS + 1)]
    return days_to_build(engine, first, day)


def write_extract(engine: Engine, day: date, out: Path, *, rebuild: bool = False) -> ExtractResult:
    """Write ``<out>/complaint_trends/<day>/`` (CSV of the day's trend rows and ``report.html``), replacing it.

    Trend days the report needs (``days_needed``) are built first; ``rebuild`` rebuilds all of them.
    """
    to_build = days_needed(engine, day, rebuild=rebuild)
    for built in to_build:
        trends.build_day(engine, built)

    rows = day_rows(engine, day)
    csv_name = f"complaint_trends_{day.isoformat()}.csv"
    html = render_html(build_context(engine, day, rows, csv_name))

    parent = Path(out) / "complaint_trends"
    parent.mkdir(parents=True, exist_ok=True)
    target = parent / day.isoformat()
    with _day_lock(parent, day.isoformat()):
        for leftover in parent.glob(f".{day.isoformat()}.*-*"):  # from a run that was killed mid-way
            shutil.rmtree(leftover, ignore_errors=True)
        staged = parent / f".{day.isoformat()}.tmp-{uuid.uuid4().hex[:8]}"
        staged.mkdir()
        try:
            csvsafe.write_csv(staged / csv_name, TREND_COLUMNS,
                              ({c: _csv_value(r[c]) for c in TREND_COLUMNS} for r in rows))
            (staged / "report.html").write_text(html, encoding="utf-8")
            _replace_folder(staged, target)
        finally:
            shutil.rmtree(staged, ignore_errors=True)
    return ExtractResult(day, target, target / csv_name, target / "report.html", len(rows),
                         sum(1 for r in rows if r["is_spike"]), to_build)
