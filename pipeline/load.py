"""Load records into the warehouse: raw as it arrived, rejects to quarantine, valid items staged, then to core.

One input (a file, an API page, an IMAP batch) is one batch. Its records, rejects, staged items and the
source state that says it was read are stored in one transaction: a crash leaves nothing half-loaded and
never moves a cursor past unstored rows, and a re-run stores only what is new. Loading the same input
twice changes no table. The quality gate (``voc.pipeline.quality``) then judges the staged batch in the
database and publishes its items to core in a second transaction, or holds them in raw with the reason.
A batch whose load stopped between the two stays ``pending`` until the next run of its source (or
``voc quality check --all-pending``) judges it.
"""

from __future__ import annotations

import codecs
import functools
import gc
import hashlib
import json
import re
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from functools import cache
from itertools import islice
from pathlib import Path

from psycopg2.extras import Json, execute_values
from sqlalchemy import Engine

from voc.nlp.redact import redact
from voc.pipeline.connectors.base import RecordError, SourceRecord
from voc.pipeline.copy_merge import copy_merge, copy_rows
from voc.pipeline.db.transaction import raw_transaction
from voc.pipeline.identity import customer_key, protect
from voc.schemas import CONTRACT_VERSION, item_id, load_contract, validate_item

CHUNK = 2_000
MAX_RECORD_BYTES = 1_000_000  # one record as JSON; larger ones are quarantined, not loaded
MAX_TEXT_CHARS = 50_000  # one item's text
# What happens to a record over MAX_RECORD_BYTES or a text over MAX_TEXT_CHARS: quarantined whole (the default), or
# kept with its text cut to MAX_TEXT_CHARS and flagged ``is_truncated`` (the record as read stays in raw.record).
OVERSIZE_POLICIES = ("quarantine", "truncate")
MAX_TRUNCATED_RECORD_BYTES = 64 * 1024 * 1024  # larger records are quarantined under either policy
CONTEXT_KEYS = ("thread_key", "parent_key", "title", "product", "attachments", "attributes")

StateArg = Mapping[str, object] | Callable[[], Mapping[str, object]] | None


@dataclass
class LoadReport:
    """Counts of one load. Every record read is loaded, a duplicate, or quarantined."""

    source: str
    location: str
    read: int = 0
    loaded: int = 0
    duplicate: int = 0
    quarantined: int = 0
    items: int = 0
    truncated: int = 0  # items stored with their text cut to the limit (oversize policy "truncate")
    load_id: int | None = None
    skipped: bool = False  # the input's fingerprint was already stored: not read again
    status: str | None = None  # published | held (by the quality gate); None when nothing new was stored
    held_reason: str | None = None
    warnings: list[str] = field(default_factory=list)  # warning-level quality checks that failed
    quality_seconds: float | None = None  # time the quality gate took to validate the batch

    def as_dict(self) -> dict:
        return asdict(self)

    def __str__(self) -> str:
        if self.skipped:
            return f"{self.location}: unchanged since the last load, skipped"
        text = (f"{self.location}: read {self.read}, loaded {self.loaded}, duplicate {self.duplicate}, "
                f"quarantined {self.quarantined} ({self.items} items"
                + (f", {self.truncated} truncated to {MAX_TEXT_CHARS:,} characters)" if self.truncated else ")"))
        if self.status == "held":
            return f"{text}; HELD by the quality gate as load {self.load_id}: {self.held_reason}"
        if self.warnings:
            return f"{text}; {len(self.warnings)} quality warning(s): " + "; ".join(self.warnings)
        return text


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _chunks(records: Iterable[SourceRecord], size: int) -> Iterator[list[SourceRecord]]:
    it = iter(records)
    while chunk := list(islice(it, size)):
        yield chunk


# json.dumps(value, ensure_ascii=False[, default=str]) builds a new encoder for every call when given options; these
# are the encoders it would build (stateless between calls), made once: the same text, 1 us less a call
_TEXT_JSON = json.JSONEncoder(ensure_ascii=False, default=str)
_PLAIN_JSON = json.JSONEncoder(ensure_ascii=False)


def _payload_json(record: SourceRecord) -> str:
    if isinstance(record.payload, str):
        return record.payload
    return _TEXT_JSON.encode(record.payload)


def _storable(text: str) -> str:
    """Return ``text`` safe for a PostgreSQL text column: NUL and lone surrogates written as escapes."""
    return text.encode("utf-8", "backslashreplace").decode("utf-8").replace("\x00", "\\x00")


def _original(record: SourceRecord) -> bytes:
    if record.original is not None:
        return record.original
    return _payload_json(record).encode("utf-8", "voc-original" if _has_surrogates(record) else "strict")


def _as_read(error: UnicodeEncodeError) -> tuple[bytes, int]:
    """Encode error handler for ``_original``: a surrogate that stands for an undecodable byte
    (surrogateescape, U+DC80-U+DCFF) becomes that byte again; any other lone surrogate (a JSON ``\\ud800``
    escape) is kept as its three surrogatepass bytes, so the quarantine holds the record, not an error."""
    out = bytearray()
    for char in error.object[error.start:error.end]:
        code = ord(char)
        out += bytes([code - 0xDC00]) if 0xDC80 <= code <= 0xDCFF else char.encode("utf-8", "surrogatepass")
    return bytes(out), error.end


codecs.register_error("voc-original", _as_read)


def _has_surrogates(record: SourceRecord) -> bool:
    try:
        _payload_json(record).encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def _strings(value) -> Iterator[str]:
    """Yield every string (keys included) of a JSON value, iteratively: hostile nesting must not recurse."""
    stack = [value]
    while stack:
        current = stack.pop()
        if isinstance(current, str):
            yield current
        elif isinstance(current, dict):
            stack.extend(str(k) for k in current)
            stack.extend(current.values())
        elif isinstance(current, list | tuple):
            stack.extend(current)


def check_record(record: SourceRecord, max_bytes: int = MAX_RECORD_BYTES) -> str | None:
    """Return why PostgreSQL could not store the record as it is (NUL, undecodable text, size), or None."""
    return _checked_body(record, max_bytes)[0]


def _checked_body(record: SourceRecord, max_bytes: int) -> tuple[str | None, str]:
    """Return (``check_record``'s reason or None, the payload as JSON text); the loader stores that text."""
    body = _payload_json(record)
    # json.dumps writes a NUL inside any string (keys too) as the escape \u0000: without that escape in the
    # text no string of the payload holds one, and the walk over every string is not needed
    if "\x00" in body or ("\\u0000" in body and any("\x00" in s for s in _strings(record.payload))):
        return "contains NUL characters (U+0000), which PostgreSQL cannot store in text", body
    try:
        size = len(body.encode("utf-8"))
    except UnicodeEncodeError as exc:
        if not 0xDC80 <= ord(body[exc.start]) <= 0xDCFF:  # not a byte the reader could not decode
            return f"invalid Unicode: lone surrogate U+{ord(body[exc.start]):04X} at character {exc.start}", body
        return f"not valid UTF-8: undecodable byte(s) at character {exc.start}", body
    if size > max_bytes:
        return f"oversize record: {size:,} bytes, the limit is {max_bytes:,}", body
    return None, body


@cache
def _contract_facts() -> dict:
    """What the fast contract check reads from the contract itself, so the two cannot drift apart."""
    from jsonschema import FormatChecker

    schema = load_contract()
    props = schema["properties"]
    return {
        "required": frozenset(schema["required"]),
        "allowed": frozenset(props),
        "channels": frozenset(props["channel"]["enum"]),
        "id_kinds": frozenset(props["customer_ids"]["propertyNames"]["enum"]),
        "occurred_at": re.compile(props["occurred_at"]["pattern"]),
        "language": re.compile(props["language"]["pattern"]),
        "source_max": props["source"]["maxLength"],
        "ranges": {k: (props[k]["minimum"], props[k]["maximum"]) for k in ("nps", "csat", "ces", "rating")},
        "formats": FormatChecker(),
    }


_OPTIONAL_TEXT = ("question", "survey_id", "survey_type")
# a canonical UUID string: a strict subset of what the contract's "uuid" format accepts, checked far faster
_CANONICAL_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def surely_valid(item: dict) -> bool:
    """True only when ``item`` certainly meets the contract: a fast path for the common item.

    jsonschema's full validation costs about 0.4 ms an item, more than the rest of the load; this
    checks the plain case (text present, exact types) in a few microseconds. False means "not sure",
    never "invalid": the caller then asks ``validate_item`` for the reasons.
    """
    facts = _contract_facts()
    keys = item.keys()
    if not facts["required"] <= keys or not keys <= facts["allowed"]:
        return False
    text, source, occurred = item["text"], item["source"], item["occurred_at"]
    if not (type(text) is str and text and type(source) is str and 0 < len(source) <= facts["source_max"]
            and type(item["source_item_key"]) is str and item["source_item_key"]
            and type(item["raw_ref"]) is str and item["raw_ref"]
            and type(item["channel"]) is str and item["channel"] in facts["channels"]
            and type(item["aided"]) is bool and type(occurred) is str and facts["occurred_at"].search(occurred)
            and type(item["item_id"]) is str and _CANONICAL_UUID.fullmatch(item["item_id"])
            and facts["formats"].conforms(occurred, "date-time")):
        return False
    ids = item["customer_ids"]
    if type(ids) is not dict or not all(type(k) is str and k in facts["id_kinds"] and type(v) is str and v
                                        for k, v in ids.items()):
        return False
    for key in _OPTIONAL_TEXT:
        if item.get(key) is not None and type(item[key]) is not str:
            return False
    for key, (low, high) in facts["ranges"].items():
        value = item.get(key)
        if value is not None and not ((type(value) is int or (key == "rating" and type(value) is float))
                                      and low <= value <= high):
            return False
    language = item.get("language")
    return language is None or (type(language) is str and facts["language"].search(language) is not None)


def content_hash(item: dict, key: str | None) -> str | None:
    """Return the content identity of an item: same channel, customer, second, question and text."""
    if not item.get("text") or not key:
        return None
    when = datetime.fromisoformat(item["occurred_at"]).astimezone(UTC).replace(microsecond=0).isoformat()
    words = " ".join(item["text"].split()).casefold()
    body = _PLAIN_JSON.encode([item["channel"], key, when, item.get("question"), words])
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


def read_state(engine: Engine, source: str, prefix: str = "") -> dict[str, object]:
    """Return the stored state of a source (``raw.source_state``), by state key, optionally by key prefix."""
    with raw_transaction(engine) as raw_conn:
        with raw_conn.cursor() as cur:
            cur.execute("SELECT state_key, value FROM raw.source_state WHERE source = %s AND state_key LIKE %s",
                        (source, prefix.replace("%", r"\%").replace("_", r"\_") + "%"))
            return dict(cur.fetchall())


def _old_objects_left_out_of_collections(func):
    """Run ``func`` with the objects alive before it (imported modules: Great Expectations, SQLAlchemy, ...; some
    300,000) frozen out of the cyclic garbage collector's passes, and put back when it returns.

    A load allocates a few dicts per record; every so often that makes the collector walk every object of the
    process, about 0.17 CPU-s each time with Great Expectations imported (one to two such passes a file of
    15,000 records, about ten percent of the loader's CPU). The frozen objects are still freed when nothing
    refers to them; only their cycles wait for a pass after the load. Nothing is frozen when someone else
    already froze objects (``gc.get_freeze_count()``), so a caller's own freeze is left as it is.
    """
    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        if gc.get_freeze_count():
            return func(*args, **kwargs)
        gc.freeze()
        try:
            return func(*args, **kwargs)
        finally:
            gc.unfreeze()
    return wrapper


@_old_objects_left_out_of_collections
def load_records(
    engine: Engine,
    *,
    source: str,
    kind: str,
    location: str,
    content_sha256: str,
    records: Iterable[SourceRecord],
    to_items: Callable[[SourceRecord], list[dict]],
    state: StateArg = None,
    max_record_bytes: int = MAX_RECORD_BYTES,
    whole_input: bool = False,
    gate=None,
    oversize: str = "quarantine",
) -> LoadReport:
    """Store one input's records and the source state that covers them, gate the batch; return its counts.

    Writes ``raw.load_batch`` (one row, only if something new was stored), ``raw.record`` (new
    records), ``raw.quarantine`` (rejected records with reasons and original bytes), ``raw.staged_item``
    and ``raw.staged_repost`` (the batch's items, redacted) and ``raw.source_state`` (``state``: a
    mapping, or a callable called once every record was read, e.g. the cursor after the last page).
    Then the quality gate (``gate``, a ``QualityGate``; default: one for this call) validates the batch
    and publishes its items to ``core.feedback_item`` (a changed item is updated and queued for
    re-enrichment), ``core.item_context`` and ``core.repost``, or holds it and raises ``BatchesHeld``.
    ``whole_input``: the input is a whole file or export, whose size is compared with the source's
    recent whole inputs (not an API page or a replay). ``oversize``: one of ``OVERSIZE_POLICIES``.
    """
    if oversize not in OVERSIZE_POLICIES:
        raise ValueError(f"oversize policy must be one of {', '.join(OVERSIZE_POLICIES)}, got {oversize!r}")
    report = LoadReport(source=source, location=location)
    with raw_transaction(engine) as raw_conn:
        with raw_conn.cursor() as cur:
            # One loader per source at a time; others wait rather than interleave.
            cur.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", (f"voc-load:{source}",))
            cur.execute(
                "INSERT INTO raw.load_batch (source, kind, location, content_sha256, status, is_whole_input)"
                " VALUES (%s, %s, %s, %s, 'pending', %s) RETURNING load_id",
                (source, kind, location, content_sha256, whole_input),
            )
            load_id = cur.fetchone()[0]
            stored_anything = False
            ctx = _Chunk(cur, load_id, source, kind, to_items, report, max_record_bytes, oversize=oversize)
            for chunk in _chunks(records, CHUNK):
                stored_anything |= ctx.load(chunk)
            if stored_anything:
                cur.execute(
                    "UPDATE raw.load_batch SET finished_at = clock_timestamp(), read_count = %s, loaded_count = %s,"
                    " duplicate_count = %s, quarantined_count = %s, item_count = %s, language_counts = %s,"
                    " truncated_count = %s WHERE load_id = %s",
                    (report.read, report.loaded, report.duplicate, report.quarantined, ctx.staged,
                     Json(dict(ctx.languages)), report.truncated, load_id),
                )
                report.load_id = load_id
            else:  # nothing new: leave no trace, so loading an input twice changes no table
                cur.execute("DELETE FROM raw.load_batch WHERE load_id = %s", (load_id,))
            values = state() if callable(state) else state
            if values:
                write_state(cur, source, values)
    if report.load_id is not None:
        _judge(engine, report, gate)
    return report


def _judge(engine: Engine, report: LoadReport, gate) -> None:
    """Run the quality gate on the stored batch; fill the report; raise ``BatchesHeld`` if it was held."""
    from voc.pipeline.quality.errors import BatchesHeld
    from voc.pipeline.quality.gate import QualityGate

    owned = gate is None
    gate = gate or QualityGate(engine)
    try:
        verdict = gate.judge(report.load_id)
    finally:
        if owned:
            gate.close()
    report.status, report.held_reason, report.warnings = verdict.status, verdict.reason, verdict.warnings
    report.items, report.quality_seconds = verdict.items, round(verdict.seconds, 3)
    if verdict.status == "held":
        raise BatchesHeld([verdict.held()], [report])


STAGED_COLUMNS = (
    "load_id", "record_id", "item_id", "source", "source_item_key", "channel", "is_aided", "occurred_at",
    "customer_key", "customer_ids", "survey_id", "survey_type", "question", "text", "nps", "csat", "ces", "rating",
    "language", "contract_version", "content_hash", "context", "is_truncated",
)
ITEM_COLUMNS = ("item_id", "source", "source_item_key", "channel", "is_aided", "occurred_at", "customer_key",
                "customer_ids", "survey_id", "survey_type", "question", "text", "nps", "csat", "ces", "rating",
                "language", "contract_version", "record_id", "load_id", "content_hash", "is_truncated")

# The batch's items as core will hold them: the latest record of each id, and of items with the same content
# the first in the input (an earlier chunk of the same input may hold one under another id), never an item
# whose content core already holds under another id.
PUBLISH_SQL = f"""
DROP TABLE IF EXISTS pg_temp.publish_item;
CREATE TEMP TABLE publish_item ON COMMIT DROP AS
WITH latest AS (
    SELECT DISTINCT ON (item_id) * FROM raw.staged_item WHERE load_id = %(load)s ORDER BY item_id, record_id DESC
),
ranked AS (
    SELECT latest.*, row_number() OVER (PARTITION BY content_hash ORDER BY record_id, item_id) AS content_rank
    FROM latest
)
SELECT * FROM ranked
WHERE (content_hash IS NULL OR content_rank = 1)
  AND NOT EXISTS (SELECT 1 FROM core.feedback_item AS c
                  WHERE c.content_hash = ranked.content_hash AND c.item_id <> ranked.item_id);

WITH changed AS (
    INSERT INTO core.feedback_item ({", ".join(ITEM_COLUMNS)})
    SELECT {", ".join(ITEM_COLUMNS)} FROM publish_item
    ON CONFLICT (item_id) DO UPDATE SET
        occurred_at = EXCLUDED.occurred_at, customer_key = EXCLUDED.customer_key,
        customer_ids = EXCLUDED.customer_ids, survey_id = EXCLUDED.survey_id,
        survey_type = EXCLUDED.survey_type, text = EXCLUDED.text, nps = EXCLUDED.nps,
        csat = EXCLUDED.csat, ces = EXCLUDED.ces, rating = EXCLUDED.rating,
        language = EXCLUDED.language, contract_version = EXCLUDED.contract_version,
        record_id = EXCLUDED.record_id, load_id = EXCLUDED.load_id, loaded_at = now(),
        content_hash = EXCLUDED.content_hash, is_truncated = EXCLUDED.is_truncated
    -- a batch released late never overwrites a newer version of the item
    WHERE core.feedback_item.load_id < EXCLUDED.load_id
      AND (core.feedback_item.occurred_at, core.feedback_item.customer_ids, core.feedback_item.text,
           core.feedback_item.nps, core.feedback_item.csat, core.feedback_item.ces,
           core.feedback_item.rating, core.feedback_item.language, core.feedback_item.survey_id,
           core.feedback_item.survey_type)
          IS DISTINCT FROM (EXCLUDED.occurred_at, EXCLUDED.customer_ids, EXCLUDED.text, EXCLUDED.nps,
           EXCLUDED.csat, EXCLUDED.ces, EXCLUDED.rating, EXCLUDED.language, EXCLUDED.survey_id,
           EXCLUDED.survey_type)
    RETURNING item_id, (xmax = 0) AS inserted
),
stale AS (  -- a corrected item: its old tags no longer describe it
    DELETE FROM core.enrichment AS e USING changed WHERE e.item_id = changed.item_id AND NOT changed.inserted
)
SELECT count(*) FROM changed;
"""

PUBLISH_CONTEXT_SQL = """
INSERT INTO core.item_context (item_id, thread_key, parent_key, title, product, attachments, attributes)
SELECT p.item_id, p.context ->> 'thread_key', p.context ->> 'parent_key', p.context ->> 'title',
       p.context ->> 'product', COALESCE(p.context -> 'attachments', '[]'::jsonb),
       COALESCE(p.context -> 'attributes', '{}'::jsonb)
FROM publish_item AS p
JOIN core.feedback_item AS f ON f.item_id = p.item_id AND f.load_id <= p.load_id
WHERE p.context IS NOT NULL
ON CONFLICT (item_id) DO UPDATE SET thread_key = EXCLUDED.thread_key, parent_key = EXCLUDED.parent_key,
    title = EXCLUDED.title, product = EXCLUDED.product, attachments = EXCLUDED.attachments,
    attributes = EXCLUDED.attributes
"""

PUBLISH_REPOSTS_SQL = """
INSERT INTO core.repost (source, repost_key, original_key, original_item_id, reposted_at, customer_key, record_id,
    load_id)
SELECT source, repost_key, original_key, original_item_id, reposted_at, customer_key, record_id, load_id
FROM raw.staged_repost WHERE load_id = %(load)s
ON CONFLICT (source, repost_key) DO NOTHING
"""


def publish_staged(cur, load_id: int) -> int:
    """Copy a batch's staged items, contexts and reposts to core inside the caller's transaction.

    Reads ``raw.staged_item`` and ``raw.staged_repost``; writes ``core.feedback_item`` (insert, or update a
    changed item and drop its stale enrichment), ``core.item_context`` and ``core.repost``. Returns the
    number of core items inserted or changed. Set-based: no Python work per item.
    """
    # the batch's two sorts (latest record per id, first item per content) spilled to disk at the server's default
    # 4 MB once a batch held tens of thousands of items; this transaction only
    cur.execute("SET LOCAL work_mem = '64MB'")
    cur.execute(PUBLISH_SQL, {"load": load_id})
    changed = cur.fetchone()[0]
    cur.execute(PUBLISH_CONTEXT_SQL)
    cur.execute(PUBLISH_REPOSTS_SQL, {"load": load_id})
    cur.execute("DROP TABLE IF EXISTS pg_temp.publish_item")
    return changed


def write_state(cur, source: str, values: Mapping[str, object]) -> None:
    """Upsert state keys of a source inside the caller's transaction; unchanged values are not touched."""
    execute_values(
        cur,
        "INSERT INTO raw.source_state (source, state_key, value) VALUES %s"
        " ON CONFLICT (source, state_key) DO UPDATE SET value = EXCLUDED.value, updated_at = now()"
        " WHERE raw.source_state.value IS DISTINCT FROM EXCLUDED.value",
        [(source, key, Json(value)) for key, value in values.items()],
    )


@dataclass
class _Chunk:
    """Loads chunks of one input inside its transaction."""

    cur: object
    load_id: int
    source: str
    kind: str
    to_items: Callable[[SourceRecord], list[dict]]
    report: LoadReport
    max_record_bytes: int
    staged: int = 0  # item rows staged
    oversize: str = "quarantine"  # OVERSIZE_POLICIES
    languages: Counter = field(default_factory=Counter)  # staged items per source-given language

    def _convert(self, record: SourceRecord) -> tuple[list[dict], list[dict], str] | str:
        """Return (items, reposts, the payload as JSON text) of a record, or the reason it is rejected."""
        if record.error:
            return record.error
        truncate = self.oversize == "truncate"
        problem, body = _checked_body(record, MAX_TRUNCATED_RECORD_BYTES if truncate else self.max_record_bytes)
        if problem:
            return problem
        try:
            produced = self.to_items(record)
        except RecordError as exc:
            return str(exc)
        except (ValueError, TypeError, KeyError, IndexError, AttributeError, UnicodeError) as exc:
            return f"unreadable record ({type(exc).__name__}: {exc})"
        items = [dict(i) for i in produced if "repost_of" not in i]
        reposts = [i for i in produced if "repost_of" in i]
        reasons = set()
        for item in items:
            context = item.pop("context", None) or {}
            unknown = set(context) - set(CONTEXT_KEYS)
            if unknown:
                reasons.add(f"context: unknown keys {sorted(unknown)}")
            item["_context"] = context
            plain = {k: v for k, v in item.items() if k != "_context"}
            if not surely_valid(plain):
                reasons.update(validate_item(plain))
            if truncate and isinstance(context.get("title"), str) and len(context["title"]) > MAX_TEXT_CHARS:
                context["title"], item["_truncated"] = truncate_text(context["title"]), True
            if isinstance(item.get("text"), str) and len(item["text"]) > MAX_TEXT_CHARS:
                if truncate:
                    item["text"], item["_truncated"] = truncate_text(item["text"]), True
                else:
                    reasons.add(f"oversize text: {len(item['text']):,} characters, the limit is {MAX_TEXT_CHARS:,}")
        for repost in reposts:
            missing = [k for k in ("repost_key", "repost_of", "occurred_at") if not repost.get(k)]
            if missing:
                reasons.add(f"repost: missing {', '.join(missing)}")
        if reasons:
            return "; ".join(sorted(reasons))
        if isinstance(record.payload, str):  # _payload_json gives a text payload as it is, not as JSON
            body = _PLAIN_JSON.encode(record.payload)
        return items, reposts, body

    def load(self, chunk: list[SourceRecord]) -> bool:
        """Store one chunk of records; return whether any new row was written."""
        cur, report = self.cur, self.report
        report.read += len(chunk)
        good: dict[str, tuple[SourceRecord, list[dict], list[dict]]] = {}
        bodies: dict[str, str] = {}  # the payload of each good record as JSON text, for raw.record
        rejects: list[tuple[SourceRecord, str]] = []
        for record in chunk:
            converted = self._convert(record)
            if isinstance(converted, str):
                rejects.append((record, converted))
            elif record.hash in good:
                report.duplicate += 1  # the same record twice in one input
            else:
                items, reposts, bodies[record.hash] = converted
                good[record.hash] = (record, items, reposts)

        wrote = False
        if rejects:
            report.quarantined += len(rejects)
            rows = execute_values(
                cur,
                "INSERT INTO raw.quarantine (load_id, source, kind, location, reason, record_hash, payload, original)"
                " VALUES %s ON CONFLICT (source, record_hash, reason) DO NOTHING RETURNING quarantine_id",
                [(self.load_id, self.source, self.kind, _storable(r.location), _storable(reason), r.hash,
                  _storable(_payload_json(r)), _original(r)) for r, reason in rejects],
                fetch=True,
            )
            wrote |= bool(rows)
        good = self._drop_content_duplicates(good)
        if not good:
            return wrote

        new = copy_merge(
            cur, "raw.record", ("load_id", "source", "location", "record_hash", "payload"),
            ((self.load_id, self.source, r.location, h, bodies[h]) for h, (r, _, _) in good.items()),
            conflict=("source", "record_hash"), returning=("record_hash", "record_id"),
        )
        report.loaded += len(new)
        report.duplicate += len(good) - len(new)
        if not new:
            return wrote
        self._store_items(new, good)
        return True

    def _drop_content_duplicates(self, good: dict) -> dict:
        """Drop items already stored under another id with the same content; a record left with none is a duplicate."""
        keys = {}
        for _record, items, _reposts in good.values():
            for item in items:
                ids = protect(item["customer_ids"])
                item["_ids"], item["_key"] = ids, customer_key(ids)
                item["_content"] = content_hash(item, item["_key"])
                if item["_content"]:
                    keys.setdefault(item["_content"], item["item_id"])  # first in the input wins
        if not keys:
            return good
        self.cur.execute("SELECT content_hash, item_id::text FROM core.feedback_item WHERE content_hash = ANY(%s)",
                         (list(keys),))
        holder = {**keys, **dict(self.cur.fetchall())}
        kept = {}
        for record_hash, (record, items, reposts) in good.items():
            mine = [i for i in items if not i["_content"] or holder[i["_content"]] == i["item_id"]]
            if items and not mine and not reposts:
                self.report.duplicate += 1
                continue
            kept[record_hash] = (record, mine, reposts)
        return kept

    def _store_items(self, new: list[tuple[str, int]], good: dict) -> None:
        """Stage the items and reposts of newly stored records (``raw.staged_item``, ``raw.staged_repost``)."""
        rows, reposts = {}, {}
        for record_hash, record_id in new:
            _, items, record_reposts = good[record_hash]
            for item in items:  # one row per record and item: an id twice in a batch stays visible to the gate
                context = item["_context"]
                rows[(record_id, item["item_id"])] = (
                    self.load_id, record_id, item["item_id"], item["source"], item["source_item_key"],
                    item["channel"], item["aided"], item["occurred_at"], item["_key"], _json(item["_ids"]),
                    item.get("survey_id"), item.get("survey_type"), item.get("question"), redact(item.get("text")),
                    item.get("nps"), item.get("csat"), item.get("ces"), item.get("rating"), item.get("language"),
                    CONTRACT_VERSION, item["_content"], _json(_context(context)) if context else None,
                    item.get("_truncated", False),
                )
                self.languages[item.get("language") or ""] += 1
            for repost in record_reposts:
                ids = protect(repost.get("customer_ids") or {})
                reposts[repost["repost_key"]] = (
                    self.load_id, self.source, repost["repost_key"], repost["repost_of"],
                    item_id(self.source, repost["repost_of"]), repost["occurred_at"], customer_key(ids), record_id,
                )
        if rows:
            copy_rows(self.cur, "raw.staged_item", STAGED_COLUMNS, rows.values())
            self.staged += len(rows)
            self.report.truncated += sum(row[-1] for row in rows.values())  # is_truncated, the last column
        if reposts:
            execute_values(
                self.cur,
                "INSERT INTO raw.staged_repost (load_id, source, repost_key, original_key, original_item_id,"
                " reposted_at, customer_key, record_id) VALUES %s ON CONFLICT (load_id, repost_key) DO NOTHING",
                list(reposts.values()),
            )


def truncate_text(text: str, limit: int = MAX_TEXT_CHARS) -> str:
    """Return ``text`` cut to at most ``limit`` characters, never inside a character: a combining mark or a
    zero-width joiner at the cut belongs to the character before it, so that character goes too."""
    if len(text) <= limit:
        return text
    cut = limit
    while cut > 0 and (unicodedata.combining(text[cut]) or text[cut] in _JOINED or text[cut - 1] == "\u200d"):
        cut -= 1
    return text[:cut]


# characters that modify the one before them: joiners, variation selectors, emoji skin tones
_JOINED = frozenset("\u200c\u200d\ufe0e\ufe0f" + "".join(map(chr, range(0x1F3FB, 0x1F400))))


def _context(context: dict) -> dict:
    return {"thread_key": context.get("thread_key"), "parent_key": context.get("parent_key"),
            "title": redact(context.get("title")), "product": context.get("product"),
            "attachments": context.get("attachments") or [], "attributes": context.get("attributes") or {}}


def _json(value) -> str:
    return _TEXT_JSON.encode(value)
