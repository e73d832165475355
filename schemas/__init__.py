"""voc.schemas: the data contracts every connector must meet.

``feedback_item.v1.json`` is the canonical feedback item (JSON Schema 2020-12). ``validate_item``
returns the reasons an item breaks the contract, worded for the quarantine table.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from functools import cache
from importlib import resources

from jsonschema import Draft202012Validator, FormatChecker

CONTRACT_VERSION = "feedback_item.v1"
ITEM_NAMESPACE = uuid.UUID("4f6d1a52-8c1e-4f7b-9a57-6f63a1c0b0e1")
CHANNELS = ("survey", "social", "email", "ticket", "review", "chat")


@cache
def load_contract(name: str = CONTRACT_VERSION) -> dict:
    """Return the JSON Schema of a contract shipped in this package."""
    return json.loads(resources.files(__name__).joinpath(f"{name}.json").read_text(encoding="utf-8"))


@cache
def _validator(name: str = CONTRACT_VERSION) -> Draft202012Validator:
    return Draft202012Validator(load_contract(name), format_checker=FormatChecker())


_NAMESPACE_BYTES = ITEM_NAMESPACE.bytes


def item_id(source: str, source_item_key: str) -> str:
    """Return the stable item id for a natural key within a source: ``str(uuid.uuid5(ITEM_NAMESPACE, ...))``,
    computed on the digest's bytes (the loader calls it for every item; the UUID object cost more than the hash)."""
    digest = bytearray(hashlib.sha1(_NAMESPACE_BYTES + f"{source}\x1f{source_item_key}".encode()).digest()[:16])
    digest[6] = (digest[6] & 0x0F) | 0x50  # version 5
    digest[8] = (digest[8] & 0x3F) | 0x80  # RFC 4122 variant
    h = digest.hex()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def validate_item(item: dict) -> list[str]:
    """Return why ``item`` breaks the contract (empty when it is valid), one readable reason each."""
    reasons = []
    for err in sorted(_validator().iter_errors(item), key=lambda e: list(e.absolute_path)):
        where = ".".join(str(p) for p in err.absolute_path) or "item"
        if err.validator in ("if", "then", "anyOf") or (err.validator == "const" and where == "aided"):
            reasons.append("no text and no score: an item needs feedback text, or a score for a survey response")
            continue
        reasons.append(f"{where}: {err.message}")
    return sorted(set(reasons))
