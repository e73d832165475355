"""Tag feedback items in the common language: reads ``core.feedback_item``, writes ``core.enrichment``.

Grain of ``core.enrichment``: one row per tagged item, recording the ``nlp_version`` and
``taxonomy_version`` that produced it. Items are claimed in batches with ``FOR UPDATE SKIP
LOCKED``, so several workers can run at once without tagging an item twice, and an item whose
worker died is simply claimed again. ``reprocess=True`` also re-tags every item whose versions
differ from the current ones (a backfill after the taxonomy or the pipeline changed).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import orjson
from sqlalchemy import Engine

from voc.pipeline.copy_merge import copy_merge, copy_rows
from voc.pipeline.db.transaction import raw_transaction

# Ids travel as text: no uuid.UUID object per item on the way in, none to format on the way out.
# The keyset bound is stated for core.enrichment as well (it follows from the join): without it the merge
# join reads core.enrichment's primary key from its first entry on every claim, work that grows with the
# items tagged so far (31 ms instead of 10 ms a claim at 25,000 tagged items, and quadratic in all).
CLAIM_NEW_SQL = """
SELECT f.item_id::text, f.text, f.channel, f.survey_id
FROM core.feedback_item AS f
WHERE NOT EXISTS (SELECT 1 FROM core.enrichment AS e WHERE e.item_id = f.item_id
                  AND (%(after)s::uuid IS NULL OR e.item_id > %(after)s::uuid))
  AND (%(after)s::uuid IS NULL OR f.item_id > %(after)s::uuid)
ORDER BY f.item_id
LIMIT %(size)s
FOR UPDATE OF f SKIP LOCKED
"""

CLAIM_OUTDATED_SQL = """
SELECT f.item_id::text, f.text, f.channel, f.survey_id
FROM core.feedback_item AS f
JOIN core.enrichment AS e ON e.item_id = f.item_id
WHERE (e.nlp_version IS DISTINCT FROM %(nlp)s OR e.taxonomy_version IS DISTINCT FROM %(taxonomy)s)
  AND (%(after)s::uuid IS NULL OR f.item_id > %(after)s::uuid)
  AND (%(after)s::uuid IS NULL OR e.item_id > %(after)s::uuid)
ORDER BY f.item_id
LIMIT %(size)s
FOR UPDATE OF f SKIP LOCKED
"""

# The claim query's snapshot may predate another worker's commit; holding the row lock now, a fresh
# statement sees that commit, so items tagged meanwhile (with the current versions) are dropped.
RECHECK_NEW_SQL = "SELECT item_id::text FROM core.enrichment WHERE item_id = ANY(%(ids)s::uuid[])"
RECHECK_OUTDATED_SQL = """
SELECT item_id::text FROM core.enrichment
WHERE item_id = ANY(%(ids)s::uuid[]) AND nlp_version = %(nlp)s AND taxonomy_version = %(taxonomy)s
"""

COLUMNS = ("item_id", "sentiment_compound", "sentiment_label", "topics", "journey_stage", "stage_reason",
           "nlp_version", "language", "is_complaint", "intents", "taxonomy_version", "sentences")


@dataclass
class EnrichReport:
    enriched: int = 0
    retagged: int = 0
    batches: int = 0
    taxonomy_version: str = ""

    def __str__(self) -> str:
        text = f"enriched {self.enriched} items in {self.batches} batches"
        if self.retagged:
            text += f", re-tagged {self.retagged} items of other versions"
        return text + (f" (taxonomy {self.taxonomy_version})" if self.taxonomy_version else "")


def _json(value) -> str:
    # orjson: 2.7 us an item for topics and sentences against 22 us with json.dumps (measured on the
    # benchmark's tags); jsonb parses either text into the same value
    return orjson.dumps(value).decode()


def _row(item_id: str, tags: dict, nlp_version: str, taxonomy_version: str) -> tuple:
    """One ``core.enrichment`` row (``COLUMNS`` order) for ``copy_merge``: JSON as text, intents as a list."""
    sentiment = tags["sentiment"]
    return (item_id, sentiment["score"] if sentiment else None, sentiment["label"] if sentiment else None,
            _json(tags["topics"]), tags["journey_stage"], tags["stage_reason"], nlp_version, tags["language"],
            tags["is_complaint"], tags["intents"], taxonomy_version, _json(tags["sentences"]))


def _run(engine: Engine, tagger, claim_sql: str, recheck_sql: str, size: int,
         after: str | None = None) -> tuple[int, int, str | None]:
    """Claim (item ids above ``after``), tag and store one batch in one transaction.

    Reads and row-locks ``core.feedback_item``; writes ``core.enrichment`` (one row per item): new items by COPY
    straight into it, re-tagged ones by COPY into a temporary table and one ``INSERT ... ON CONFLICT (item_id) DO
    UPDATE`` (``copy_merge``).
    Return (items claimed, items tagged, the highest id claimed).
    """
    from voc.nlp import Item

    params = {"size": size, "nlp": tagger.nlp_version, "taxonomy": tagger.taxonomy_version, "after": after}
    with raw_transaction(engine) as raw_conn:
        with raw_conn.cursor() as cur:
            cur.execute(claim_sql, params)
            claimed = cur.fetchall()
            if not claimed:
                return 0, 0, None
            cur.execute(recheck_sql, {**params, "ids": [row[0] for row in claimed]})
            done_meanwhile = {row[0] for row in cur.fetchall()}
            items = [Item(text=text, id=item_id, channel=channel, survey_id=survey_id)
                     for item_id, text, channel, survey_id in claimed if item_id not in done_meanwhile]
            if items:
                # rows are formatted as the tagger yields them: no tags dict outlives its item
                nlp, taxonomy = tagger.nlp_version, tagger.taxonomy_version
                rows = (_row(item.id, tags, nlp, taxonomy)
                        for item, tags in zip(items, tagger.tag(items), strict=True))
                if claim_sql is CLAIM_NEW_SQL:
                    # New items straight into the table: each is row-locked by this claim and rechecked as untagged,
                    # and every writer of core.enrichment claims first, so no other row for it can appear before
                    # commit. Skips the staging table and the ON CONFLICT merge (docs/benchmarks.md).
                    copy_rows(cur, "core.enrichment", COLUMNS, rows)
                else:
                    copy_merge(cur, "core.enrichment", COLUMNS, rows, conflict=("item_id",), update=COLUMNS[1:],
                               update_now=("enriched_at",))
    return len(claimed), len(items), claimed[-1][0]


def enrich_pending(engine: Engine, *, batch_size: int = 1_000, limit: int | None = None, reprocess: bool = False,
                   taxonomy=None, tagger=None) -> EnrichReport:
    """Tag every item not yet enriched (at most ``limit``); each batch commits on its own.

    With ``reprocess``, then re-tag the items whose ``nlp_version`` or ``taxonomy_version`` differ
    from the current ones. ``taxonomy`` is a path, a bundled name or a ``Taxonomy`` (default: the
    bundled default taxonomy); pass a ready ``tagger`` to reuse one.
    """
    from voc.nlp import Tagger

    tagger = tagger or Tagger(taxonomy or taxonomy_from_env())
    report = EnrichReport(taxonomy_version=tagger.taxonomy_version)
    phases = [("enriched", CLAIM_NEW_SQL, RECHECK_NEW_SQL)]
    if reprocess:
        phases.append(("retagged", CLAIM_OUTDATED_SQL, RECHECK_OUTDATED_SQL))
    for counter, claim_sql, recheck_sql in phases:
        # Claims walk the ids upwards from the last batch (keyset): starting from the lowest id every time
        # re-reads every item tagged so far, which grows with the table. When the walk finds nothing, one
        # more pass from the start picks up what it passed by (items locked by a worker that then failed,
        # or published meanwhile with a lower id).
        after: str | None = None
        while True:
            done = report.enriched + report.retagged
            if limit is not None and done >= limit:
                return report
            size = batch_size if limit is None else min(batch_size, limit - done)
            claimed, tagged, last = _run(engine, tagger, claim_sql, recheck_sql, size, after)
            if not claimed:
                if after is None:
                    break
                after = None
                continue
            after = last
            setattr(report, counter, getattr(report, counter) + tagged)
            report.batches += 1
    return report


def taxonomy_from_env() -> str | Path | None:
    """The taxonomy named by ``VOC_TAXONOMY`` (a file or a bundled name), or None for the default."""
    import os

    return os.environ.get("VOC_TAXONOMY") or None
