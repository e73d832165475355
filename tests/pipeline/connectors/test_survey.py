"""Survey connector: CSV/JSON/JSONL parsing, one item per open-text answer, mapping errors."""

import json
import textwrap

import pytest

from voc.pipeline.connectors.base import RecordError
from voc.pipeline.connectors.mapping import MappingError, load_survey_mapping, parse_survey_mapping
from voc.pipeline.connectors.survey import read_survey_file, to_items

HEADER = "response_id,submitted_at,survey_id,survey_type,language,customer_id,email,nps,csat,comment,improvement\n"


@pytest.fixture
def mapping():
    return load_survey_mapping()


def _write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_one_item_per_answer_with_scores_and_identifiers(tmp_path, mapping):
    path = _write(tmp_path, "s.csv", HEADER + "R1,2026-10-02 09:30:00,rel,nps,EN,C1,Bob@Example.com,3,,"
                  "Parcel was late,Faster delivery\n")
    [record] = list(read_survey_file(path))
    assert record.location == "s.csv:2"
    items = to_items(record, mapping, "surveys")
    assert [i["question"] for i in items] == ["comment", "improvement"]
    assert {i["text"] for i in items} == {"Parcel was late", "Faster delivery"}
    first = items[0]
    assert first["nps"] == 3 and first["csat"] is None
    assert first["occurred_at"] == "2026-10-02T09:30:00+00:00"
    assert first["customer_ids"] == {"customer_id": "C1", "email": "Bob@Example.com"}
    assert first["language"] == "en" and first["aided"] is True and first["channel"] == "survey"
    assert len({i["item_id"] for i in items}) == 2


def test_score_only_response_becomes_one_item_without_text(tmp_path, mapping):
    path = _write(tmp_path, "s.csv", HEADER + "R2,2026-10-02T09:30:00+02:00,rel,nps,,C1,,9,,,\n")
    [item] = to_items(next(read_survey_file(path)), mapping, "surveys")
    assert item["text"] is None and item["question"] is None and item["nps"] == 9
    assert item["occurred_at"] == "2026-10-02T09:30:00+02:00"


def test_wrong_field_count_is_a_record_error_with_location(tmp_path):
    path = _write(tmp_path, "s.csv", HEADER + "R3,2026-10-02,too,few\n")
    [record] = list(read_survey_file(path))
    assert record.location == "s.csv:2"
    assert record.error == "row has 4 fields, the header has 11"


def test_a_row_over_the_csv_field_limit_keeps_its_bytes_and_the_next_row_reads(tmp_path, mapping, monkeypatch):
    from voc.pipeline.connectors import files

    monkeypatch.setattr(files, "CSV_FIELD_LIMIT", 100_000)  # the real limit is 64 MiB: not worth writing here
    big = b"A,2026-10-01,s,nps,en,C1,,9,,caf\xe9 " + b"x" * 200_000 + b",\n"  # \xe9: not UTF-8, kept as it was
    path = tmp_path / "big.csv"
    path.write_bytes(HEADER.encode() + big + b"B,2026-10-01,s,nps,en,C2,,9,,caf\xc3\xa9 \xff,\n")
    bad, good = read_survey_file(path)
    assert bad.error.startswith("unreadable CSV row: field larger than field limit") and bad.location == "big.csv:2"
    assert bad.original == big and bad.payload == {"line": 2, "bytes": len(big)}
    assert good.error is None and good.payload["comment"] == "caf\u00e9 \ufffd"  # undecodable bytes: U+FFFD


def test_multiline_quoted_cell_keeps_the_starting_line(tmp_path, mapping):
    path = _write(tmp_path, "s.csv", HEADER + 'R4,2026-10-02,rel,nps,,C1,,5,,"line one\nline two",\n'
                  "R5,2026-10-03,rel,nps,,C2,,6,,ok,\n")
    records = list(read_survey_file(path))
    assert [r.location for r in records] == ["s.csv:2", "s.csv:4"]
    assert to_items(records[0], mapping, "s")[0]["text"] == "line one\nline two"


@pytest.mark.parametrize(
    ("cells", "message"),
    [
        ("R6,,rel,nps,,C1,,5,,x,", "occurred_at: column 'submitted_at' is missing or empty"),
        ("R6,yesterday,rel,nps,,C1,,5,,x,", "not an ISO 8601 date-time"),
        (",2026-10-02,rel,nps,,C1,,5,,x,", "response_id: column 'response_id' is missing or empty"),
        ("R6,2026-10-02,rel,nps,,C1,,nine,,x,", "nps: 'nine' in column 'nps' is not a number"),
        ("R6,2026-10-02,rel,nps,,C1,,7.5,,x,", "nps: '7.5' in column 'nps' is not a whole number"),
    ],
)
def test_bad_cells_raise_readable_errors(tmp_path, mapping, cells, message):
    path = _write(tmp_path, "s.csv", HEADER + cells + "\n")
    with pytest.raises(RecordError, match=message):
        to_items(next(read_survey_file(path)), mapping, "surveys")


def test_json_and_jsonl_exports(tmp_path, mapping):
    rows = [{"response_id": "J1", "submitted_at": "2026-10-01T08:00:00Z", "nps": 10, "comment": "Great"}]
    js = _write(tmp_path, "s.json", json.dumps({"responses": rows}))
    jl = _write(tmp_path, "s.jsonl", json.dumps(rows[0]) + "\n{broken\n[1]\n")
    [record] = list(read_survey_file(js))
    assert record.location == "s.json:[0]"
    assert to_items(record, mapping, "s")[0]["nps"] == 10
    good, broken, not_object = read_survey_file(jl)
    assert good.error is None
    assert broken.location == "s.jsonl:2" and broken.error.startswith("not valid JSON")
    assert not_object.error == "a response must be a JSON object"


def test_identical_payloads_hash_alike_and_differ_otherwise(tmp_path):
    path = _write(tmp_path, "s.csv", HEADER + "R1,2026-10-02,a,b,,C,,1,,x,\n" * 2 + "R1,2026-10-02,a,b,,C,,2,,x,\n")
    a, b, c = read_survey_file(path)
    assert a.hash == b.hash != c.hash


def test_mapping_errors_name_the_file_and_key(tmp_path):
    base = {"response_id": "id", "occurred_at": "at", "texts": ["t"]}
    assert parse_survey_mapping(base, "m.yaml").texts == ("t",)
    cases = [
        ({"respons_id": "x"}, "m.yaml: `respons_id` is not a known key"),
        ({"texts": []}, "m.yaml: `texts` must be a list of the open-text columns"),
        ({"scores": {"nsp": "x"}}, "m.yaml: `scores.nsp` is not a score field"),
        ({"customer": {"name": "x"}}, "m.yaml: `customer.name` is not an identifier kind"),
        ({"timezone": "Mars/Base"}, "m.yaml: `timezone` is not a known time zone"),
        ({"occurred_at": None}, "m.yaml: `occurred_at` is required"),
    ]
    for change, message in cases:
        with pytest.raises(MappingError, match=message.replace("`", "`").replace(".", r"\.")):
            parse_survey_mapping({**base, **change}, "m.yaml")
    bad_yaml = _write(tmp_path, "bad.yaml", textwrap.dedent("""\
        response_id: [unclosed
        """))
    with pytest.raises(MappingError, match="bad.yaml: not valid YAML"):
        load_survey_mapping(bad_yaml)
    with pytest.raises(MappingError, match="cannot read mapping file"):
        load_survey_mapping(tmp_path / "missing.yaml")


def test_a_cell_of_ten_megabytes_is_read_so_the_oversize_policy_decides(tmp_path, mapping):
    """csv's default 128 KiB field limit would make a 10 MB comment an unreadable row; ours is 64 MiB."""
    path = tmp_path / "big.csv"
    path.write_bytes(HEADER.encode() + b"A,2026-10-01,s,nps,en,C1,,9,,x" + b"y" * 10_000_000 + b",\n")
    [record] = read_survey_file(path)
    assert record.error is None and len(record.payload["comment"]) == 10_000_001
