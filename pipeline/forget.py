"""Erase one person from every layer (``voc forget --customer KEY | --email ADDR``), idempotently.

Who the person is: the identifiers reachable from the one given, through resolved customers
(``core.customer_identifier``, ``core.customer_key_merge``), identity links (``core.identity_link``) and
identifiers found together on their items (``core.feedback_item.customer_ids``). What is erased, in one
transaction:

* ``core.feedback_item`` rows of the person (their ``core.enrichment`` and ``core.item_context`` go with
  them), ``core.repost`` rows, and their rows of the identity tables;
* ``raw.record``: the payload of each of their records is replaced by a tombstone (the row and its hash
  stay, so loading the same input again does not bring the person back); another customer's record
  that merely mentions them has those mentions replaced by ``[erased]``;
* ``raw.quarantine`` rows that hold any of their clear identifiers (payload or original bytes);
* the CX extract folders (``<exports>/complaint_trends/<day>/``) of the days they spoke on, re-written
  from the warehouse without their verbatims. ``mart.complaint_trend_daily`` keeps its counts: they are
  aggregates that name nobody.

``raw.erasure_log`` gets one row per request with counts, never the person's identifiers. Searching for
the person uses their clear identifiers (given, or found in their own raw records); a name alone is
never used, since it would erase namesakes.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from psycopg2 import sql
from psycopg2.extras import Json
from sqlalchemy import Engine

from voc.pipeline.db.transaction import raw_transaction
from voc.pipeline.identity import HASHED_KINDS, normalise, protect

log = logging.getLogger(__name__)

ERASED = "[erased]"
MIN_TERM_CHARS = 4  # shorter identifiers (a customer id "42") would match unrelated text
MIN_DIGIT_TERM_CHARS = 6  # an all-digit identifier shorter than this looks like a count or a year
MIN_PHRASE_CHARS = 20  # shorter texts ("Thanks!") are everybody's words, not theirs
MAX_ROUNDS = 20  # identity closure: more rounds than this means the links chain through many customers

EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
PHONE = re.compile(r"\+?\(?\d(?:[\s().-]{0,2}\d){7,14}")

ITEMS_BY_ID_SQL = """
SELECT f.item_id::text, f.customer_key, f.record_id, (f.occurred_at AT TIME ZONE 'UTC')::date, f.customer_ids
FROM {} AS f
WHERE f.customer_key = ANY(%(keys)s)
   OR EXISTS (SELECT 1 FROM jsonb_each_text(f.customer_ids) AS x(k, v) WHERE x.k || ':' || x.v = ANY(%(ids)s))
"""
# Items of batches a quality gate holds wait in raw, redacted like core (from migration 0007 on).
STAGED = ("raw.staged_item", "raw.staged_repost")


class ForgetError(ValueError):
    """The request names nobody usably (an empty key, a malformed address)."""


@dataclass
class ForgetReport:
    """What one erasure did: rows per table, extract folders re-written, and any traces left."""

    erasure_id: int | None = None
    found: bool = False
    counts: dict[str, int] = field(default_factory=dict)
    export_days: list[date] = field(default_factory=list)
    exports_rewritten: list[Path] = field(default_factory=list)
    traces: dict[str, int] = field(default_factory=dict)  # table.column -> rows still holding an identifier

    def __str__(self) -> str:
        if not self.found:
            text = "nothing found for this person (already erased, or never loaded)"
        else:
            erased = ", ".join(f"{table} {n}" for table, n in self.counts.items() if n) or "no rows"
            text = f"erased: {erased}"
        if self.exports_rewritten:
            text += f"; re-wrote {len(self.exports_rewritten)} extract folder(s)"
        if self.traces:
            text += "; TRACES LEFT in " + ", ".join(f"{k} ({n} rows)" for k, n in self.traces.items())
        return text + (f" [erasure #{self.erasure_id}]" if self.erasure_id else "")


@dataclass
class _Person:
    identifiers: set[str] = field(default_factory=set)  # kind:value, contact details hashed (as in core)
    keys: set[str] = field(default_factory=set)  # customer keys, resolved and first-seen
    items: dict[str, tuple] = field(default_factory=dict)  # item_id -> (customer_key, record_id, day)
    staged: dict[str, int] = field(default_factory=dict)  # item_id -> record_id, of held batches
    terms: set[str] = field(default_factory=set)  # clear identifiers to search text for
    phrases: set[str] = field(default_factory=set)  # what they wrote (redacted, as in core), to scrub from copies


def _email_identifier(address: str) -> str:
    return "email:" + protect({"email": address})["email"]


def _first_key(identifier: str) -> str:
    """The customer key an item carrying only ``identifier`` gets when loaded (``identity.customer_key``)."""
    kind, value = identifier.split(":", 1)
    if value.startswith("sha256:"):
        value = value[len("sha256:"):][:24]
    return f"{kind}:{value}"


def _usable(term: str) -> bool:
    term = term.strip()
    if len(term) < MIN_TERM_CHARS:
        return False
    return not (term.isdigit() and len(term) < MIN_DIGIT_TERM_CHARS)


def _clear_terms(identifiers: Iterable[str]) -> set[str]:
    """Clear-text search terms of the identifiers that are not hashed in core (ids, handles)."""
    terms = set()
    for identifier in identifiers:
        kind, value = identifier.split(":", 1)
        if kind in HASHED_KINDS:
            continue
        terms.add(value)
        if kind == "handle":
            terms.add("@" + value)
        if ":" in value:  # a connector's prefix (x:123, ticket-requester:123): the source has only the id
            terms.add(value.rsplit(":", 1)[1])
    return {t for t in terms if _usable(t)}


def _strings(value) -> Iterable[str]:
    stack = [value]
    while stack:
        current = stack.pop()
        if isinstance(current, str):
            yield current
        elif isinstance(current, dict):
            stack.extend(current.keys())
            stack.extend(current.values())
        elif isinstance(current, list):
            stack.extend(current)


def _contact_terms(payloads: Iterable, identifiers: set[str]) -> set[str]:
    """E-mail addresses and phone numbers in the person's own records whose hash is one of their identifiers."""
    found = set()
    for payload in payloads:
        for text in _strings(payload):
            for match in EMAIL.findall(text):
                if _email_identifier(match) in identifiers:
                    found.add(match)
            for match in PHONE.findall(text):
                if "phone:" + protect({"phone": match})["phone"] in identifiers:
                    found.update({match.strip(), normalise("phone", match)})
    return {t for t in found if _usable(t)}


def _word_pattern(terms: Iterable[str]) -> str:
    """A PostgreSQL regular expression (ARE) matching any term as a whole word, case-insensitively with ``~*``."""
    escaped = ["".join(c if c.isalnum() else "\\" + c for c in term) for term in sorted(terms, key=len, reverse=True)]
    return r"(^|[^[:alnum:]_])(" + "|".join(escaped) + r")($|[^[:alnum:]_])"


def _bytes_pattern(terms: Iterable[str]) -> str:
    """The same for ``encode(bytea, 'escape')`` text, where bytes >= 0x80 are written ``\\nnn``."""
    def escape_form(term: str) -> str:
        out = []
        for byte in term.encode("utf-8"):
            out.append(f"\\{byte:03o}" if byte == 0 or byte >= 0x80 else "\\\\" if byte == 0x5C else chr(byte))
        return "".join(out)

    return _word_pattern(escape_form(t) for t in terms)


def _python_pattern(terms: Iterable[str]) -> re.Pattern:
    alternatives = "|".join(re.escape(t) for t in sorted(terms, key=len, reverse=True))
    return re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)", re.IGNORECASE)


def _scrub_pattern(terms: Iterable[str], phrases: Iterable[str]) -> re.Pattern:
    """Identifiers as whole words, and the person's texts wherever they are quoted."""
    parts = []
    if terms:
        parts.append(_python_pattern(terms).pattern)
    if phrases:
        parts.append("|".join(re.escape(p) for p in sorted(phrases, key=len, reverse=True)))
    return re.compile("|".join(f"(?:{p})" for p in parts), re.IGNORECASE)


def scrub(value, pattern: re.Pattern):
    """Return a JSON value with every match of ``pattern`` in its strings (keys too) replaced by ``[erased]``."""
    if isinstance(value, str):
        return pattern.sub(ERASED, value)
    if isinstance(value, list):
        return [scrub(v, pattern) for v in value]
    if isinstance(value, dict):
        return {pattern.sub(ERASED, k): scrub(v, pattern) for k, v in value.items()}
    return value


class _Eraser:
    """One erasure inside one transaction (``cur``)."""

    def __init__(self, cur) -> None:
        self.cur = cur
        self.counts: dict[str, int] = {}
        cur.execute("SELECT t FROM unnest(%s::text[]) AS t WHERE to_regclass(t) IS NOT NULL", (list(STAGED),))
        self.staged = {t for (t,) in cur.fetchall()}

    def count(self, table: str, n: int) -> None:
        self.counts[table] = self.counts.get(table, 0) + max(n, 0)

    def lock(self) -> None:
        # Resolution re-keys items and loads insert them: wait for both, and keep them out until we commit.
        self.cur.execute("SELECT pg_advisory_xact_lock(hashtext('voc-identity'))")
        self.cur.execute("SELECT DISTINCT source FROM raw.load_batch ORDER BY 1")
        for (source,) in self.cur.fetchall():
            self.cur.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", (f"voc-load:{source}",))

    def find(self, *, customer: str | None, email: str | None) -> _Person:
        """Follow every link from the given key or address to the set of identifiers, keys and items of one person."""
        cur, person = self.cur, _Person()
        if email:
            person.identifiers.add(_email_identifier(email))
            person.terms.update({email.strip(), normalise("email", email)})
        if customer:
            person.keys.add(customer)
        seen_keys = set()  # keys the warehouse holds (a given key that it does not is no search term)
        for _ in range(MAX_ROUNDS):
            before = (len(person.identifiers), len(person.keys), len(person.items), len(person.staged))
            person.keys.update(_first_key(i) for i in person.identifiers)
            ids, keys = sorted(person.identifiers), sorted(person.keys)
            cur.execute("SELECT old_key, new_key FROM core.customer_key_merge WHERE old_key = ANY(%s) OR"
                        " new_key = ANY(%s)", (keys, keys))
            merged = {k for row in cur.fetchall() for k in row}
            person.keys |= merged
            seen_keys |= merged
            keys = sorted(person.keys)
            cur.execute("SELECT identifier, customer_key FROM core.customer_identifier WHERE identifier = ANY(%s)"
                        " OR customer_key = ANY(%s)", (ids, keys))
            for identifier, key in cur.fetchall():
                person.identifiers.add(identifier)
                person.keys.add(key)
                seen_keys.add(key)
            cur.execute("SELECT identifier_a, identifier_b FROM core.identity_link WHERE identifier_a = ANY(%s)"
                        " OR identifier_b = ANY(%s)", (ids, ids))
            person.identifiers.update(i for row in cur.fetchall() for i in row)
            found = []
            for table in ("core.feedback_item", *sorted(self.staged & {"raw.staged_item"})):
                cur.execute(sql.SQL(ITEMS_BY_ID_SQL).format(_table(table)),
                            {"keys": sorted(person.keys), "ids": sorted(person.identifiers)})
                found += [(table, *row) for row in cur.fetchall()]
            for table, item_id, key, record_id, day, customer_ids in found:
                if table == "core.feedback_item":
                    person.items[item_id] = (key, record_id, day)
                else:
                    person.staged[item_id] = record_id
                if key:
                    person.keys.add(key)
                    seen_keys.add(key)
                person.identifiers.update(f"{k}:{v}" for k, v in (customer_ids or {}).items())
            if (len(person.identifiers), len(person.keys), len(person.items), len(person.staged)) == before:
                break
        else:
            raise ForgetError(f"the person's identifiers still grew after {MAX_ROUNDS} rounds of links; check "
                              "core.identity_link for links joining unrelated customers")
        person.keys.discard(None)
        if customer and customer not in seen_keys:
            person.keys.discard(customer)
        person.terms.update(_clear_terms(person.identifiers))
        cur.execute("SELECT text FROM core.feedback_item WHERE item_id = ANY(%s::uuid[]) AND length(text) >= %s",
                    (sorted(person.items), MIN_PHRASE_CHARS))
        person.phrases = {text for (text,) in cur.fetchall()}
        return person

    def own_records(self, person: _Person) -> dict[int, object]:
        """The person's raw records: those of their items and reposts, with their payloads."""
        record_ids = {record_id for _, record_id, _ in person.items.values()} | set(person.staged.values())
        for table in ("core.repost", *sorted(self.staged & {"raw.staged_repost"})):
            self.cur.execute(sql.SQL("SELECT record_id FROM {} WHERE customer_key = ANY(%s)").format(_table(table)),
                             (sorted(person.keys),))
            record_ids.update(r for (r,) in self.cur.fetchall())
        self.cur.execute("SELECT record_id, payload FROM raw.record WHERE record_id = ANY(%s)", (sorted(record_ids),))
        return dict(self.cur.fetchall())

    def erase_core(self, person: _Person) -> None:
        cur, items, keys, ids = self.cur, sorted(person.items), sorted(person.keys), sorted(person.identifiers)
        for table in ("core.enrichment", "core.item_context"):  # cascade with the items; counted for the audit
            cur.execute(sql.SQL("SELECT count(*) FROM {} WHERE item_id = ANY(%s::uuid[])").format(_table(table)),
                        (items,))
            self.count(table, cur.fetchone()[0])
        cur.execute("DELETE FROM core.feedback_item WHERE item_id = ANY(%s::uuid[])", (items,))
        self.count("core.feedback_item", cur.rowcount)
        cur.execute("DELETE FROM core.repost WHERE customer_key = ANY(%s)", (keys,))
        self.count("core.repost", cur.rowcount)
        if "raw.staged_item" in self.staged:
            cur.execute("DELETE FROM raw.staged_item WHERE item_id = ANY(%s::uuid[])", (sorted(person.staged),))
            self.count("raw.staged_item", cur.rowcount)
        if "raw.staged_repost" in self.staged:
            cur.execute("DELETE FROM raw.staged_repost WHERE customer_key = ANY(%s)", (keys,))
            self.count("raw.staged_repost", cur.rowcount)
        cur.execute("DELETE FROM core.identity_link WHERE identifier_a = ANY(%s) OR identifier_b = ANY(%s)", (ids, ids))
        self.count("core.identity_link", cur.rowcount)
        cur.execute("DELETE FROM core.customer_identifier WHERE identifier = ANY(%s) OR customer_key = ANY(%s)",
                    (ids, keys))
        self.count("core.customer_identifier", cur.rowcount)
        cur.execute("DELETE FROM core.customer_key_merge WHERE old_key = ANY(%s) OR new_key = ANY(%s)", (keys, keys))
        self.count("core.customer_key_merge", cur.rowcount)

    def erase_raw(self, person: _Person, own: dict[int, object], erasure_id: int) -> None:
        """Tombstone the person's records and those only they are found in; in a record another customer's item
        still needs (a retweet of their post, a mail that names them), scrub their identifiers and words."""
        cur = self.cur
        mentioned: dict[int, object] = {}
        if person.terms:
            cur.execute("SELECT record_id, payload FROM raw.record WHERE payload::text ~* %s"
                        " AND NOT payload ? '_removed'", (_word_pattern(person.terms),))
            mentioned = {r: p for r, p in cur.fetchall() if r not in own}
        cur.execute("SELECT r.record_id, r.payload FROM core.repost AS p JOIN raw.record AS r USING (record_id)"
                    " WHERE p.original_item_id = ANY(%s::uuid[])", (sorted(person.items),))
        mentioned.update((r, p) for r, p in cur.fetchall() if r not in own)  # copies of their posts
        payloads = {**mentioned, **own}
        candidates = sorted(payloads)
        still_used = set()  # by other customers' rows (the person's are gone)
        for table in ("core.feedback_item", "core.repost", *sorted(self.staged)):
            cur.execute(sql.SQL("SELECT DISTINCT record_id FROM {} WHERE record_id = ANY(%s)").format(_table(table)),
                        (candidates,))
            still_used.update(r for (r,) in cur.fetchall())
        tombstone = Json({"_removed": {"by": "erasure", "erasure_id": erasure_id}})
        gone = [r for r in candidates if r not in still_used and not _is_tombstone(payloads[r])]
        if gone:
            cur.execute("UPDATE raw.record SET payload = %s WHERE record_id = ANY(%s)", (tombstone, gone))
            self.count("raw.record", cur.rowcount)
        if person.terms or person.phrases:
            pattern = _scrub_pattern(person.terms, person.phrases)
            for record_id in sorted(still_used):
                cleaned = scrub(payloads[record_id], pattern)
                if cleaned != payloads[record_id]:
                    cur.execute("UPDATE raw.record SET payload = %s WHERE record_id = %s", (Json(cleaned), record_id))
                    self.count("raw.record (mentions scrubbed)", cur.rowcount)

    def erase_quarantine(self, person: _Person, own_hashes: list[str], erasure_id: int) -> None:
        """Tombstone the quarantined records that hold the person's identifiers (payload, reason or original
        bytes) or are their records: the row and its key stay, so loading the same file again rejects nothing
        new, but it is closed (``resolved_at``) and holds nothing of theirs."""
        if not person.terms and not own_hashes:
            return
        terms = sorted(person.terms) or ["\x01never\x01"]
        self.cur.execute(
            "SELECT quarantine_id, source, record_hash, reason FROM raw.quarantine"
            " WHERE NOT starts_with(payload, '{\"_removed\"')"
            " AND (payload ~* %(text)s OR reason ~* %(text)s OR encode(original, 'escape') ~* %(bytes)s"
            " OR record_hash = ANY(%(hashes)s))",
            {"text": _word_pattern(terms), "bytes": _bytes_pattern(terms), "hashes": own_hashes})
        rows = self.cur.fetchall()
        pattern = _python_pattern(terms)
        tombstone = json.dumps({"_removed": {"by": "erasure", "erasure_id": erasure_id}})
        seen = set()
        for quarantine_id, source, record_hash, reason in rows:
            # A reason quoting their details is scrubbed; that row's key changes, so re-loading the same
            # file would reject that one record again.
            reason = pattern.sub(ERASED, reason)
            if (source, record_hash, reason) in seen:  # two reasons that differed only in their details
                self.cur.execute("DELETE FROM raw.quarantine WHERE quarantine_id = %s", (quarantine_id,))
                continue
            seen.add((source, record_hash, reason))
            self.cur.execute("UPDATE raw.quarantine SET payload = %s, original = NULL, reason = %s,"
                             " resolved_at = coalesce(resolved_at, now()) WHERE quarantine_id = %s",
                             (tombstone, reason, quarantine_id))
        self.count("raw.quarantine", len(rows))

    def traces(self, person: _Person) -> dict[str, int]:
        """Rows of any raw, core or mart table whose text, JSON or bytes still hold one of the person's
        clear identifiers, hashed identifiers or customer keys."""
        needles = person.terms | person.identifiers | person.keys
        if not needles:
            return {}
        text_pattern, bytes_pattern = _word_pattern(needles), _bytes_pattern(needles)
        found = {}
        self.cur.execute(TEXT_COLUMNS_SQL)
        for schema, table, column, type_ in self.cur.fetchall():
            target = sql.SQL("encode({}, 'escape')" if type_ == "bytea" else "{}::text").format(sql.Identifier(column))
            self.cur.execute(sql.SQL("SELECT count(*) FROM {}.{} WHERE {} ~* %s").format(
                sql.Identifier(schema), sql.Identifier(table), target),
                (bytes_pattern if type_ == "bytea" else text_pattern,))
            if n := self.cur.fetchone()[0]:
                found[f"{schema}.{table}.{column}"] = n
        return found


# Every text-like column of every base table in the warehouse's own schemas (names come from the catalog).
TEXT_COLUMNS_SQL = """
SELECT c.table_schema, c.table_name, c.column_name, c.data_type
FROM information_schema.columns AS c
JOIN information_schema.tables AS t USING (table_schema, table_name)
WHERE t.table_type = 'BASE TABLE' AND c.table_schema IN ('raw', 'core', 'mart')
  AND (c.data_type IN ('text', 'character varying', 'character', 'json', 'jsonb', 'bytea')
       OR c.udt_name IN ('_text', '_varchar'))
ORDER BY 1, 2, 3
"""


def _table(name: str) -> sql.Identifier:
    return sql.Identifier(*name.split("."))


def _is_tombstone(payload) -> bool:
    return isinstance(payload, dict) and set(payload) == {"_removed"}


def _check_request(customer: str | None, email: str | None, reference: str | None) -> None:
    if (customer is None) == (email is None):
        raise ForgetError("name the person with exactly one of a customer key or an e-mail address")
    if customer is not None and not customer.strip():
        raise ForgetError("the customer key is empty")
    if email is not None and not EMAIL.fullmatch(email.strip()):
        raise ForgetError("the e-mail address does not look like one (name@domain.tld)")
    given = (customer or email or "").strip().casefold()
    if reference and given and given in reference.casefold():
        raise ForgetError("the reference holds the person's identifier; the audit log must not: give a ticket id")


def forget(engine: Engine, *, customer: str | None = None, email: str | None = None, exports: Path | None = None,
           reference: str | None = None, dry_run: bool = False) -> ForgetReport:
    """Erase the person named by ``customer`` (a customer key) or ``email`` from every layer; see the module doc.

    Writes ``raw.erasure_log`` (one row, unless ``dry_run``), deletes or tombstones the person's rows in
    ``raw`` and ``core``, and re-writes the extract folders of the affected days under ``exports``. Running
    it again finds nothing and changes nothing but the audit log.
    """
    _check_request(customer, email, reference)
    customer = customer.strip() if customer else None
    email = email.strip() if email else None
    report = ForgetReport()
    with raw_transaction(engine) as raw_conn:
        with raw_conn.cursor() as cur:
            eraser = _Eraser(cur)
            eraser.lock()
            person = eraser.find(customer=customer, email=email)
            own = eraser.own_records(person)
            person.terms.update(_contact_terms(own.values(), person.identifiers))
            report.export_days = sorted({day for _, _, day in person.items.values()})
            cur.execute("INSERT INTO raw.erasure_log (selector, reference, export_days, exports_done_at)"
                        " VALUES (%s, %s, %s, CASE WHEN %s THEN NULL ELSE clock_timestamp() END) RETURNING erasure_id",
                        ("customer" if customer else "email", reference, report.export_days,
                         bool(report.export_days)))
            report.erasure_id = cur.fetchone()[0]
            cur.execute("SELECT record_hash FROM raw.record WHERE record_id = ANY(%s)", (sorted(own),))
            own_hashes = [h for (h,) in cur.fetchall()]
            eraser.erase_core(person)
            eraser.erase_raw(person, own, report.erasure_id)
            eraser.erase_quarantine(person, own_hashes, report.erasure_id)
            report.counts = eraser.counts
            report.found = any(eraser.counts.values())
            report.traces = eraser.traces(person)
            cur.execute("UPDATE raw.erasure_log SET counts = %s, finished_at = clock_timestamp() WHERE erasure_id = %s",
                        (Json(report.counts), report.erasure_id))
            terms = person.terms
        if dry_run:
            raw_conn.rollback()
            report.erasure_id = None
            return report
    if exports is not None:
        report.exports_rewritten = rewrite_exports(engine, Path(exports), terms)
    return report


def _folder_mentions(folder: Path, pattern: re.Pattern | None) -> bool:
    if pattern is None:
        return False
    import html

    for path in folder.iterdir():
        if path.is_file():
            text = path.read_text(encoding="utf-8", errors="replace")
            if pattern.search(text) or pattern.search(html.unescape(text)):
                return True
    return False


def rewrite_exports(engine: Engine, exports: Path, terms: Iterable[str] = ()) -> list[Path]:
    """Re-write the extract folders of every erasure whose exports are still to do, and any folder that
    mentions ``terms``; mark those erasures done. Returns the folders re-written."""
    from voc.pipeline.extract.report import write_extract

    parent = exports / "complaint_trends"
    with engine.connect() as conn:
        pending = conn.exec_driver_sql(
            "SELECT erasure_id, export_days FROM raw.erasure_log WHERE exports_done_at IS NULL ORDER BY 1").all()
    days = {day for _, export_days in pending for day in export_days or []}
    terms = set(terms)
    pattern = _python_pattern(terms) if terms else None
    if parent.is_dir():
        for folder in parent.iterdir():
            if folder.is_dir() and not folder.name.startswith(".") and _folder_mentions(folder, pattern):
                try:
                    days.add(date.fromisoformat(folder.name))
                except ValueError:
                    log.warning("%s mentions the erased person but is not a day's extract; remove it by hand", folder)
    rewritten = []
    for day in sorted(days):
        if (parent / day.isoformat()).is_dir():
            rewritten.append(write_extract(engine, day, exports).folder)
    with engine.begin() as conn:
        for erasure_id, _ in pending:
            conn.exec_driver_sql("UPDATE raw.erasure_log SET exports_rewritten = exports_rewritten + %s,"
                                 " exports_done_at = clock_timestamp() WHERE erasure_id = %s",
                                 (len(rewritten), erasure_id))
    return rewritten


def audit_log(engine: Engine, limit: int = 20) -> list[dict]:
    """The latest erasure requests, newest first (``raw.erasure_log``)."""
    with engine.connect() as conn:
        rows = conn.exec_driver_sql(
            "SELECT erasure_id, requested_at, selector, reference, counts, export_days, exports_rewritten,"
            " exports_done_at, finished_at FROM raw.erasure_log ORDER BY erasure_id DESC LIMIT %s", (limit,)).mappings()
        return [dict(r) for r in rows]


