"""One customer across channels: link identifiers, resolve them into customer keys, keep merge history.

Rules, deterministic and explainable (never a name alone):
  * ``same_item``: identifiers found together on one feedback item (a survey with customer id and
    e-mail, a ticket requester with e-mail and account id) belong to one customer;
  * ``crm_link``: identifiers on one row of a CRM export belong to one customer.
Linked identifiers form one customer. A customer keeps its key as new identifiers join; when a
link joins two customers, the smaller key survives and the other is recorded in
``core.customer_key_merge``, so nothing of either history is lost.
"""

from __future__ import annotations

import csv
import hashlib
from dataclasses import dataclass
from pathlib import Path

from psycopg2.extras import execute_values
from sqlalchemy import Engine

from voc.pipeline.copy_merge import copy_merge
from voc.pipeline.db.transaction import raw_transaction
from voc.pipeline.identity import IDENTIFIER_KINDS, protect

# Items whose customer key is still the one the loader gave them ("kind:value", pipeline.identity.customer_key):
# new or changed since the last resolution. Resolved keys start with "cust_" (new_key); an identifier kind
# never does. The condition is the predicate of the partial index core.feedback_item_unresolved_idx (migration
# 0009), so they are found without reading the items already resolved.
PENDING_ITEMS_SQL = r"""
DROP TABLE IF EXISTS pg_temp.identity_pending;
CREATE TEMP TABLE identity_pending ON COMMIT DROP AS
SELECT f.item_id, f.source, f.loaded_at, f.customer_ids,
       -- the identifier whose customer the item gets (REKEY_PENDING_SQL), computed once per item
       (SELECT min(x.k || ':' || x.v) FROM jsonb_each_text(f.customer_ids) AS x(k, v)) AS smallest
FROM core.feedback_item AS f
WHERE f.customer_ids <> '{}'::jsonb AND (f.customer_key IS NULL OR f.customer_key NOT LIKE 'cust\_%');
"""

SAME_ITEM_LINKS_SQL = """
INSERT INTO core.identity_link (identifier_a, identifier_b, rule, source, evidence)
SELECT DISTINCT ON (a, b) a, b, 'same_item', source, item_id::text
FROM (
    SELECT f.source, f.item_id, f.loaded_at, x.k || ':' || x.v AS a, y.k || ':' || y.v AS b
    FROM identity_pending AS f,
         jsonb_each_text(f.customer_ids) AS x(k, v),
         jsonb_each_text(f.customer_ids) AS y(k, v)
    WHERE x.k || ':' || x.v < y.k || ':' || y.v
) AS pairs
ORDER BY a, b, loaded_at, item_id
ON CONFLICT DO NOTHING
"""

ITEM_IDENTIFIERS_SQL = """
SELECT DISTINCT x.k || ':' || x.v, x.k
FROM identity_pending AS f, jsonb_each_text(f.customer_ids) AS x(k, v)
"""

# The pending items take the customer of their smallest identifier. Joined through the temporary table: an
# UPDATE joining core.feedback_item to itself to find the pending ones took about 12% more server CPU over the
# whole resolution of 200k items (9.5-10.4 s against 8.8-9.0 s).
REKEY_PENDING_SQL = """
UPDATE core.feedback_item AS f
SET customer_key = ci.customer_key
FROM identity_pending AS p
JOIN core.customer_identifier AS ci ON ci.identifier = p.smallest
WHERE f.item_id = p.item_id
  AND f.customer_key IS DISTINCT FROM ci.customer_key
"""

# Items resolved earlier that still carry a key this run retired (a merge) follow it to the survivor.
REKEY_RETIRED_SQL = """
UPDATE core.feedback_item AS f
SET customer_key = ci.customer_key
FROM core.feedback_item AS g
CROSS JOIN LATERAL (
    SELECT min(x.k || ':' || x.v) AS identifier FROM jsonb_each_text(g.customer_ids) AS x(k, v)
) AS smallest
JOIN core.customer_identifier AS ci ON ci.identifier = smallest.identifier
WHERE g.item_id = f.item_id
  AND g.customer_key = ANY(%(retired)s)
  AND g.customer_ids <> '{}'::jsonb
  AND f.customer_key IS DISTINCT FROM ci.customer_key
"""


@dataclass
class ResolveReport:
    identifiers: int = 0
    customers: int = 0
    new_links: int = 0
    merges: int = 0
    items_rekeyed: int = 0
    pending_items: int = 0  # items read: new or changed since the last resolution

    def __str__(self) -> str:
        return (f"{self.identifiers} identifiers -> {self.customers} customers; {self.new_links} new links, "
                f"{self.merges} merges, {self.items_rekeyed} items re-keyed ({self.pending_items} items to resolve)")


def new_key(identifiers: list[str]) -> str:
    """Key for a customer seen for the first time: a digest of its smallest identifier (no personal data)."""
    return "cust_" + hashlib.sha256(min(identifiers).encode()).hexdigest()[:16]


class _Components:
    """Union-find over identifiers."""

    def __init__(self) -> None:
        self.parent: dict[str, str] = {}

    def find(self, x: str) -> str:
        parent = self.parent.setdefault(x, x)
        while parent != self.parent[parent]:
            self.parent[parent] = self.parent[self.parent[parent]]
            parent = self.parent[parent]
        self.parent[x] = parent
        return parent

    def union(self, a: str, b: str) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)

    def groups(self) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {}
        for x in self.parent:
            out.setdefault(self.find(x), []).append(x)
        return out


def load_crm_links(engine: Engine, path: Path, *, source: str = "crm") -> int:
    """Read a CRM export (CSV, one customer per row, columns named by identifier kind) into
    ``core.identity_link`` (rule ``crm_link``, contact details hashed); return the new links."""
    rows = []
    with path.open(newline="", encoding="utf-8-sig") as fh:
        reader = csv.DictReader(fh)
        unknown = [c for c in reader.fieldnames or [] if c not in IDENTIFIER_KINDS]
        if unknown or not reader.fieldnames:
            raise ValueError(f"{path}: columns must be identifier kinds ({', '.join(IDENTIFIER_KINDS)}); "
                             f"unknown: {', '.join(unknown) or '(no header)'}")
        for row in reader:
            found = {k: v for k, v in row.items() if v and v.strip()}
            ids = sorted(f"{k}:{v}" for k, v in protect(found).items())
            rows += [(a, b, "crm_link", source, f"{path.name}:{reader.line_num}") for a in ids[:1] for b in ids[1:]]
    if not rows:
        return 0
    with raw_transaction(engine) as raw_conn:
        with raw_conn.cursor() as cur:
            new = execute_values(cur, "INSERT INTO core.identity_link (identifier_a, identifier_b, rule, source,"
                                      " evidence) VALUES %s ON CONFLICT DO NOTHING RETURNING 1", rows, fetch=True)
    return len(new)


def resolve_customers(engine: Engine) -> ResolveReport:
    """Link identifiers found together, resolve every identifier to a customer key, re-key the items.

    Incremental: reads only the items not yet resolved (new or changed since the last run, found by a
    partial index) from ``core.feedback_item``, plus ``core.identity_link`` and ``core.customer_identifier``
    whole (one row per identifier or link, far fewer than items). Writes ``core.identity_link``,
    ``core.customer_identifier``, ``core.customer_key_merge`` and ``core.feedback_item.customer_key`` of the
    pending items and of the items whose customer a link merged into another.
    """
    report = ResolveReport()
    with raw_transaction(engine) as raw_conn:
        with raw_conn.cursor() as cur:
            cur.execute("SELECT pg_advisory_xact_lock(hashtext('voc-identity'))")
            cur.execute(PENDING_ITEMS_SQL)
            cur.execute("SELECT count(*) FROM identity_pending")
            report.pending_items = cur.fetchone()[0]
            cur.execute(SAME_ITEM_LINKS_SQL)
            report.new_links = cur.rowcount
            cur.execute(ITEM_IDENTIFIERS_SQL)
            kinds = dict(cur.fetchall())
            cur.execute("SELECT identifier_a, identifier_b, evidence FROM core.identity_link")
            links = cur.fetchall()
            cur.execute("SELECT identifier, kind, customer_key FROM core.customer_identifier")
            existing = {}
            for identifier, kind, key in cur.fetchall():
                existing[identifier] = key
                kinds.setdefault(identifier, kind)

            components = _Components()
            for identifier in kinds:
                components.find(identifier)
            for a, b, _ in links:
                kinds.setdefault(a, a.split(":", 1)[0])
                kinds.setdefault(b, b.split(":", 1)[0])
                components.union(a, b)

            assignments, merges = [], []
            for members in components.groups().values():
                old_keys = sorted({existing[m] for m in members if m in existing})
                key = old_keys[0] if old_keys else new_key(members)
                for retired in old_keys[1:]:
                    evidence = next((e for a, b, e in links if {existing.get(a), existing.get(b)} == {key, retired}),
                                    "a chain of links")
                    merges.append((retired, key, f"joined by {evidence}"))
                assignments += [(m, kinds[m], key) for m in members if existing.get(m) != key]

            if assignments:  # one row per identifier (a group lists each once), so one merge can take them all
                copy_merge(cur, "core.customer_identifier", ("identifier", "kind", "customer_key"), assignments,
                           conflict=("identifier",), update=("customer_key",), update_now=("resolved_at",))
            if merges:
                execute_values(cur, "INSERT INTO core.customer_key_merge (old_key, new_key, reason) VALUES %s"
                                    " ON CONFLICT (old_key) DO NOTHING", merges)
                # a key retired earlier that pointed at a key retired now follows it to the survivor
                execute_values(cur, "UPDATE core.customer_key_merge m SET new_key = v.new_key FROM (VALUES %s)"
                                    " AS v(old_key, new_key) WHERE m.new_key = v.old_key",
                               [(old, new) for old, new, _ in merges])
            cur.execute(REKEY_PENDING_SQL)
            report.items_rekeyed = cur.rowcount
            if merges:
                cur.execute(REKEY_RETIRED_SQL, {"retired": [old for old, _, _ in merges]})
                report.items_rekeyed += cur.rowcount
            report.identifiers = len(kinds)
            report.customers = len(components.groups())
            report.merges = len(merges)
    return report
