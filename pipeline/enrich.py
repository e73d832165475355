"""Tag feedback items with the NLP pipeline: reads ``core.feedback_item``, writes ``core.enrichment``.

Items are claimed in batches with ``FOR UPDATE SKIP LOCKED``, so several workers can run at once
without tagging an item twice, and an item whose worker died is simply claimed again.
"""

from __future__ import annotations

from dataclasses import dataclass

from psycopg2.extras import Json, execute_values
from sqlalchemy import Engine

CLAIM_SQL = """
SELECT f.item_id, f.text
FROM core.feedback_item AS f
WHERE NOT EXISTS (SELECT 1 FROM core.enrichment AS e WHERE e.item_id = f.item_id)
ORDER BY f.item_id
LIMIT %s
FOR UPDATE OF f SKIP LOCKED
"""

# The claim query's snapshot may predate another worker's commit; holding the row lock now, a fresh
# statement sees that commit, so items tagged meanwhile are dropped from the claim.
RECHECK_SQL = "SELECT item_id FROM core.enrichment WHERE item_id = ANY(%s::uuid[])"

UPSERT_SQL = """
INSERT INTO core.enrichment (item_id, sentiment_compound, sentiment_label, topics, journey_stage,
    stage_reason, nlp_version)
VALUES %s
ON CONFLICT (item_id) DO UPDATE SET
    sentiment_compound = EXCLUDED.sentiment_compound, sentiment_label = EXCLUDED.sentiment_label,
    topics = EXCLUDED.topics, journey_stage = EXCLUDED.journey_stage,
    stage_reason = EXCLUDED.stage_reason, nlp_version = EXCLUDED.nlp_version, enriched_at = now()
"""


@dataclass
class EnrichReport:
    enriched: int = 0
    batches: int = 0

    def __str__(self) -> str:
        return f"enriched {self.enriched} items in {self.batches} batches"


def enrich_pending(engine: Engine, *, batch_size: int = 1_000, limit: int | None = None, nlp=None) -> EnrichReport:
    """Tag every item not yet enriched (at most ``limit``); each batch commits on its own."""
    from voc.nlp import NLP_VERSION, build_nlp

    nlp = nlp or build_nlp()
    report = EnrichReport()
    while limit is None or report.enriched < limit:
        size = batch_size if limit is None else min(batch_size, limit - report.enriched)
        raw_conn = engine.raw_connection()
        try:
            with raw_conn.cursor() as cur:
                cur.execute(CLAIM_SQL, (size,))
                claimed = cur.fetchall()
                if not claimed:
                    raw_conn.commit()
                    break
                cur.execute(RECHECK_SQL, ([str(item) for item, _ in claimed],))
                done_meanwhile = {row[0] for row in cur.fetchall()}
                claimed = [row for row in claimed if row[0] not in done_meanwhile]
                texts = [text or "" for _, text in claimed]
                rows = []
                for (item, _), doc in zip(claimed, nlp.pipe(texts, batch_size=256), strict=True):
                    rows.append((item, doc._.sentiment, doc._.sentiment_label, Json([]), None, None, NLP_VERSION))
                execute_values(cur, UPSERT_SQL, rows)
            raw_conn.commit()
        except BaseException:
            raw_conn.rollback()
            raise
        finally:
            raw_conn.close()
        report.enriched += len(claimed)
        report.batches += 1
    return report
