"""Customer identifiers: normalised, hashed where they are contact details, and a first customer key.

Cross-channel identity resolution builds on these; for now the key is the strongest identifier found.
"""

from __future__ import annotations

import hashlib

HASHED_KINDS = ("email", "phone")  # contact details never leave ``raw`` in clear
IDENTIFIER_KINDS = ("customer_id", "account_id", "email", "phone", "handle", "external_id")
KEY_PRECEDENCE = IDENTIFIER_KINDS  # strongest first


def normalise(kind: str, value: str) -> str:
    """Return the canonical form of one identifier (lower-case e-mail, digits-only phone, ...)."""
    value = value.strip()
    if kind == "email":
        return value.lower()
    if kind == "phone":
        return "".join(ch for ch in value if ch.isdigit() or ch == "+")
    if kind == "handle":
        return value.lstrip("@").lower()
    return value


def protect(customer_ids: dict[str, str]) -> dict[str, str]:
    """Return identifiers safe to store in ``core``: contact details as ``sha256:`` digests."""
    out = {}
    for kind, value in customer_ids.items():
        value = normalise(kind, value)
        if kind in HASHED_KINDS:
            value = "sha256:" + hashlib.sha256(value.encode("utf-8")).hexdigest()
        out[kind] = value
    return out


def customer_key(protected_ids: dict[str, str]) -> str | None:
    """Return the customer key from protected identifiers: the strongest kind present, or None."""
    for kind in KEY_PRECEDENCE:
        if protected_ids.get(kind):
            value = protected_ids[kind]
            if value.startswith("sha256:"):
                value = value[len("sha256:"):][:24]
            return f"{kind}:{value}"
    return None
