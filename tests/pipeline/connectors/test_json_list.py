"""JSON-array exports are streamed: the same records as parsing the whole file, in bounded memory."""

import json
import tracemalloc

import pytest

from voc.pipeline.connectors import files
from voc.pipeline.connectors.files import read_json_list

SHAPES = {
    "list": b'[{"id": 1, "text": "late \\u00e9t\\u00e9", "score": 4.5, "big": 9007199254740993}, {"id": 2}]',
    "bom": b'\xef\xbb\xbf[{"id": 1}]',
    "one list key": b'{"meta": {"n": [1, 2]}, "reviews": [{"id": "a"}, 3, {"id": "b", "x": [1, [2]]}], "page": 1}',
    "emoji as surrogate pair": b'[{"text": "\\ud83d\\ude00 ok"}]',
    "empty list": b"[]",
    "duplicate keys": b'[{"a": 1, "a": 2}]',
    "floats": b'[{"a": -0.0, "b": 1e-7, "c": 0.1, "d": 12345678901234567.0}]',
    # the cases the streaming pass leaves to json.loads: what it reports must not change
    "lone surrogate": b'[{"text": "bad \\ud800 half"}]',
    "two list keys": b'{"a": [{"id": 1}], "b": [{"id": 2}]}',
    "not a list": b'{"id": 1}',
    "scalar": b"5",
    "malformed": b'[{"id": 1}, {"id": ',
    "not utf-8": b'[{"text": "caf\xe9"}]',
    "nan": b'[{"score": NaN}]',
    "huge int": b'[{"n": 123456789012345678901234567890}]',
    "deep": b'[{"a": ' + b"[" * 150 + b"]" * 150 + b"}]",
    "too deep": b"[" * 5000 + b"]" * 5000,
    "empty file": b"",
}


def _records(reader, path):
    return [(r.location, r.payload, r.error) for r in reader(path, "review")]


@pytest.mark.parametrize("shape", SHAPES)
def test_streamed_records_equal_the_whole_file_parse(tmp_path, shape):
    path = tmp_path / "export.json"
    path.write_bytes(SHAPES[shape])
    assert _records(read_json_list, path) == _records(files._read_json_list_whole, path)


@pytest.mark.parametrize(("shape", "streamed"), [
    ("list", True), ("one list key", True), ("emoji as surrogate pair", True), ("bom", True),
    ("lone surrogate", False), ("two list keys", False), ("malformed", False), ("not utf-8", False),
    ("too deep", False), ("huge int", False),
])
def test_which_files_are_streamed(tmp_path, shape, streamed):
    path = tmp_path / "export.json"
    path.write_bytes(SHAPES[shape])
    assert (files._list_prefix(path) is not None) == streamed


def test_a_large_export_is_read_in_bounded_memory(tmp_path):
    path = tmp_path / "big.json"
    review = {"id": 0, "text": "The parcel came two days late and the box was damaged. " * 4, "rating": 2}
    with path.open("w", encoding="utf-8") as fh:
        fh.write('{"reviews": [')
        fh.write(",".join(json.dumps({**review, "id": n}) for n in range(60_000)))
        fh.write("]}")
    assert path.stat().st_size > 15_000_000
    tracemalloc.start()
    try:
        count = sum(1 for _ in read_json_list(path, "review"))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert count == 60_000
    assert peak < 2_000_000, f"peak {peak:,} bytes while reading a {path.stat().st_size:,}-byte file"


@pytest.mark.parametrize("shape", SHAPES)
def test_streamed_survey_responses_equal_the_whole_file_parse(tmp_path, shape):
    from voc.pipeline.connectors import survey

    path = tmp_path / "responses.json"
    path.write_bytes(SHAPES[shape])
    assert [(r.location, r.payload, r.error) for r in survey.read_survey_file(path)] == \
        _records(survey._read_json_whole, path)
