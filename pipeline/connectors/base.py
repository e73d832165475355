"""What every connector shares: the record that arrived and the error that quarantines it."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field

# what json.dumps(payload, sort_keys=True, ensure_ascii=False, default=str) builds for every call, built once
_HASH_JSON = json.JSONEncoder(sort_keys=True, ensure_ascii=False, default=str)


class RecordError(ValueError):
    """A record cannot become feedback items; the message is the quarantine reason."""


@dataclass(frozen=True)
class SourceRecord:
    """One record as it arrived: ``payload`` is JSON-serialisable, ``location`` is e.g. ``file.csv:12``.

    ``error`` is set when the record could not even be parsed (bad JSON, wrong column count);
    such a record goes straight to quarantine with that reason. ``original`` holds the bytes as they
    arrived when the connector has them (undecodable text, NUL characters), kept with a quarantined record.
    """

    location: str
    payload: dict | list | str
    error: str | None = None
    original: bytes | None = field(default=None, compare=False, repr=False)
    hash: str = field(init=False)

    def __post_init__(self) -> None:
        body = _HASH_JSON.encode(self.payload)
        object.__setattr__(self, "hash", hashlib.sha256(body.encode("utf-8", "surrogatepass")).hexdigest())
