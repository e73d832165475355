"""Inline SVG charts for the HTML report, drawn in plain Python so the page needs nothing from the network.

Every text and attribute value goes through ``markupsafe.escape``; the functions return ``Markup``
that the template inserts as is.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from markupsafe import Markup, escape

# Tableau 10: distinct for the common colour-vision deficiencies; grey is kept for "other".
PALETTE = ("#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7", "#9c755f")
OTHER_COLOR = "#bab0ac"
# ColorBrewer "Reds": a sequential scale that still reads when printed in grey.
HEAT_STOPS = ("#fee5d9", "#fcae91", "#fb6a4a", "#de2d26", "#a50f15")
ZERO_COLOR = "#f4f5f7"


@dataclass(frozen=True)
class Series:
    """One stacked series: a label, its colour and one value per day."""

    label: str
    color: str
    values: Sequence[int]


def el(tag: str, *children: str | Markup, **attrs: object) -> Markup:
    """Return an SVG element; ``attrs`` named ``data_x``/``class_`` become ``data-x``/``class``; None is left out."""
    parts = [tag]
    for key, value in attrs.items():
        if value is not None:
            parts.append(f'{key.rstrip("_").replace("_", "-")}="{escape(value)}"')
    inner = Markup("").join(child if isinstance(child, Markup) else escape(child) for child in children)
    return Markup(f"<{' '.join(parts)}>{inner}</{tag}>")


def _n(value: float) -> str:
    """Format a coordinate compactly (no trailing zeros)."""
    return f"{value:.1f}".rstrip("0").rstrip(".")


def nice_scale(value: float, ticks: int = 4) -> tuple[int, int]:
    """Return (top, step) of a y axis for counts up to ``value``: steps of 1, 2 or 5 x 10^k, about ``ticks`` of them."""
    raw = max(value, 1) / ticks
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 5, 10) if m * magnitude >= raw)
    step = max(1, int(step))
    return max(step, math.ceil(value / step) * step), step


def stacked_bars(days: Sequence[date], series: Sequence[Series], *, title: str, chart_id: str,
                 width: int = 960, height: int = 300) -> Markup:
    """A stacked bar chart of daily values per series, the last day highlighted; each bar segment carries
    ``data-series``, ``data-date`` and ``data-value`` and a tooltip."""
    left, right, top, bottom = 44, 12, 22, 34
    plot_w, plot_h = width - left - right, height - top - bottom
    totals = [sum(s.values[i] for s in series) for i in range(len(days))]
    y_top, step = nice_scale(max(totals, default=0))
    band = plot_w / max(len(days), 1)
    bar = band * 0.72

    def y(value: float) -> float:
        return top + plot_h * (1 - value / y_top)

    shapes: list[Markup] = []
    if days:  # the report day stands out behind its bar
        shapes.append(el("rect", x=_n(left + band * (len(days) - 1)), y=_n(top - 18), width=_n(band),
                         height=_n(plot_h + 18), fill="#fff3e0", class_="today"))
    for tick in range(0, y_top + 1, step):
        shapes.append(el("line", x1=left, x2=width - right, y1=_n(y(tick)), y2=_n(y(tick)),
                         stroke="#d9dde3" if tick else "#8a94a3", stroke_width=1))
        shapes.append(el("text", str(tick), x=left - 6, y=_n(y(tick) + 4), text_anchor="end", class_="tick"))
    for i, day in enumerate(days):
        x = left + band * i + (band - bar) / 2
        base = 0
        for s in series:
            value = s.values[i]
            if not value:
                continue
            shapes.append(el(
                "rect", el("title", f"{day:%a %d %b}: {s.label}, {value} complaint{'s' if value != 1 else ''}"),
                x=_n(x), y=_n(y(base + value)), width=_n(bar), height=_n(plot_h * value / y_top), fill=s.color,
                data_series=s.label, data_date=day.isoformat(), data_value=value,
            ))
            base += value
        last = i == len(days) - 1
        if last or (len(days) - 1 - i) % 7 == 0:
            shapes.append(el("text", f"{day:%d %b}", x=_n(left + band * (i + 0.5)), y=height - bottom + 18,
                             text_anchor="middle", class_="tick today-label" if last else "tick"))
        if last:
            shapes.append(el("text", str(totals[i]), x=_n(left + band * (i + 0.5)), y=_n(y(totals[i]) - 5),
                             text_anchor="middle", class_="total"))
    if not any(totals):
        shapes.append(el("text", "No complaints in these days", x=_n(left + plot_w / 2), y=_n(top + plot_h / 2),
                         text_anchor="middle", class_="empty"))
    return el("svg", el("title", title), *shapes, id=chart_id, class_="chart", viewBox=f"0 0 {width} {height}",
              width="100%", role="img", aria_label=title, xmlns="http://www.w3.org/2000/svg")


def sparkline(values: Sequence[int], baseline: float, *, label: str, spike: bool,
              width: int = 150, height: int = 36) -> Markup:
    """Daily values as small bars, the last one (the report day) coloured, the baseline as a dashed line."""
    pad = 2
    y_top = max(max(values, default=0), baseline, 1)
    band = (width - 2 * pad) / max(len(values), 1)
    shapes: list[Markup] = []
    for i, value in enumerate(values):
        h = (height - 2 * pad) * value / y_top
        last = i == len(values) - 1
        color = ("#c62828" if spike else "#f28e2b") if last else "#b8c0cc"
        shapes.append(el("rect", x=_n(pad + band * i + band * 0.1), y=_n(height - pad - h), width=_n(band * 0.8),
                         height=_n(max(h, 0.5 if value else 0)), fill=color, data_value=value))
    base_y = height - pad - (height - 2 * pad) * baseline / y_top
    shapes.append(el("line", x1=pad, x2=width - pad, y1=_n(base_y), y2=_n(base_y), stroke="#1f2933",
                     stroke_width=1, stroke_dasharray="3 2", class_="baseline"))
    return el("svg", el("title", label), *shapes, class_="spark", viewBox=f"0 0 {width} {height}", width=width,
              height=height, role="img", aria_label=label, xmlns="http://www.w3.org/2000/svg")


def _mix(a: str, b: str, t: float) -> str:
    ca = [int(a[i:i + 2], 16) for i in (1, 3, 5)]
    cb = [int(b[i:i + 2], 16) for i in (1, 3, 5)]
    return "#" + "".join(f"{round(x + (y - x) * t):02x}" for x, y in zip(ca, cb, strict=True))


def heat_color(value: float, vmax: float) -> tuple[str, str]:
    """Background and text colour of a heat-map cell holding ``value`` on a scale up to ``vmax``."""
    if value <= 0 or vmax <= 0:
        return ZERO_COLOR, "#8a94a3"
    t = min(value / vmax, 1.0) * (len(HEAT_STOPS) - 1)
    lower = min(int(t), len(HEAT_STOPS) - 2)
    background = _mix(HEAT_STOPS[lower], HEAT_STOPS[lower + 1], t - lower)
    return background, "#ffffff" if t > 2.2 else "#1f2933"
