"""What the reliability suites share: a scaled multi-channel sample, fresh databases, and a snapshot of the
warehouse that two runs can be compared by (counts and content checksums, without ids or timestamps)."""

from __future__ import annotations

import hashlib
import io
import json
import mailbox
import os
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from sqlalchemy.engine import URL

from voc.pipeline.sample import generate_all, generate_crm_links


def scale() -> int:
    """``VOC_RELIABILITY_SCALE``: 1 in ``make test`` (CI size), larger in ``make reliability``."""
    try:
        return max(1, int(os.environ.get("VOC_RELIABILITY_SCALE", "1")))
    except ValueError:
        return 1


CI_SEED = 20261125
PHASES = ("ingest", "enrich", "marts")


def seed() -> int:
    """``VOC_RELIABILITY_SEED`` if set; else a fixed seed at CI size (the same cases every run) and a fresh
    random one at larger sizes (``make reliability`` explores). Failures print the seed to replay them."""
    if os.environ.get("VOC_RELIABILITY_SEED"):
        return int(os.environ["VOC_RELIABILITY_SEED"])
    import random

    return CI_SEED if scale() == 1 else random.SystemRandom().randrange(1 << 30)


# -- sample ------------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Sample:
    """A sample for every channel (the bundled generator, cut to ``per_channel`` records plus its broken ones)."""

    root: Path
    sources: tuple[tuple[str, str, str, str | None], ...]  # (source, kind, folder, mapping)
    crm: str
    first_day: date
    last_day: date

    def as_args(self) -> dict:
        return {"sources": [list(s) for s in self.sources], "crm": self.crm,
                "first_day": self.first_day.isoformat(), "last_day": self.last_day.isoformat()}


def ingest_all(engine, sources) -> list:
    """Ingest every (source, kind, folder, mapping) like a scheduled run; return the batches the quality gate held.

    A held batch stays staged in raw until someone releases it: it is an outcome, not a failure of the run (at
    larger sizes the sample's survey export has enough rows for its deliberately broken ones to be judged)."""
    from voc.pipeline.ingest import ingest_files
    from voc.pipeline.quality.errors import BatchesHeld

    held = []
    for source, kind, folder, mapping in sources:
        try:
            ingest_files(engine, kind, [folder], source=source, mapping=mapping)
        except BatchesHeld as exc:
            held += exc.held
    return held


def _keep(rows: list, n: int, tail: int) -> list:
    """The first ``n`` rows and the last ``tail`` (the generator appends its story and broken records last)."""
    return rows if len(rows) <= n + tail else rows[:n] + rows[len(rows) - tail:]


CI_SOURCES = ("surveys", "social_x", "support_email", "zendesk_export")


def make_sample(root: Path, per_channel: int, *, every_source: bool = True) -> Sample:
    """Write the bundled sample under ``root`` and cut every file to ``per_channel`` records plus the broken ones.

    Every input is a batch the quality gate validates (a few tenths of a second each), so at CI size the
    sample keeps one input per channel it needs (``CI_SOURCES``: surveys, posts, a mailbox, tickets).
    """
    sources = generate_all(root)
    crm = generate_crm_links(root)
    if not every_source:
        sources = [s for s in sources if s[0] in CI_SOURCES]
        for extra in Path(dict((s[0], s[2]) for s in sources)["support_email"]).glob("*.eml"):
            extra.unlink()
    for _, _, folder, _ in sources:
        for path in sorted(Path(folder).iterdir()):
            _cut(path, per_channel)
    return Sample(root, tuple((s, k, str(f), str(m) if m else None) for s, k, f, m in sources), str(crm),
                  date(2026, 10, 3), date(2026, 10, 31))


def _cut(path: Path, n: int) -> None:
    suffix = path.suffix
    if suffix == ".csv":
        lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
        path.write_text("".join(lines[:1] + _keep(lines[1:], n, 3)), encoding="utf-8")
    elif suffix == ".jsonl":  # X search pages of 25 posts: keep posts of the first page, and the broken lines
        lines = path.read_text(encoding="utf-8").splitlines()
        page = json.loads(lines[0])
        page["data"] = page["data"][:n]
        path.write_text("\n".join([json.dumps(page), *lines[-3:]]) + "\n", encoding="utf-8")
    elif suffix == ".json":
        doc = json.loads(path.read_text(encoding="utf-8"))
        key = next(k for k, v in doc.items() if isinstance(v, list))
        tail = 2 if key == "reviews" else 0
        doc[key] = _keep(doc[key], n, tail)
        path.write_text(json.dumps(doc, indent=1), encoding="utf-8")
    elif suffix == ".mbox":
        box = mailbox.mbox(str(path))
        messages = [box.get_bytes(k) for k in box.iterkeys()]
        box.close()
        path.unlink()
        box = mailbox.mbox(str(path))
        for message in _keep(messages, n, 4):
            box.add(message)
        box.flush()
        box.close()


# -- databases ---------------------------------------------------------------------------------------------------

def new_database(server_url: URL, template: str, label: str) -> URL:
    """A fresh migrated database cloned from the session's template; dropped with the others at session end."""
    from tests.conftest import RUN_ID, _admin

    name = f"voc_test_{RUN_ID}_{label}"
    admin = _admin(server_url)
    try:
        with admin.cursor() as cur:
            cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            cur.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    finally:
        admin.close()
    return server_url.set(database=name)


class Databases:
    """Warehouse databases for the suites, reused: ``with databases() as url`` leases an empty, migrated one.

    Dropping a database costs PostgreSQL a checkpoint (a second or more on a busy machine), so a returned
    database is emptied (every raw/core/mart table truncated, sequences restarted) and leased again.
    """

    def __init__(self, server_url: URL, template: str) -> None:
        import threading

        self.server_url, self.template = server_url, template
        self.free: list[URL] = []
        self.created = 0
        self.lock = threading.Lock()

    def __call__(self):
        from contextlib import contextmanager

        @contextmanager
        def lease():
            with self.lock:
                url = self.free.pop() if self.free else None
                if url is None:
                    self.created += 1
                    label = f"rel_{self.created}"
            url = url or new_database(self.server_url, self.template, label)
            try:
                yield url
            finally:
                self._empty(url)
                with self.lock:
                    self.free.append(url)

        return lease()

    def _empty(self, url: URL) -> None:

        from tests.conftest import _admin

        admin = _admin(self.server_url)
        try:
            with admin.cursor() as cur:  # a killed child's backend may still hold its locks for a moment
                cur.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s"
                            " AND pid <> pg_backend_pid()", (url.database,))
        finally:
            admin.close()
        conn = _connect(url)
        try:
            with conn.cursor() as cur:
                cur.execute("SELECT string_agg(format('%I.%I', schemaname, tablename), ', ') FROM pg_tables"
                            " WHERE schemaname IN ('raw', 'core', 'mart')")
                cur.execute(f"TRUNCATE {cur.fetchone()[0]} RESTART IDENTITY CASCADE")
            conn.commit()
        finally:
            conn.close()


def _connect(url: URL):
    import psycopg2

    return psycopg2.connect(**{k: v for k, v in {
        "dbname": url.database, "user": url.username, "password": url.password,
        "host": url.query.get("host", url.host), "port": url.port}.items() if v is not None})


def dump_state(url: URL) -> dict:
    """Every raw/core/mart table (PostgreSQL's binary COPY format) and every sequence of a warehouse."""
    conn = _connect(url)
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT format('%I.%I', schemaname, tablename) FROM pg_tables"
                        " WHERE schemaname IN ('raw', 'core', 'mart') ORDER BY 1")
            tables = [t for (t,) in cur.fetchall()]
            data = {}
            for table in tables:
                out = io.BytesIO()
                cur.copy_expert(f"COPY {table} TO STDOUT WITH (FORMAT binary)", out)
                data[table] = out.getvalue()
            cur.execute("SELECT format('%I.%I', schemaname, sequencename) FROM pg_sequences"
                        " WHERE schemaname IN ('raw', 'core', 'mart')")
            sequences = {}
            for (sequence,) in cur.fetchall():
                cur.execute(f"SELECT last_value, is_called FROM {sequence}")
                sequences[sequence] = cur.fetchone()
        return {"tables": data, "sequences": sequences}
    finally:
        conn.close()


def restore_state(url: URL, state: dict) -> None:
    """Make an (empty) warehouse hold exactly a ``dump_state``; foreign keys are not re-checked."""
    conn = _connect(url)
    try:
        with conn.cursor() as cur:
            cur.execute("SET session_replication_role = replica")  # rows arrive in table order, not key order
            cur.execute(f"TRUNCATE {', '.join(state['tables'])} RESTART IDENTITY CASCADE")
            for table, data in state["tables"].items():
                cur.copy_expert(f"COPY {table} FROM STDIN WITH (FORMAT binary)", io.BytesIO(data))
            for sequence, (value, called) in state["sequences"].items():
                cur.execute("SELECT setval(%s, %s, %s)", (sequence, value, called))
        conn.commit()
    finally:
        conn.close()


def dsn(url: URL) -> str:
    return url.render_as_string(hide_password=False)


# -- snapshots ---------------------------------------------------------------------------------------------------

# Columns that differ between two correct runs: surrogate ids, and when something happened (every *_at column but
# the feedback's own times).
IDS = ["load_id", "record_id", "quarantine_id", "resolved_load_id", "erasure_id", "result_id", "run_id"]
KEPT_TIMES = ("occurred_at", "reposted_at")
# Logs of what ran, not state: a re-run after a crash legitimately adds validation runs.
LOG_TABLES = {"raw.quality_result"}
# Which record an item came from is part of its identity: compare by the record's hash, not its id.
LINKED = {
    "core.feedback_item": "(SELECT r.record_hash FROM raw.record r WHERE r.record_id = t.record_id)",
    "core.repost": "(SELECT r.record_hash FROM raw.record r WHERE r.record_id = t.record_id)",
    "raw.record": "(SELECT b.location FROM raw.load_batch b WHERE b.load_id = t.load_id)",
    "raw.quarantine": "(SELECT b.location FROM raw.load_batch b WHERE b.load_id = t.load_id)",
    "raw.staged_item": "(SELECT r.record_hash FROM raw.record r WHERE r.record_id = t.record_id)",
    "raw.staged_repost": "(SELECT r.record_hash FROM raw.record r WHERE r.record_id = t.record_id)",
}


def tables(conn) -> list[str]:
    return conn.exec_driver_sql(
        "SELECT table_schema || '.' || table_name FROM information_schema.tables WHERE table_type = 'BASE TABLE'"
        " AND table_schema IN ('raw', 'core', 'mart') ORDER BY 1").scalars().all()


def volatile(conn, table: str) -> list[str]:
    schema, name = table.split(".")
    columns = conn.exec_driver_sql("SELECT column_name FROM information_schema.columns WHERE table_schema = %s"
                                   " AND table_name = %s", (schema, name)).scalars().all()
    return [c for c in columns if c in IDS or (c.endswith("_at") and c not in KEPT_TIMES)]


def snapshot(engine) -> dict[str, list[str]]:
    """Every row of every raw/core/mart table (logs aside) as canonical JSON without volatile columns, sorted."""
    out = {}
    with engine.connect() as conn:
        for table in tables(conn):
            if table in LOG_TABLES:
                continue
            link = LINKED.get(table, "NULL")
            rows = conn.exec_driver_sql(
                f"SELECT ((to_jsonb(t) - %s::text[]) || jsonb_build_object('_link', {link}))::text FROM {table} t",
                (volatile(conn, table),)).scalars().all()
            out[table] = sorted(rows)
    return out


def digest(snap: dict[str, list[str]]) -> dict[str, tuple[int, str]]:
    """{table: (rows, sha256 of its canonical rows)}: what the summary compares."""
    return {t: (len(rows), hashlib.sha256("\n".join(rows).encode()).hexdigest()[:16]) for t, rows in snap.items()}


def item_keys(engine) -> tuple[list[tuple[str, str]], list[str]]:
    """(source, source_item_key) of every item (with repeats, if any) and the item ids that have enrichment."""
    with engine.connect() as conn:
        items = [tuple(r) for r in conn.exec_driver_sql(
            "SELECT source, source_item_key FROM core.feedback_item").all()]
        enriched = conn.exec_driver_sql("SELECT item_id::text FROM core.enrichment").scalars().all()
    return items, enriched


def compare(expected: dict[str, list[str]], actual: dict[str, list[str]]) -> tuple[int, int, list[str]]:
    """Return (items lost, duplicates, differing tables) between two snapshots."""
    def keys(snap, table, fields):
        return [tuple(json.loads(r).get(f) for f in fields) for r in snap.get(table, [])]

    lost = dup = 0
    for table, fields in (("core.feedback_item", ("source", "source_item_key")), ("core.enrichment", ("item_id",)),
                          ("raw.record", ("source", "record_hash"))):
        want, got = keys(expected, table, fields), keys(actual, table, fields)
        lost += len(set(want) - set(got))
        dup += len(got) - len(set(got)) + len(set(got) - set(want))
    differing = [t for t in sorted(set(expected) | set(actual)) if expected.get(t) != actual.get(t)]
    return lost, dup, differing


def explain(expected: dict[str, list[str]], actual: dict[str, list[str]], table: str, limit: int = 3) -> str:
    want, got = set(expected.get(table, [])), set(actual.get(table, []))
    missing, extra = sorted(want - got)[:limit], sorted(got - want)[:limit]
    return (f"{table}: {len(want - got)} rows missing, {len(got - want)} unexpected\n"
            f"  missing: {missing}\n  extra: {extra}")


# -- child runs -------------------------------------------------------------------------------------------------

def spawn(ctx, url, sample, run_dir: Path, *, timeout: float = 120, kill_after: float | None = None,
          wait: bool = True, **kwargs) -> dict:
    """Run ``worker.run`` in a child; SIGKILL it after ``kill_after`` seconds if given. Returns its outcome."""
    from tests.reliability import worker

    run_dir = Path(run_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    for name in ("result.json", "error.json", "paused", "resume"):
        (run_dir / name).unlink(missing_ok=True)
    process = ctx.Process(target=worker.run, args=(dsn(url) if not isinstance(url, str) else url,
                                                   sample.as_args(), str(run_dir)), kwargs=kwargs)
    process.start()
    if not wait:
        return {"process": process, "run_dir": run_dir}
    return finish(process, run_dir, timeout=timeout, kill_after=kill_after)


def finish(process, run_dir: Path, *, timeout: float = 120, kill_after: float | None = None) -> dict:
    if kill_after is not None:
        process.join(kill_after)
        if process.exitcode is None:
            process.kill()  # SIGKILL
    process.join(timeout)
    if process.exitcode is None:
        process.kill()
        process.join()
        raise AssertionError(f"the pipeline child did not finish within {timeout} s")
    out = {"exitcode": process.exitcode, "result": None, "error": None}
    for name in ("result", "error"):
        path = Path(run_dir) / f"{name}.json"
        if path.exists():
            out[name] = json.loads(path.read_text())
    return out
