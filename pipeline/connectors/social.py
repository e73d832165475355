"""Social posts (unaided feedback): X/Twitter API v2 search responses as JSON Lines, or a CSV with a column mapping.

Each line of a ``.jsonl`` file is one search response page: ``data[]`` posts with ``id``, ``text``,
``author_id``, ``created_at``, ``lang``, ``conversation_id``, ``referenced_tweets`` and ``includes.users[]``
for handles. A post becomes one item; a repost (retweet) is not new feedback and is counted on the
original in ``core.repost``; a reply keeps its conversation id and the post it answers.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from voc.pipeline.connectors.base import RecordError, SourceRecord
from voc.pipeline.connectors.columns import ColumnMapping, language, parse_when
from voc.pipeline.connectors.files import read_csv, read_json_lines
from voc.schemas import item_id

SUFFIXES = (".jsonl", ".ndjson", ".csv")


def read_social_file(path: Path) -> Iterator[SourceRecord]:
    """Yield one record per post: API pages are split into posts, each carrying its author from ``includes``."""
    suffix = path.suffix.lower()
    if suffix == ".csv":
        yield from read_csv(path)
    elif suffix in (".jsonl", ".ndjson"):
        yield from _read_api_pages(path)
    else:
        raise ValueError(f"{path}: unsupported social file type {suffix!r} (use {', '.join(SUFFIXES)})")


def _read_api_pages(path: Path) -> Iterator[SourceRecord]:
    for line in read_json_lines(path):
        if line.error:
            yield line.error
            continue
        location = f"{path.name}:{line.number}"
        page = line.value
        if not isinstance(page, dict) or not isinstance(page.get("data", []), list):
            yield SourceRecord(location, page, error="expected a search response object with a data[] list",
                               original=line.original)
            continue
        includes = page.get("includes") if isinstance(page.get("includes"), dict) else {}
        users = {str(u.get("id")): u for u in _list(includes.get("users")) if isinstance(u, dict)}
        tweets = {str(t.get("id")): t for t in _list(includes.get("tweets")) if isinstance(t, dict)}
        for index, post in enumerate(page.get("data") or []):
            where = f"{location}:data[{index}]"
            if not isinstance(post, dict):
                yield SourceRecord(where, post, error="a post must be a JSON object", original=line.original)
                continue
            author = users.get(str(post.get("author_id")))
            refs = [tweets[str(r.get("id"))] for r in _list(post.get("referenced_tweets"))
                    if isinstance(r, dict) and str(r.get("id")) in tweets]
            payload = {"data": post, "includes": {"users": [author] if author else [], "tweets": refs}}
            yield SourceRecord(where, payload)


def _list(value) -> list:
    return value if isinstance(value, list) else []


def to_items(record: SourceRecord, mapping: ColumnMapping, source: str) -> list[dict]:
    """Return the item of one post (or its repost row), or raise ``RecordError``."""
    payload = record.payload
    if not isinstance(payload, dict):
        raise RecordError("a post must be an object")
    if isinstance(payload.get("data"), dict):
        return _api_post(payload, record.location, source)
    return _csv_post(payload, record.location, mapping, source)


def _api_post(payload: dict, location: str, source: str) -> list[dict]:
    post = payload["data"]
    post_id = str(post.get("id") or "").strip()
    if not post_id:
        raise RecordError("id: the post has no id")
    created = post.get("created_at")
    if not isinstance(created, str) or not created.strip():
        raise RecordError("occurred_at: the post has no created_at")
    when = parse_when(created, "created_at")
    includes = payload.get("includes") if isinstance(payload.get("includes"), dict) else {}
    users = [u for u in _list(includes.get("users")) if isinstance(u, dict)]
    author = users[0] if users else {}
    ids = {}
    if author.get("username"):
        ids["handle"] = "@" + str(author["username"]).lstrip("@")
    if post.get("author_id"):
        ids["external_id"] = f"x:{post['author_id']}"
    refs = {r.get("type"): str(r.get("id")) for r in _list(post.get("referenced_tweets")) if isinstance(r, dict)}
    if "retweeted" in refs:
        return [{"repost_of": refs["retweeted"], "repost_key": post_id, "occurred_at": when, "customer_ids": ids}]
    text = post.get("text")
    if not isinstance(text, str):
        raise RecordError("text: the post has no text")
    attributes = {k: v for k, v in (("quoted", refs.get("quoted")), ("metrics", post.get("public_metrics")),
                                    ("author_name", author.get("name"))) if v}
    return [_item(source, post_id, when, ids, text.strip() or None, language(post.get("lang")), location, {
        "thread_key": str(post["conversation_id"]) if post.get("conversation_id") else None,
        "parent_key": refs.get("replied_to"),
        "attributes": attributes,
    })]


def _csv_post(row: dict, location: str, mapping: ColumnMapping, source: str) -> list[dict]:
    post_id = mapping.required(row, "id")
    when = parse_when(mapping.required(row, "occurred_at"), f"column {mapping.columns['occurred_at']!r}",
                      mapping.timezone)
    ids = mapping.customer_ids(row)
    if "handle" in ids:
        ids["handle"] = "@" + ids["handle"].lstrip("@")
    repost_of = mapping.cell(row, "repost_of")
    if repost_of:
        return [{"repost_of": repost_of, "repost_key": post_id, "occurred_at": when, "customer_ids": ids}]
    return [_item(source, post_id, when, ids, mapping.cell(row, "text"), language(mapping.cell(row, "language")),
                  location, {"thread_key": mapping.cell(row, "thread_key"),
                             "parent_key": mapping.cell(row, "parent_key")})]


def _item(source, key, when, ids, text, lang, location, context) -> dict:
    return {
        "item_id": item_id(source, key), "source": source, "source_item_key": key, "channel": "social",
        "aided": False, "occurred_at": when, "customer_ids": ids, "text": text, "language": lang,
        "raw_ref": location, "context": {k: v for k, v in context.items() if v},
    }
