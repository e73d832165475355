"""Readable summaries of what the warehouse holds (for ``voc demo`` and ``voc status``)."""

from __future__ import annotations

from sqlalchemy import Engine, text

from voc.pipeline.publish import layer_counts


def sentiment_mix(engine: Engine) -> dict[str, int]:
    """Return {label: items} over ``mart.customer_story`` (``no text`` for score-only items)."""
    with engine.connect() as conn:
        rows = conn.execute(text(
            "SELECT COALESCE(sentiment_label, 'no text'), count(*) FROM mart.customer_story GROUP BY 1 ORDER BY 1"
        ))
        return {label: n for label, n in rows}


def quarantine_reasons(engine: Engine) -> list[tuple[str, int, str, str]]:
    """Return (source, rejected records, location, reason) per source, with its most recent rejection."""
    with engine.connect() as conn:
        rows = conn.execute(text(
            "SELECT DISTINCT ON (source) source, count(*) OVER (PARTITION BY source), location, reason"
            " FROM raw.quarantine ORDER BY source, quarantine_id DESC"
        ))
        return [tuple(r) for r in rows]


def story_rows(engine: Engine, limit: int = 5) -> list[dict]:
    """Return a few story rows with text, newest first."""
    with engine.connect() as conn:
        rows = conn.execute(text(
            "SELECT occurred_at, customer_key, channel, survey_type, nps, csat, ces, sentiment_label, text"
            " FROM mart.customer_story WHERE text IS NOT NULL ORDER BY occurred_at DESC, item_id LIMIT :n"
        ), {"n": limit})
        return [dict(r._mapping) for r in rows]


def one_customer(engine: Engine, limit: int = 8) -> list[dict]:
    """Return the timeline of the identified customer heard on the most channels (ties: most items)."""
    with engine.connect() as conn:
        rows = conn.execute(text("""
            SELECT t.customer_key, t.occurred_at, t.channel, t.sentiment_label, t.journey_stage, t.text
            FROM mart.customer_timeline t
            WHERE t.customer_key = (SELECT customer_key FROM mart.customer_health
                                    ORDER BY channel_count DESC, item_count DESC, customer_key LIMIT 1)
            ORDER BY t.item_seq LIMIT :n
        """), {"n": limit})
        return [dict(r._mapping) for r in rows]


def render(engine: Engine) -> str:
    """Return a plain-text summary of the three layers, the sentiment mix and a few story rows."""
    lines = ["Rows per layer:"]
    for name, n in layer_counts(engine).items():
        lines.append(f"  {name:<28} {n:>7,}")
    mix = sentiment_mix(engine)
    total = sum(mix.values()) or 1
    lines.append("Sentiment mix (mart.customer_story):")
    for label, n in mix.items():
        lines.append(f"  {label:<10} {n:>6,}  {100 * n / total:5.1f}%")
    reasons = quarantine_reasons(engine)
    if reasons:
        lines.append("Quarantined (records per source, latest reason; all in raw.quarantine):")
        for source, n, location, reason in reasons:
            lines.append(f"  {source:<16} {n:>4}  {location}: {reason}")
    timeline = one_customer(engine)
    if timeline:
        lines.append(f"One customer across channels ({timeline[0]['customer_key']}, mart.customer_timeline):")
        for row in timeline:
            words = (row["text"] or "(score only)").replace("\n", " ")
            words = words if len(words) <= 60 else words[:57] + "..."
            lines.append(f"  {row['occurred_at']:%Y-%m-%d %H:%M} {row['channel']:<7} {row['sentiment_label'] or '-':<8}"
                         f" {row['journey_stage']:<9} {words}")
    lines.append("A few story rows:")
    for row in story_rows(engine):
        score = next((f"{k}={row[k]}" for k in ("nps", "csat", "ces") if row[k] is not None), "")
        snippet = row["text"] if len(row["text"]) <= 70 else row["text"][:67] + "..."
        lines.append(f"  {row['occurred_at']:%Y-%m-%d} {row['customer_key'] or '-':<20} {score:<7}"
                     f" {row['sentiment_label']:<8} {snippet}")
    return "\n".join(lines)
