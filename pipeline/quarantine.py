"""The quarantine: records that could not become feedback items, with reasons, and replaying them after a fix.

Reads and writes ``raw.quarantine`` (grain: one row per rejected record and reason). A replay runs the
quarantined payloads through the current connector and mapping; rows whose record then loads are
marked resolved (``resolved_at``, ``resolved_load_id``). A record rejected again for a new reason gets a
new row and its old row is closed the same way, so the unresolved rows are always the current verdicts.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import asdict, dataclass

from sqlalchemy import Engine, text

from voc.pipeline.connectors.base import SourceRecord
from voc.pipeline.load import LoadReport, load_records


def list_quarantine(engine: Engine, *, source: str | None = None, include_resolved: bool = False,
                    limit: int = 100) -> list[dict]:
    """Return quarantined records, newest first: source, kind, location, reason, payload and original size."""
    sql = text(
        "SELECT q.quarantine_id, q.source, coalesce(q.kind, b.kind) AS kind, q.location, q.reason,"
        " q.quarantined_at, q.resolved_at, left(q.payload, 300) AS payload, octet_length(q.original) AS bytes,"
        " b.location AS input"
        " FROM raw.quarantine q JOIN raw.load_batch b USING (load_id)"
        " WHERE (CAST(:source AS text) IS NULL OR q.source = :source) AND (:all OR q.resolved_at IS NULL)"
        " ORDER BY q.quarantine_id DESC LIMIT :limit"
    )
    with engine.connect() as conn:
        rows = conn.execute(sql, {"source": source, "all": include_resolved, "limit": limit}).mappings().all()
    return [dict(r) for r in rows]


@dataclass
class ReplayReport:
    """What a replay did: records tried, now loaded (resolved) and still rejected."""

    source: str
    tried: int = 0
    resolved: int = 0
    still_quarantined: int = 0
    load: LoadReport | None = None

    def as_dict(self) -> dict:
        return asdict(self)

    def __str__(self) -> str:
        return (f"{self.source}: replayed {self.tried}, resolved {self.resolved}, "
                f"still quarantined {self.still_quarantined}")


def _record(location: str, payload_text: str) -> SourceRecord:
    try:
        payload = json.loads(payload_text)
    except json.JSONDecodeError:
        payload = payload_text  # a line that never parsed: it stays rejected until the input is fixed
    if not isinstance(payload, dict | list):
        payload = payload_text
    return SourceRecord(location, payload)


def sources_with_quarantine(engine: Engine) -> list[tuple[str, str]]:
    """Return (source, kind) of every source with unresolved quarantined records."""
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(text(
            "SELECT DISTINCT q.source, coalesce(q.kind, b.kind) FROM raw.quarantine q JOIN raw.load_batch b"
            " USING (load_id) WHERE q.resolved_at IS NULL ORDER BY 1"))]


def replay(engine: Engine, *, source: str, kind: str,
           to_items: Callable[[SourceRecord], list[dict]], oversize: str = "quarantine") -> ReplayReport:
    """Run the unresolved quarantined records of ``source`` through ``to_items`` again and load those that pass
    (``oversize``: the loader's policy for oversize records, e.g. ``truncate`` to keep them flagged)."""
    with engine.connect() as conn:
        rows = conn.execute(text(
            "SELECT quarantine_id, location, payload, record_hash FROM raw.quarantine"
            " WHERE source = :source AND resolved_at IS NULL ORDER BY quarantine_id"), {"source": source}).all()
    report = ReplayReport(source=source)
    records, by_hash = [], {}
    for quarantine_id, location, payload, _ in rows:
        record = _record(location, payload)
        by_hash.setdefault(record.hash, []).append(quarantine_id)
        if len(by_hash[record.hash]) == 1:
            records.append(record)
    report.tried = len(records)
    if not records:
        return report
    digest = hashlib.sha256("".join(sorted(by_hash)).encode()).hexdigest()
    report.load = load_records(engine, source=source, kind=kind, location=f"quarantine replay of {source}",
                               content_sha256=digest, records=records, to_items=to_items, oversize=oversize)
    with engine.begin() as conn:
        resolved = conn.execute(text(
            "UPDATE raw.quarantine q SET resolved_at = now(), resolved_load_id = r.load_id FROM raw.record r"
            " WHERE q.source = :source AND q.resolved_at IS NULL AND q.quarantine_id = ANY(:ids)"
            " AND r.source = q.source AND r.record_hash = q.record_hash"
            " RETURNING q.quarantine_id, r.record_hash"),
            {"source": source, "ids": [i for ids in by_hash.values() for i in ids]}).all()
        if report.load.load_id is not None:  # re-judged under a new reason: the newer row is the current verdict
            conn.execute(text(
                "UPDATE raw.quarantine q SET resolved_at = now(), resolved_load_id = :load FROM raw.quarantine n"
                " WHERE q.source = :source AND q.resolved_at IS NULL AND q.quarantine_id = ANY(:ids)"
                " AND n.source = q.source AND n.record_hash = q.record_hash AND n.load_id = :load"
                " AND n.quarantine_id <> q.quarantine_id"),
                {"source": source, "ids": [i for ids in by_hash.values() for i in ids], "load": report.load.load_id})
    resolved_hashes = {h for _, h in resolved}
    report.resolved = sum(1 for h in by_hash if h in resolved_hashes)
    report.still_quarantined = report.tried - report.resolved
    return report
