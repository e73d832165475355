"""Reviews connector: CSV, JSON and JSON Lines with a mapping; rating, title, product; bad rows quarantined."""

import json

import pytest

from tests.helpers import table_counts
from voc.pipeline.connectors.columns import load_column_mapping
from voc.pipeline.connectors.mapping import MappingError
from voc.pipeline.ingest import ingest_files

HEADER = "review_id,date,rating,title,body,author,product,language\n"


def test_csv_reviews_become_items_with_rating_title_and_product(engine, tmp_path, items):
    path = tmp_path / "reviews.csv"
    path.write_text(HEADER + "RV1,2026-10-02T10:00:00Z,2,Broke fast,Stopped working after two weeks,customer5,"
                    "Kettle K2,EN\nRV2,2026-10-03,4.5,,Nice app,customer6,Acme app,\n"
                    "RV3,2026-10-03,5,Only a title,,customer7,Acme app,\n", encoding="utf-8")
    [report] = ingest_files(engine, "review", [path])
    assert (report.read, report.loaded, report.quarantined, report.items) == (3, 3, 0, 3)
    rows = {r["source_item_key"]: r for r in items("reviews")}
    one = rows["RV1"]
    assert (one["channel"], one["is_aided"], float(one["rating"]), one["text"]) == \
        ("review", False, 2.0, "Stopped working after two weeks")
    assert (one["title"], one["product"], one["language"], one["customer_key"]) == \
        ("Broke fast", "Kettle K2", "en", "handle:customer5")
    assert float(rows["RV2"]["rating"]) == 4.5
    assert rows["RV3"]["text"] == "Only a title"


def test_json_reviews_with_a_mapping(engine, tmp_path, items):
    path = tmp_path / "store.json"
    path.write_text(json.dumps({"reviews": [
        {"id": "a1", "stars": "1/5", "content": "Crashes on start", "userName": "Bob", "at": "2026-10-05 08:00:00"},
    ]}), encoding="utf-8")
    mapping = {"columns": {"id": "id", "rating": "stars", "text": "content", "occurred_at": "at"},
               "customer": {"handle": "userName"}, "values": {"product": "Acme app"}}
    ingest_files(engine, "review", [path], source="play_store", mapping=mapping)
    [row] = items("play_store")
    assert (float(row["rating"]), row["product"], row["customer_key"]) == (1.0, "Acme app", "handle:bob")


def test_bad_reviews_are_quarantined_with_reasons_and_bytes(engine, tmp_path, quarantine, items):
    path = tmp_path / "reviews.csv"
    rows = [
        b"RV1,2026-10-02,5,,Great,customer1,Acme app,en",
        b"RV2,2026-10-02,6,,Six stars,customer1,Acme app,en",
        b",2026-10-02,3,,No id,customer1,Acme app,en",
        b"RV4,not a date,3,,Bad date,customer1,Acme app,en",
        b"RV5,2026-10-02,3,,Caf\xe9 latte was cold,customer1,Acme app,en",
        b"RV6,2026-10-02,3,,Nul\x00inside,customer1,Acme app,en",
        b"RV7,2026-10-02,three,,Words for stars,customer1,Acme app,en",
        b"RV8,2026-10-02,3,,too,few",
    ]
    path.write_bytes(HEADER.encode() + b"\n".join(rows) + b"\n")
    [report] = ingest_files(engine, "review", [path])
    assert (report.read, report.loaded, report.quarantined) == (8, 1, 7)
    assert [r["source_item_key"] for r in items()] == ["RV1"]
    got = {r["location"]: r for r in quarantine("reviews")}
    assert got["reviews.csv:3"]["reason"] == "rating: 6 is greater than the maximum of 5"
    assert got["reviews.csv:4"]["reason"] == "id: column 'review_id' is missing or empty"
    assert got["reviews.csv:5"]["reason"] == "occurred_at: 'not a date' in column 'date' is not a date-time"
    assert got["reviews.csv:6"]["reason"] == "not valid UTF-8: byte 0xe9 at character 3 in column 'body'"
    assert got["reviews.csv:6"]["original"] == rows[4] + b"\n"
    assert got["reviews.csv:7"]["reason"].startswith("contains NUL characters")
    assert got["reviews.csv:7"]["original"] == rows[5] + b"\n"
    assert got["reviews.csv:8"]["reason"] == "rating: 'three' in column 'rating' is not a number"
    assert got["reviews.csv:9"]["reason"] == "row has 6 fields, the header has 8"
    before = table_counts(engine)
    ingest_files(engine, "review", [path])
    assert table_counts(engine) == before


def test_mapping_mistakes_name_the_key():
    with pytest.raises(MappingError, match=r"`columns.stars` is not a review field"):
        load_column_mapping("review", {"columns": {"stars": "x"}})
    with pytest.raises(MappingError, match=r"`customer.twitter` is not an identifier kind"):
        load_column_mapping("review", {"customer": {"twitter": "x"}})
