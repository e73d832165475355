"""Thresholds of the data-quality gates, per source kind, and where the Data Docs are written.

``VOC_DATA_DOCS_DIR``  folder of the Great Expectations Data Docs site; default ``$VOC_HOME/data_docs``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, replace
from datetime import timedelta
from pathlib import Path

from voc.pipeline.config import voc_home

# Scales of the score fields each kind of source carries (the contract's ranges).
SCORE_SCALES = {"nps": (0, 10), "csat": (1, 5), "ces": (1, 7), "rating": (1, 5)}
KIND_SCORES = {
    "survey": ("nps", "csat", "ces", "rating"),
    "ticket": ("csat",),
    "review": ("rating",),
    "social": (),
    "email": (),
}


@dataclass(frozen=True)
class Thresholds:
    """When a batch is held (error) or published with a warning. Shares are fractions of the batch's rows.

    Rates judged on fewer than ``min_rows`` rows are recorded as warnings: a handful of records is too
    few to tell a broken export from a few bad lines, and each bad record is quarantined anyway.
    """

    min_rows: int = 20
    max_rejected_share: float = 0.10  # records quarantined, any reason (error above)
    warn_rejected_share: float = 0.02  # (warning above)
    max_missing_id_share: float = 0.02  # records rejected for a missing or unreadable id
    max_bad_time_share: float = 0.02  # records rejected for a missing or unreadable timestamp
    max_future_share: float = 0.01  # items dated after the batch arrived (plus future_tolerance)
    future_tolerance: timedelta = timedelta(hours=1)
    max_out_of_scale_share: float = 0.02  # score answers outside their scale
    max_empty_text_share: float = 0.05  # text items (and records rejected for text) without words
    max_duplicate_id_share: float = 0.0  # items whose id appears twice in the batch with different content
    warn_duplicate_share: float = 0.5  # records of the input already stored or repeated (warning)
    volume_history: int = 5  # earlier whole inputs of the source the volume is compared with
    min_history: int = 3  # fewer earlier inputs: no volume or language baseline yet
    min_volume_ratio: float = 0.25  # records read vs the median of recent inputs (error below)
    warn_volume_ratio: float = 4.0  # (warning above)
    usual_language_share: float = 0.02  # a language is usual for a source above this share of its items
    min_usual_language_share: float = 0.9  # items in the source's usual languages (warning below)


DEFAULT = Thresholds()
# An mbox may hold the same Message-ID twice (a message filed in two folders, then exported): tolerate a few.
BY_KIND = {"email": replace(DEFAULT, max_duplicate_id_share=0.02)}


def thresholds_for(kind: str) -> Thresholds:
    """Return the thresholds of a source kind."""
    return BY_KIND.get(kind, DEFAULT)


def data_docs_dir() -> Path:
    """Return the folder of the Data Docs site (``VOC_DATA_DOCS_DIR``, else ``$VOC_HOME/data_docs``)."""
    configured = os.environ.get("VOC_DATA_DOCS_DIR", "").strip()
    return Path(configured).expanduser().resolve() if configured else voc_home() / "data_docs"
