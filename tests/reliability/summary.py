"""The reliability ledger: what each suite tried and measured, printed as one table at the end of the run.

Tests record measured figures (``LEDGER.add``) before they assert on them, so a failing run still shows
what was lost, duplicated or leaked. The table is printed by the pytest hook in ``conftest.py`` and
written to ``.voc/reliability/summary.json``; ``python -m tests.reliability.summary`` prints that file again.
"""

from __future__ import annotations

import json
import sys
import time
from collections import defaultdict
from pathlib import Path

from tests.helpers import REPO

SUMMARY_JSON = REPO / ".voc" / "reliability" / "summary.json"
COLUMNS = ("cases", "faults", "lost", "duplicates", "leaks", "seconds")
HEADERS = ("suite", "cases tried", "faults injected", "items lost", "duplicates", "PII leaks", "seconds")


class Ledger:
    def __init__(self) -> None:
        self.rows: dict[str, dict[str, float]] = defaultdict(lambda: dict.fromkeys(COLUMNS, 0))
        self.started = time.monotonic()

    def add(self, suite: str, *, cases: int = 0, faults: int = 0, lost: int = 0, duplicates: int = 0,
            leaks: int = 0, seconds: float = 0.0) -> None:
        row = self.rows[suite]
        for key, value in (("cases", cases), ("faults", faults), ("lost", lost), ("duplicates", duplicates),
                           ("leaks", leaks), ("seconds", seconds)):
            row[key] += value

    def as_dict(self) -> dict:
        return {"scale": _scale(), "seed": _seed(), "wall_seconds": round(time.monotonic() - self.started, 1),
                "suites": {k: dict(v) for k, v in sorted(self.rows.items())}}


LEDGER = Ledger()


def _scale() -> int:
    from tests.reliability.harness import scale

    return scale()


def _seed() -> int:
    from tests.reliability.harness import seed

    return seed()


def render(data: dict) -> str:
    """The summary table of a ledger dict, with a total line."""
    suites = data["suites"]
    total = {c: sum(r[c] for r in suites.values()) for c in COLUMNS}
    body = [(name, *(_cell(r, c) for c in COLUMNS)) for name, r in suites.items()]
    body.append(("TOTAL", *(_cell(total, c) for c in COLUMNS)))
    widths = [max(len(str(row[i])) for row in [HEADERS, *body]) for i in range(len(HEADERS))]

    def line(row):
        cells = zip(row, widths, strict=True)
        return "  ".join(str(v).ljust(w) if i == 0 else str(v).rjust(w) for i, (v, w) in enumerate(cells))

    rule = "-" * len(line(HEADERS))
    head = f"reliability summary (VOC_RELIABILITY_SCALE={data['scale']}, VOC_RELIABILITY_SEED={data.get('seed')})"
    foot = f"run time {data.get('wall_seconds', 0):.0f} s (session fixtures included)"
    return "\n".join([head, rule, line(HEADERS), rule, *map(line, body[:-1]), rule, line(body[-1]), foot])


def _cell(row: dict, column: str) -> str:
    value = row[column]
    return f"{value:.1f}" if column == "seconds" else str(int(value))


def write(data: dict) -> Path:
    SUMMARY_JSON.parent.mkdir(parents=True, exist_ok=True)
    SUMMARY_JSON.write_text(json.dumps(data, indent=2), encoding="utf-8")
    return SUMMARY_JSON


def main() -> int:
    if not SUMMARY_JSON.exists():
        print(f"no summary yet: run `make reliability` ({SUMMARY_JSON} is missing)", file=sys.stderr)
        return 2
    data = json.loads(SUMMARY_JSON.read_text(encoding="utf-8"))
    print(render(data))
    bad = sum(r[c] for r in data["suites"].values() for c in ("lost", "duplicates", "leaks"))
    return 1 if bad else 0


if __name__ == "__main__":
    raise SystemExit(main())
