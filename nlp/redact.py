"""Remove personal data from free text before it is stored outside ``raw``.

E-mail addresses become ``[email]`` and phone numbers ``[phone]``. The patterns are deliberately
broad: a false redaction costs a word, a missed one leaks a customer's contact details.
"""

from __future__ import annotations

import re

EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+", re.UNICODE)
# 8+ digits with optional separators and a leading +, e.g. +44 20 7946 0958, (555) 123-4567
PHONE = re.compile(r"(?<![\w/.-])\+?\(?\d(?:[\s().-]{0,2}\d){7,14}(?![\w/-])")


DATE = re.compile(r"\d{4}[-/.]\d{1,2}[-/.]\d{1,2}|\d{1,2}[-/.]\d{1,2}[-/.]\d{4}")


def _phone(match: re.Match) -> str:
    found = match.group(0)
    return found if DATE.fullmatch(found.strip()) else "[phone]"


def redact(text: str | None) -> str | None:
    """Return ``text`` with e-mail addresses and phone numbers replaced by placeholders."""
    if not text:
        return text
    text = EMAIL.sub("[email]", text)
    return PHONE.sub(_phone, text)
