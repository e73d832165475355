"""Insert feedback items with given enrichment straight into core, for mart tests that need exact inputs."""

from __future__ import annotations

import itertools
import json
import uuid
from datetime import datetime

_ids = itertools.count(1)


def seed_items(engine, rows: list[dict]) -> None:
    """Insert items; each row: occurred_at, channel, text, sentiment, label, topics[(theme, topic, complaint)],
    is_complaint, stage, nps/csat/ces, customer_key, record (shared record id key for multi-text responses)."""
    with engine.begin() as conn:
        load_id = conn.exec_driver_sql(
            "INSERT INTO raw.load_batch (source, kind, location, content_sha256) VALUES ('seed', 'test', 'seed', "
            f"'{uuid.uuid4().hex}') RETURNING load_id").scalar_one()
        records: dict[str, int] = {}
        for row in rows:
            key = row.get("record") or f"r{next(_ids)}"
            if key not in records:
                records[key] = conn.exec_driver_sql(
                    "INSERT INTO raw.record (load_id, source, location, record_hash, payload) "
                    "VALUES (%s, 'seed', 'seed', %s, '{}') RETURNING record_id", (load_id, uuid.uuid4().hex)
                ).scalar_one()
            item_id = str(uuid.uuid4())
            when = row["occurred_at"]
            if isinstance(when, str):
                when = datetime.fromisoformat(when)
            conn.exec_driver_sql(
                "INSERT INTO core.feedback_item (item_id, source, source_item_key, channel, is_aided, occurred_at,"
                " customer_key, text, nps, csat, ces, contract_version, record_id, load_id)"
                " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, 'feedback_item.v1', %s, %s)",
                (item_id, row.get("source", "seed"), item_id, row.get("channel", "survey"),
                 row.get("channel", "survey") == "survey", when, row.get("customer_key"), row.get("text", "x"),
                 row.get("nps"), row.get("csat"), row.get("ces"), records[key], load_id),
            )
            topics = [
                {"theme": t[0], "topic": t[1], "complaint": t[2],
                 "sentiment": {"label": row.get("label", "neutral"), "score": row.get("sentiment", 0.0)},
                 "evidence": [{"start": 0, "end": 1, "text": "x", "rule": "test"}]}
                for t in row.get("topics", [])
            ]
            conn.exec_driver_sql(
                "INSERT INTO core.enrichment (item_id, sentiment_compound, sentiment_label, topics, journey_stage,"
                " stage_reason, nlp_version, language, is_complaint, intents, taxonomy_version)"
                " VALUES (%s, %s, %s, %s, %s, 'test', 'test', 'en', %s, %s, 'test@1')",
                (item_id, row.get("sentiment", 0.0), row.get("label", "neutral"), json.dumps(topics),
                 row.get("stage"), row.get("is_complaint", False), row.get("intents", [])),
            )
