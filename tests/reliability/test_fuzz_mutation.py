"""A mutation fuzzing run: every file of the multi-channel sample, mutated at random (bit flips, hostile tokens,
invalid UTF-8, deletions, duplicated and truncated ranges) and loaded for real. Nothing raises; every record
is loaded, a duplicate, or quarantined with a reason. ``VOC_RELIABILITY_SEED`` replays a run."""

from __future__ import annotations

import random
from pathlib import Path

from tests.reliability import hostile
from tests.reliability.harness import scale, seed

SUITE = "fuzz: mutated sample files"


def test_mutated_sample_files_never_lose_a_record(engine, sample, tmp_path, ledger):
    chosen = seed()
    rng = random.Random(chosen)
    files = [(kind, path) for _, kind, folder, _ in sample.sources for path in sorted(Path(folder).iterdir())]
    assert {kind for kind, _ in files} >= {"survey", "social", "email", "ticket"}
    for kind, path in files:
        for n in range(3 * scale()):
            mutant = tmp_path / f"{path.stem}_{n}{path.suffix}"
            mutant.write_bytes(hostile.mutate(path.read_bytes(), rng, rounds=6))
            source = hostile.unique(f"mut_{kind}")
            try:
                hostile.ingest_and_account(engine, kind, mutant, source)
            except Exception as exc:
                ledger.add(SUITE, cases=1, faults=1, lost=1)
                raise AssertionError(f"{mutant.name} (VOC_RELIABILITY_SEED={chosen}): {exc!r}") from exc
            ledger.add(SUITE, cases=1, faults=1)
