"""The gates: judge a staged batch and publish or hold it, release a held batch, check core items and trend days.

Reads ``raw.load_batch``, ``raw.staged_item``, ``raw.quarantine`` (a batch), ``core.*`` and
``mart.complaint_trend_daily``; writes ``raw.quality_result`` (one row per check and run),
``raw.load_batch.status`` and, when a batch is published, its items to core (``load.publish_staged``).
A gate never deletes anything: a held batch keeps its staged items until ``release`` publishes them.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from pathlib import Path

from psycopg2.extras import Json, execute_values
from sqlalchemy import Engine

from voc.pipeline.db.transaction import raw_transaction
from voc.pipeline.quality.errors import BatchesHeld, HeldBatch, QualityGateError
from voc.pipeline.quality.settings import data_docs_dir, thresholds_for

log = logging.getLogger(__name__)
_DEFAULT = object()


@dataclass
class Verdict:
    """What the gate decided about one batch."""

    load_id: int
    source: str
    location: str
    status: str  # published | held | pending (someone else is judging it)
    items: int = 0  # core rows inserted or changed by publishing
    reason: str | None = None
    warnings: list[str] = field(default_factory=list)
    data_docs_page: str | None = None
    seconds: float = 0.0
    judged: bool = True  # False: another process had already judged it

    def as_dict(self) -> dict:
        return asdict(self)

    def held(self) -> HeldBatch:
        return HeldBatch(self.load_id, self.source, self.location, self.reason or "")


class QualityGate:
    """One Great Expectations context for a run of checks; use as a context manager, or ``close()`` it.

    ``docs_dir``: the Data Docs folder (default ``settings.data_docs_dir()``); None writes no Data Docs.
    Great Expectations is imported only when the first check runs.
    """

    def __init__(self, engine: Engine, *, docs_dir: Path | None = _DEFAULT):  # type: ignore[assignment]
        self.engine = engine
        self.docs_dir = data_docs_dir() if docs_dir is _DEFAULT else docs_dir
        self._runner = None

    def __enter__(self) -> QualityGate:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    @property
    def runner(self):
        if self._runner is None:
            from voc.pipeline.quality.runner import Runner

            self._runner = Runner(self.engine, self.docs_dir)
        return self._runner

    def close(self) -> None:
        if self._runner is not None:
            self._runner.close()
            self._runner = None

    # -- batches -----------------------------------------------------------------------------------------------

    def judge(self, load_id: int) -> Verdict:
        """Validate a pending batch, then publish it to core or hold it with the reason; store every result."""
        batch = _batch(self.engine, load_id)
        if batch["status"] != "pending":
            return Verdict(load_id, batch["source"], batch["location"], batch["status"], reason=batch["held_reason"],
                           judged=False)
        run, errors, warnings = self._validate_batch(batch)
        with raw_transaction(self.engine) as raw_conn:
            with raw_conn.cursor() as cur:
                # the loaders of this source wait: publishing sees every item they have committed
                cur.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", (f"voc-load:{batch['source']}",))
                cur.execute("SELECT status, held_reason FROM raw.load_batch WHERE load_id = %s FOR UPDATE", (load_id,))
                status, reason = cur.fetchone()
                if status != "pending":  # judged meanwhile by another process: its verdict stands
                    raw_conn.rollback()
                    return Verdict(load_id, batch["source"], batch["location"], status, reason=reason, judged=False)
                store_results(cur, run, load_id=load_id)
                verdict = Verdict(load_id, batch["source"], batch["location"], "published",
                                  warnings=[r.describe() for r in warnings], data_docs_page=run.data_docs_page,
                                  seconds=run.seconds)
                if errors:
                    verdict.status, verdict.reason = "held", "; ".join(r.describe() for r in errors)
                    cur.execute("UPDATE raw.load_batch SET status = 'held', held_reason = %s, checked_at = now()"
                                " WHERE load_id = %s", (verdict.reason, load_id))
                else:
                    verdict.items = _publish(cur, load_id)
                    cur.execute("UPDATE raw.load_batch SET status = 'published', published_at = now(),"
                                " checked_at = now(), item_count = %s WHERE load_id = %s", (verdict.items, load_id))
        if verdict.status == "held":
            log.warning("quality gate held %s", verdict.held())
        return verdict

    def recheck(self, load_id: int) -> Verdict:
        """Validate a batch that was already judged again and store the results; its status does not change."""
        batch = _batch(self.engine, load_id)
        run, errors, warnings = self._validate_batch(batch)
        with self.engine.begin() as conn:
            cur = conn.connection.cursor()
            store_results(cur, run, load_id=load_id, note="re-check")
            conn.exec_driver_sql("UPDATE raw.load_batch SET checked_at = now() WHERE load_id = %s", (load_id,))
        return Verdict(load_id, batch["source"], batch["location"], batch["status"],
                       reason="; ".join(r.describe() for r in errors) or None,
                       warnings=[r.describe() for r in warnings], data_docs_page=run.data_docs_page,
                       seconds=run.seconds)

    def finish_pending(self, source: str | None = None) -> list[Verdict]:
        """Judge every pending batch (of ``source``), oldest first: a load that stopped after storing its records."""
        with self.engine.connect() as conn:
            ids = conn.exec_driver_sql(
                "SELECT load_id FROM raw.load_batch WHERE status = 'pending' AND (%(source)s::text IS NULL"
                " OR source = %(source)s) ORDER BY load_id", {"source": source}).scalars().all()
        return [self.judge(i) for i in ids]

    def _validate_batch(self, batch: dict):
        from voc.pipeline.quality.queries import batch_rows_query
        from voc.pipeline.quality.suites import BatchFacts, batch_suite

        thresholds = thresholds_for(batch["kind"])
        facts = BatchFacts(kind=batch["kind"], arrived_at=batch["started_at"], is_whole_input=batch["is_whole_input"],
                           **_baseline(self.engine, batch, thresholds.volume_history))
        runner = self.runner  # a suite is built inside a Data Context: create it first
        run = runner.validate(batch_suite(batch["kind"], facts, thresholds), query=batch_rows_query(batch["load_id"]),
                              asset=f"load_{batch['load_id']}", run_name=f"load-{batch['load_id']}")
        for result in run.results:  # a share of a handful of rows says little: judge it, but only warn
            if (result.severity == "error" and not result.success and result.meta.get("rate")
                    and (result.element_count or 0) < thresholds.min_rows):
                result.severity = "warning"
                result.note = (f"{result.element_count or 0} rows, fewer than the {thresholds.min_rows} a rate is "
                               "judged on: recorded as a warning")
        errors = [r for r in run.failed if r.severity == "error"]
        warnings = [r for r in run.failed if r.severity == "warning"]
        return run, errors, warnings


def _batch(engine: Engine, load_id: int) -> dict:
    with engine.connect() as conn:
        row = conn.exec_driver_sql(
            "SELECT load_id, source, kind, location, status, started_at, is_whole_input, held_reason"
            " FROM raw.load_batch WHERE load_id = %s", (int(load_id),)).mappings().one_or_none()
    if row is None:
        raise LookupError(f"no batch {load_id} in raw.load_batch")
    return dict(row)


def _baseline(engine: Engine, batch: dict, size: int) -> dict:
    """Records read and languages of the source's most recent published whole inputs before this batch."""
    with engine.connect() as conn:
        rows = conn.exec_driver_sql(
            "SELECT read_count, language_counts FROM raw.load_batch WHERE source = %s AND status = 'published'"
            " AND is_whole_input AND load_id < %s ORDER BY load_id DESC LIMIT %s",
            (batch["source"], batch["load_id"], size)).all()
    languages: dict[str, int] = {}
    for _, counts in rows:
        for lang, n in (counts or {}).items():
            languages[lang] = languages.get(lang, 0) + int(n)
    return {"recent_read_counts": tuple(r[0] for r in rows), "recent_languages": languages}


def _publish(cur, load_id: int) -> int:
    from voc.pipeline.load import publish_staged

    return publish_staged(cur, load_id)


def store_results(cur, run, *, load_id: int | None = None, trend_date: date | None = None,
                  note: str | None = None) -> uuid.UUID:
    """Insert one ``raw.quality_result`` row per check of ``run``; return the run id."""
    run_id = uuid.uuid4()
    rows = []
    for r in run.results:
        notes = "; ".join(n for n in (r.note, note) if n) or None
        rows.append((str(run_id), run.suite, load_id, trend_date, r.check_name, r.expectation, r.column_name,
                     Json(r.kwargs), r.severity, r.success, _jsonb(r.observed_value), r.element_count,
                     r.unexpected_count, r.unexpected_percent, _jsonb(r.sample_unexpected), notes,
                     run.data_docs_page))
    execute_values(
        cur,
        "INSERT INTO raw.quality_result (run_id, suite, load_id, trend_date, check_name, expectation, column_name,"
        " kwargs, severity, success, observed_value, element_count, unexpected_count, unexpected_percent,"
        " sample_unexpected, note, data_docs_page) VALUES %s",
        rows,
    )
    return run_id


def _jsonb(value):
    return None if value is None else Json(value)


def release(engine: Engine, load_id: int, *, by: str, note: str | None = None) -> Verdict:
    """Publish a held batch after review: its staged items go to core; the hold's reason is kept."""
    with raw_transaction(engine) as raw_conn:
        with raw_conn.cursor() as cur:
            cur.execute("SELECT source, location, status, held_reason FROM raw.load_batch WHERE load_id = %s",
                        (int(load_id),))
            row = cur.fetchone()
            if row is None:
                raise LookupError(f"no batch {load_id} in raw.load_batch")
            source = row[0]
            cur.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", (f"voc-load:{source}",))
            cur.execute("SELECT status, held_reason FROM raw.load_batch WHERE load_id = %s FOR UPDATE", (load_id,))
            status, reason = cur.fetchone()
            if status != "held":
                raise QualityGateError(f"batch {load_id} is {status}, not held: only a held batch can be released")
            items = _publish(cur, load_id)
            cur.execute("UPDATE raw.load_batch SET status = 'published', published_at = now(), released_at = now(),"
                        " released_by = %s, release_note = %s, item_count = %s WHERE load_id = %s",
                        (by, note, items, load_id))
    return Verdict(load_id, source, row[1], "published", items=items, reason=reason)


def raise_if_held(verdicts: list[Verdict], reports: list | None = None) -> None:
    """Raise ``BatchesHeld`` naming every held batch among ``verdicts``."""
    held = [v.held() for v in verdicts if v.status == "held"]
    if held:
        raise BatchesHeld(held, reports or [])


# -- core items and trend days -----------------------------------------------------------------------------------

def _check(engine: Engine, gate: QualityGate | None, suite_factory, query: str, asset: str, run_name: str,
           **where):
    owned = gate is None
    gate = gate or QualityGate(engine)
    try:
        runner = gate.runner  # a suite is built inside a Data Context: create it first
        run = runner.validate(suite_factory(), query=query, asset=asset, run_name=run_name)
    finally:
        if owned:
            gate.close()
    with engine.begin() as conn:
        store_results(conn.connection.cursor(), run, **where)
    errors = [r for r in run.failed if r.severity == "error"]
    if errors:
        raise QualityGateError(f"{run.suite}: " + "; ".join(r.describe() for r in errors)
                               + (f" (Data Docs: {run.data_docs_page})" if run.data_docs_page else ""))
    return run


def check_core_items(engine: Engine, *, since: datetime | None = None, gate: QualityGate | None = None):
    """Check the core items (loaded or enriched since ``since``, else all) after enrichment.

    Stores the results (suite ``core_items``) and raises ``QualityGateError`` when an error-level check
    fails: an item not enriched, without sentiment though it has English words, without a stage decision
    or versions, or stored text that still holds an e-mail address or phone number. Returns the run.
    """
    from voc.pipeline.quality.queries import core_items_query
    from voc.pipeline.quality.suites import core_items_suite

    stamp = datetime.now().strftime("%Y%m%dT%H%M%S")
    return _check(engine, gate, core_items_suite, core_items_query(since), "core_items", f"core-{stamp}")


def check_trend_day(engine: Engine, day: date, *, gate: QualityGate | None = None):
    """Check one day of ``mart.complaint_trend_daily`` after it was built; the trends DAG calls this.

    Stores the results (suite ``complaint_trend_day``, ``trend_date`` = day) and raises
    ``QualityGateError`` when an error-level check fails (counts or measures out of range, a cell twice).
    A day without rows is a warning. Returns the run.
    """
    from voc.pipeline.quality.queries import trend_day_query
    from voc.pipeline.quality.suites import trend_day_suite

    if isinstance(day, datetime):
        day = day.date()
    elif not isinstance(day, date):
        day = date.fromisoformat(str(day))
    return _check(engine, gate, trend_day_suite, trend_day_query(day), f"trend_{day:%Y%m%d}",
                  f"trend-{day.isoformat()}", trend_date=day)
