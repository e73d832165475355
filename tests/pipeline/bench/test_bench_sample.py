"""The benchmark sample: same bytes for the same seed, every channel loads, rejects and duplicates as designed."""

import hashlib

from voc.pipeline.bench.sample import generate
from voc.pipeline.ingest import ingest_files


def _digest(files):
    return [hashlib.sha256(path.read_bytes()).hexdigest() for _, _, path in files]


def test_same_seed_same_bytes_other_seed_other_bytes(tmp_path):
    a = generate(tmp_path / "a", 3000, seed=1)
    b = generate(tmp_path / "b", 3000, seed=1)
    c = generate(tmp_path / "c", 3000, seed=2)
    assert _digest(a) == _digest(b) != _digest(c)
    assert [kind for _, kind, _ in a] == ["survey", "social", "ticket", "email", "review"]


def test_every_channel_loads_with_a_few_duplicates_and_rejects(engine, tmp_path):
    reports = []
    for source, kind, path in generate(tmp_path, 4000):
        reports += ingest_files(engine, kind, [path], source=source)
    read = sum(r.read for r in reports)
    items = sum(r.items for r in reports)
    assert 3500 <= items <= 4600, items
    assert 0 < sum(r.quarantined for r in reports) < 0.02 * read
    assert 0 < sum(r.duplicate for r in reports) < 0.05 * read
    assert all(r.read == r.loaded + r.duplicate + r.quarantined for r in reports)
