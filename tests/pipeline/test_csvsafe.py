"""CSV injection: text a spreadsheet would run as a formula is written as text; numbers stay numbers."""

import csv
from datetime import date
from decimal import Decimal

import pytest

from voc.pipeline.csvsafe import neutralise, safe_row, write_csv


@pytest.mark.parametrize("cell", ["=1+1", "+33 6 12", "-2+3+cmd|' /C calc'!A0", "@SUM(A1:A2)", "\tx", "\rx",
                                  '=HYPERLINK("http://evil.example","click")'])
def test_formula_text_gets_a_leading_apostrophe(cell):
    assert neutralise(cell) == "'" + cell


@pytest.mark.parametrize("cell", ["late delivery", "", " =not at the start", "'already quoted", "(none)", "a=b"])
def test_ordinary_text_is_unchanged(cell):
    assert neutralise(cell) == cell


@pytest.mark.parametrize("cell", [-0.6, -3, Decimal("-0.6000"), 0, True, None, date(2026, 10, 20)])
def test_non_text_values_are_unchanged(cell):
    assert neutralise(cell) is cell


def test_safe_row_neutralises_every_cell():
    assert safe_row(["=A1", 2, "ok", "@x"]) == ["'=A1", 2, "ok", "'@x"]


def test_write_csv_writes_header_and_neutralised_rows(tmp_path):
    path = tmp_path / "out.csv"
    rows = [{"theme": "=cmd", "score": Decimal("-0.6000"), "note": None},
            {"theme": "billing", "score": 2, "note": 'says "hi", then\nleaves'}]
    assert write_csv(path, ["theme", "score", "note"], rows) == 2
    with path.open(newline="", encoding="utf-8") as f:
        read = list(csv.reader(f))
    assert read == [["theme", "score", "note"], ["'=cmd", "-0.6000", ""], ["billing", "2", 'says "hi", then\nleaves']]
