"""Load records into the warehouse: raw as it arrived, rejects to quarantine, valid items to core.

One input (file) is one transaction: a crash leaves nothing half-loaded, and a re-run stores only
what is new. Loading the same input twice changes no table.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass
from itertools import islice
from pathlib import Path

from psycopg2.extras import Json, execute_values
from sqlalchemy import Engine
from voc.nlp.redact import redact
from voc.pipeline.connectors.base import RecordError, SourceRecord
from voc.pipeline.identity import customer_key, protect
from voc.schemas import CONTRACT_VERSION, validate_item

CHUNK = 2_000


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
    load_id: int | None = None

    def as_dict(self) -> dict:
        return asdict(self)

    def __str__(self) -> str:
        return (f"{self.location}: read {self.read}, loaded {self.loaded}, duplicate {self.duplicate}, "
                f"quarantined {self.quarantined} ({self.items} items)")


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


def _payload_text(record: SourceRecord) -> str:
    if isinstance(record.payload, str):
        return record.payload
    return json.dumps(record.payload, ensure_ascii=False, default=str)


def load_records(
    engine: Engine,
    *,
    source: str,
    kind: str,
    location: str,
    content_sha256: str,
    records: Iterable[SourceRecord],
    to_items: Callable[[SourceRecord], list[dict]],
) -> LoadReport:
    """Store one input's records; return its counts.

    Writes ``raw.load_batch`` (one row, only if something new was stored), ``raw.record`` (new
    records), ``raw.quarantine`` (rejected records with reasons) and ``core.feedback_item``
    (one row per valid item, redacted; a changed item is updated and queued for re-enrichment).
    """
    report = LoadReport(source=source, location=location)
    raw_conn = engine.raw_connection()
    try:
        with raw_conn.cursor() as cur:
            # One loader per source at a time; others wait rather than interleave.
            cur.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", (f"voc-load:{source}",))
            cur.execute(
                "INSERT INTO raw.load_batch (source, kind, location, content_sha256) VALUES (%s, %s, %s, %s)"
                " RETURNING load_id",
                (source, kind, location, content_sha256),
            )
            load_id = cur.fetchone()[0]
            stored_anything = False
            for chunk in _chunks(records, CHUNK):
                stored_anything |= _load_chunk(cur, load_id, source, chunk, to_items, report)
            if stored_anything:
                cur.execute(
                    "UPDATE raw.load_batch SET finished_at = clock_timestamp(), read_count = %s, loaded_count = %s,"
                    " duplicate_count = %s, quarantined_count = %s, item_count = %s WHERE load_id = %s",
                    (report.read, report.loaded, report.duplicate, report.quarantined, report.items, load_id),
                )
                report.load_id = load_id
            else:  # nothing new: leave no trace, so loading an input twice changes no table
                cur.execute("DELETE FROM raw.load_batch WHERE load_id = %s", (load_id,))
        raw_conn.commit()
    except BaseException:
        raw_conn.rollback()
        raise
    finally:
        raw_conn.close()
    return report


def _load_chunk(cur, load_id, source, chunk, to_items, report) -> bool:
    """Store one chunk of records; return whether any new row was written."""
    report.read += len(chunk)
    good: dict[str, tuple[SourceRecord, list[dict]]] = {}
    rejects: list[tuple[SourceRecord, str]] = []
    for record in chunk:
        if record.error:
            rejects.append((record, record.error))
            continue
        try:
            items = to_items(record)
        except RecordError as exc:
            rejects.append((record, str(exc)))
            continue
        reasons = sorted({r for item in items for r in validate_item(item)})
        if reasons:
            rejects.append((record, "; ".join(reasons)))
        elif record.hash in good:
            report.duplicate += 1  # the same record twice in one input
        else:
            good[record.hash] = (record, items)

    wrote = False
    if rejects:
        report.quarantined += len(rejects)
        rows = execute_values(
            cur,
            "INSERT INTO raw.quarantine (load_id, source, location, reason, record_hash, payload) VALUES %s"
            " ON CONFLICT (source, record_hash, reason) DO NOTHING RETURNING quarantine_id",
            [(load_id, source, r.location, reason, r.hash, _payload_text(r)) for r, reason in rejects],
            fetch=True,
        )
        wrote |= bool(rows)
    if not good:
        return wrote

    new = execute_values(
        cur,
        "INSERT INTO raw.record (load_id, source, location, record_hash, payload) VALUES %s"
        " ON CONFLICT (source, record_hash) DO NOTHING RETURNING record_hash, record_id",
        [(load_id, source, r.location, h, Json(r.payload)) for h, (r, _) in good.items()],
        fetch=True,
    )
    report.loaded += len(new)
    report.duplicate += len(good) - len(new)
    if not new:
        return wrote

    item_rows = {}  # by item id: one statement may not update a row twice, the later record wins
    for record_hash, record_id in new:
        for item in good[record_hash][1]:
            ids = protect(item["customer_ids"])
            item_rows[item["item_id"]] = (
                item["item_id"], item["source"], item["source_item_key"], item["channel"], item["aided"],
                item["occurred_at"], customer_key(ids), Json(ids), item.get("survey_id"),
                item.get("survey_type"), item.get("question"), redact(item.get("text")), item.get("nps"),
                item.get("csat"), item.get("ces"), item.get("rating"), item.get("language"),
                CONTRACT_VERSION, record_id, load_id,
            )
    changed = execute_values(
        cur,
        """
        INSERT INTO core.feedback_item (item_id, source, source_item_key, channel, is_aided, occurred_at,
            customer_key, customer_ids, survey_id, survey_type, question, text, nps, csat, ces, rating,
            language, contract_version, record_id, load_id)
        VALUES %s
        ON CONFLICT (item_id) DO UPDATE SET
            occurred_at = EXCLUDED.occurred_at, customer_key = EXCLUDED.customer_key,
            customer_ids = EXCLUDED.customer_ids, survey_id = EXCLUDED.survey_id,
            survey_type = EXCLUDED.survey_type, text = EXCLUDED.text, nps = EXCLUDED.nps,
            csat = EXCLUDED.csat, ces = EXCLUDED.ces, rating = EXCLUDED.rating,
            language = EXCLUDED.language, contract_version = EXCLUDED.contract_version,
            record_id = EXCLUDED.record_id, load_id = EXCLUDED.load_id, loaded_at = now()
        RETURNING item_id, (xmax = 0) AS inserted
        """,
        list(item_rows.values()),
        fetch=True,
    )
    report.items += len(changed)
    updated = [row[0] for row in changed if not row[1]]
    if updated:  # a corrected record: its old tags no longer describe it
        cur.execute("DELETE FROM core.enrichment WHERE item_id = ANY(%s::uuid[])", ([str(u) for u in updated],))
    return True
