"""CSV files are streamed: the records are those of decoding the whole file at once, the memory that of a row."""

import io
import random

import pytest

from voc.pipeline.connectors import files
from voc.pipeline.connectors.files import BOM, read_csv


def _whole_file(path, delimiter=","):
    """The reader as it was: the whole file decoded into one string, then split into lines."""
    data = path.read_bytes()
    data = data[len(BOM):] if data.startswith(BOM) else data
    return files._read_csv(path, io.StringIO(data.decode("utf-8", "surrogateescape"), newline=""), delimiter)


def _records(iterator):
    return [(r.location, r.payload, r.error, r.original) for r in iterator]


def _big(rng: random.Random) -> bytes:
    cells = ["plain", "caf\u00e9 cr\u00e8me", "\U0001f600 emoji", '"quoted, with comma"', '"two\r\nlines"',
             '"one\nline feed"', "", "  ", "bad \xff byte", "\u4e2d\u6587"]
    out = ["id,text,score\r\n"]
    for n in range(40_000):  # several megabytes: many read buffers, multibyte characters across their edges
        ending = rng.choice(["\r\n", "\n", "\r"])
        out.append(f"{n},{rng.choice(cells)},{rng.randint(0, 10)}{ending}")
        if n % 997 == 0:
            out.append(f"{n},too,many,fields\n" if n % 2 else "\n")
    return "".join(out).encode("utf-8", "surrogateescape").replace(b"bad \xc3\xbf", b"bad \xff")


CASES = {
    "bom_crlf": BOM + b"a,b\r\n1,x\r\n2,\"y\r\nz\"\r\n",
    "no_bom_cr": b"a,b\r1,x\r2,y\r",
    "half_bom": b"\xef\xbba,b\n1,x\n",
    "bad_header": b"a,\xff\n1,2\n",
    "bad_cell_last_byte": b"a,b\n1,caf\xc3",
    "unterminated_quote": b'a,b\n1,"open\n2,x\n',
    "nul": b"a,b\n1,x\x00y\n",
    "empty": b"",
    "header_only": BOM,
    "big": _big(random.Random(8)),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_streamed_rows_equal_the_whole_file_reader(tmp_path, name):
    path = tmp_path / f"{name}.csv"
    path.write_bytes(CASES[name])
    streamed = _records(read_csv(path))
    assert streamed == _records(_whole_file(path))
    if name == "big":
        assert len(streamed) > 40_000 and any(error for _, _, error, _ in streamed)
