"""What a failed gate raises. Importing this module does not import Great Expectations."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class HeldBatch:
    """A batch an error-level check held in raw: where it came from and why."""

    load_id: int
    source: str
    location: str
    reason: str

    def __str__(self) -> str:
        return f"load {self.load_id} ({self.source}) {self.location}: {self.reason}"


class QualityGateError(ValueError):
    """An error-level data-quality check failed (the data was bad, not the program)."""


class BatchesHeld(QualityGateError):
    """The gate held one or more batches: they stay in raw, out of core and the marts, until released.

    ``held`` lists them; ``reports`` holds the load reports of the whole run, published inputs included,
    so a caller can still show what was loaded.
    """

    def __init__(self, held: Iterable[HeldBatch], reports: Iterable[object] = ()):
        self.held = list(held)
        self.reports = list(reports)
        ids = " ".join(str(h.load_id) for h in self.held)
        lines = [f"the quality gate held {len(self.held)} batch(es): kept in raw, not published"]
        lines += [f"  {h}" for h in self.held]
        lines.append(f"see `voc quality results {self.held[0].load_id}` (and the Data Docs); after review, "
                     f"`voc quality release {ids}` publishes them")
        super().__init__("\n".join(lines))
