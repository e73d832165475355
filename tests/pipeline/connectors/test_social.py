"""Social connector: X API v2 pages and CSV into items; reposts counted on originals; bad input quarantined."""

import json

from tests.helpers import count, table_counts
from voc.pipeline.ingest import ingest_files
from voc.pipeline.load import MAX_RECORD_BYTES


def _user(n):
    return {"id": str(900 + n), "username": f"customer{n}", "name": f"Customer {n}"}


def _post(pid, n, text, when="2026-10-20T08:15:00.000Z", **extra):
    return {"id": str(pid), "text": text, "author_id": str(900 + n), "created_at": when, "lang": "en",
            "conversation_id": str(pid), **extra}


def _page(posts, users):
    return json.dumps({"data": posts, "includes": {"users": users}, "meta": {"result_count": len(posts)}})


def _write(path, lines):
    path.write_bytes(b"\n".join(line if isinstance(line, bytes) else line.encode() for line in lines) + b"\n")
    return path


def test_posts_replies_and_reposts(engine, tmp_path, items):
    page = _page([
        _post(1, 5, "@AcmeRetail my parcel is late again"),
        _post(2, 6, "RT @customer5: @AcmeRetail my parcel is late again",
              referenced_tweets=[{"type": "retweeted", "id": "1"}]),
        _post(3, 7, "RT @customer5: @AcmeRetail my parcel is late again", when="2026-10-20T09:00:00Z",
              referenced_tweets=[{"type": "retweeted", "id": "1"}]),
        _post(4, 5, "Still nothing, third time I ask", when="2026-10-21T10:00:00Z", conversation_id="1",
              referenced_tweets=[{"type": "replied_to", "id": "1"}]),
        _post(5, 6, "und language", lang="und"),
    ], [_user(5), _user(6), _user(7)])
    [report] = ingest_files(engine, "social", [_write(tmp_path / "x.jsonl", [page])], source="x")
    assert (report.read, report.loaded, report.duplicate, report.quarantined) == (5, 5, 0, 0)
    rows = {r["source_item_key"]: r for r in items("x")}
    assert set(rows) == {"1", "4", "5"}  # the two retweets are not new feedback
    assert rows["1"]["channel"] == "social" and rows["1"]["is_aided"] is False
    assert rows["1"]["customer_ids"] == {"handle": "customer5", "external_id": "x:905"}
    assert rows["1"]["customer_key"] == "handle:customer5"
    assert (rows["4"]["thread_key"], rows["4"]["parent_key"]) == ("1", "1")
    assert rows["5"]["language"] is None
    with engine.connect() as conn:
        reposts = conn.exec_driver_sql(
            "SELECT f.source_item_key, count(*) FROM core.repost r JOIN core.feedback_item f"
            " ON f.item_id = r.original_item_id GROUP BY 1").all()
    assert reposts == [("1", 2)]


def test_csv_with_a_column_mapping(engine, tmp_path, items):
    csv = tmp_path / "listening.csv"
    csv.write_text("post,posted,message,who,shared_from\n"
                   "p1,2026-10-01 10:00,Love the new app,@customer9,\n"
                   "p2,2026-10-01 11:00,,@customer8,p1\n", encoding="utf-8")
    mapping = tmp_path / "m.yaml"
    mapping.write_text("kind: social\ntimezone: Europe/London\ncolumns: {id: post, occurred_at: posted, text: message,"
                       " repost_of: shared_from}\ncustomer: {handle: who}\n", encoding="utf-8")
    [report] = ingest_files(engine, "social", [csv], source="listening", mapping=mapping)
    assert (report.loaded, report.quarantined) == (2, 0)
    [row] = items("listening")
    assert row["text"] == "Love the new app" and row["customer_key"] == "handle:customer9"
    assert row["occurred_at"].isoformat() == "2026-10-01T09:00:00+00:00"  # BST read from the mapping's zone
    assert count(engine, "core.repost") == 1


def test_malformed_input_is_quarantined_with_location_reason_and_bytes(engine, tmp_path, quarantine, items):
    good = _page([_post(10, 1, "fine post")], [_user(1)])
    undecodable = _page([_post(11, 1, "caf\udcff")], [_user(1)]).encode("utf-8", "surrogateescape")
    undecodable = undecodable.replace(b"caf\\udcff", b"caf\xff")
    nul = _page([_post(12, 1, "nul \u0000 here")], [_user(1)])
    huge = _page([_post(13, 1, "x" * (MAX_RECORD_BYTES + 10))], [_user(1)])
    lines = [
        good,
        '{"data": [{"id": "14", "text": "truncated',
        _page([{"text": "no id", "author_id": "901", "created_at": "2026-10-20T08:15:00Z"}], [_user(1)]),
        _page([_post(15, 1, "when?", when="yesterday-ish")], [_user(1)]),
        undecodable,
        nul,
        huge,
    ]
    path = _write(tmp_path / "bad.jsonl", lines)
    [report] = ingest_files(engine, "social", [path], source="x")
    assert (report.read, report.loaded, report.quarantined) == (7, 1, 6)
    assert [r["source_item_key"] for r in items("x")] == ["10"]
    rows = {r["location"]: r for r in quarantine("x")}
    raw_lines = path.read_bytes().split(b"\n")
    assert rows["bad.jsonl:2"]["reason"].startswith("not valid JSON: Unterminated string")
    assert rows["bad.jsonl:2"]["original"] == raw_lines[1] + b"\n"
    assert rows["bad.jsonl:3:data[0]"]["reason"] == "id: the post has no id"
    assert rows["bad.jsonl:4:data[0]"]["reason"] == "occurred_at: 'yesterday-ish' in created_at is not a date-time"
    assert rows["bad.jsonl:5"]["reason"].startswith("not valid UTF-8: byte 0xff")
    assert rows["bad.jsonl:5"]["original"] == raw_lines[4] + b"\n"
    assert rows["bad.jsonl:6:data[0]"]["reason"] == \
        "contains NUL characters (U+0000), which PostgreSQL cannot store in text"
    assert b"nul \\u0000 here" in rows["bad.jsonl:6:data[0]"]["original"]
    assert rows["bad.jsonl:7:data[0]"]["reason"].startswith("oversize record:")
    assert all(r["source"] == "x" and r["kind"] == "social" and r["input"] == str(path) for r in rows.values())
    # loading the same file again adds nothing anywhere
    before = table_counts(engine)
    [again] = ingest_files(engine, "social", [path], source="x")
    assert (again.loaded, again.load_id) == (0, None)
    assert table_counts(engine) == before


def test_same_words_same_author_same_second_are_stored_once(engine, tmp_path, items):
    first = _write(tmp_path / "a.jsonl", [_page([_post(20, 3, "Parcel late   again")], [_user(3)])])
    second = _write(tmp_path / "b.jsonl", [_page([_post(21, 3, "parcel late again")], [_user(3)])])
    ingest_files(engine, "social", [first], source="x_search")
    [report] = ingest_files(engine, "social", [second], source="x_export")
    assert (report.read, report.loaded, report.duplicate) == (1, 0, 1)
    assert [r["source_item_key"] for r in items()] == ["20"]


def test_the_same_post_exported_twice_is_one_item(engine, tmp_path, items):
    a = _write(tmp_path / "a.jsonl", [_page([_post(30, 4, "Late", public_metrics={"like_count": 1})], [_user(4)])])
    b = _write(tmp_path / "b.jsonl", [_page([_post(30, 4, "Late", public_metrics={"like_count": 9})], [_user(4)])])
    ingest_files(engine, "social", [a, b], source="x")
    assert count(engine, "raw.record") == 2  # raw keeps both versions as they arrived
    [row] = items("x")
    assert row["attributes"]["metrics"] == {"like_count": 9}
