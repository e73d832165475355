"""The SQL the gates validate: one query per subject, run by Great Expectations inside PostgreSQL.

Each query is a Great Expectations query asset: every expectation becomes an aggregate over it, so a
check costs a few scans of one batch's rows in the database and no Python work per row.
"""

from __future__ import annotations

from datetime import date, datetime

# A quarantined record's reason names the field that broke ("nps: 11 is greater than the maximum of
# 10"); several reasons are joined by "; ". The batch rows keep the category and an out-of-scale value.
_REASON_FIELD = "(^|; )"
REJECTED_FOR = f"""
    CASE
        WHEN q.reason ~ '{_REASON_FIELD}(id|response_id|message_id|source_item_key|item_id): '
          OR q.reason ~ '{_REASON_FIELD}comments: .* has no id' THEN 'id'
        WHEN q.reason ~ '{_REASON_FIELD}occurred_at: ' THEN 'occurred_at'
        WHEN q.reason ~ '{_REASON_FIELD}(text: |no text and no score)' THEN 'text'
        WHEN q.reason ~ '{_REASON_FIELD}(nps|csat|ces|rating): ' THEN 'score'
        ELSE 'record'
    END"""


def _rejected_score(field: str) -> str:
    # no "(?:" groups: Great Expectations runs the query through SQLAlchemy text(), where ":name" is a parameter
    return f"(regexp_match(q.reason, '(^|; ){field}: (-?[0-9]+([.][0-9]+)?) is (greater|less) than'))[2]::numeric"


def batch_rows_query(load_id: int) -> str:
    """One row per staged item and per record the batch quarantined, each with the batch's counts.

    Items carry their fields; quarantined records carry their reason, what it was about
    (``rejected_for``: id, occurred_at, text, score, record) and an out-of-scale score it names.
    ``text_length`` is 0 for a record rejected for having no text. A batch with no rows yields one
    row of nulls, so the batch-level checks still see its counts.
    """
    load = int(load_id)
    return f"""SELECT * FROM (
WITH batch AS (
    SELECT load_id, read_count, duplicate_count::float8 / NULLIF(read_count, 0) AS duplicate_share
    FROM raw.load_batch WHERE load_id = {load}
),
items AS (
    SELECT s.item_id::text AS item_id, s.occurred_at, s.nps::numeric AS nps, s.csat::numeric AS csat,
           s.ces::numeric AS ces, s.rating::numeric AS rating, length(btrim(s.text)) AS text_length,
           s.language, NULL::text AS reject_reason, ''::text AS rejected_for
    FROM raw.staged_item AS s WHERE s.load_id = {load}
),
rejects AS (
    SELECT NULL::text, NULL::timestamptz, {_rejected_score("nps")}, {_rejected_score("csat")},
           {_rejected_score("ces")}, {_rejected_score("rating")},
           CASE WHEN {REJECTED_FOR.strip()} = 'text' THEN 0 END, NULL::text, q.reason, {REJECTED_FOR.strip()}
    FROM raw.quarantine AS q WHERE q.load_id = {load}
),
batch_rows AS (
    SELECT * FROM items UNION ALL SELECT * FROM rejects
)
SELECT batch_rows.*, batch.read_count, batch.duplicate_share
FROM batch LEFT JOIN batch_rows ON true
) AS batch_rows
"""


# Mirrors voc.nlp.redact: an address, or a run of 9-15 digits with phone separators. Exact dates (8
# digits) are left alone by redaction, so 9 digits is the least a leaked phone number can have here.
EMAIL_PATTERN = r"[[:alnum:]_.+-]+@[[:alnum:]_-]+(\.[[:alnum:]_-]+)+"
PHONE_PATTERN = r"(^|[^[:alnum:]_/.-])\+?\(?[0-9]([[:space:]().-]{0,2}[0-9]){8,14}($|[^[:alnum:]_/-])"


def core_items_query(since: datetime | None = None) -> str:
    """One row per core item (loaded or enriched since ``since``, or all) with its enrichment and title."""
    where = ""
    if since is not None:
        stamp = since.isoformat()
        where = f"WHERE f.loaded_at >= '{stamp}'::timestamptz OR e.enriched_at >= '{stamp}'::timestamptz"
    return f"""SELECT
    f.item_id::text AS item_id,
    f.source,
    f.text,
    c.title,
    CASE
        WHEN e.item_id IS NULL THEN 'not enriched'
        WHEN e.sentiment_label IS NOT NULL THEN 'scored'
        WHEN f.text IS NULL THEN 'score only'
        WHEN btrim(f.text) = '' THEN 'no words'
        WHEN e.language IS NOT NULL AND e.language <> 'en' THEN 'language without lexicon'
        ELSE 'missing'
    END AS sentiment_state,
    e.stage_reason,
    e.nlp_version,
    e.taxonomy_version,
    e.enriched_at
FROM core.feedback_item AS f
LEFT JOIN core.enrichment AS e ON e.item_id = f.item_id
LEFT JOIN core.item_context AS c ON c.item_id = f.item_id
{where}
"""


def trend_day_query(day: date) -> str:
    """The rows of ``mart.complaint_trend_daily`` for one day."""
    return f"SELECT * FROM mart.complaint_trend_daily WHERE trend_date = '{day.isoformat()}'::date"
