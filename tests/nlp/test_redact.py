"""PII redaction of free text."""

import pytest

from voc.nlp.redact import redact


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("mail bob.smith+x@example.co.uk now", "mail [email] now"),
        ("call +44 20 7946 0958 today", "call [phone] today"),
        ("or (555) 123-4567.", "or [phone]."),
        ("ring 07700900123", "ring [phone]"),
        ("ordered 2026-05-12 and 12/05/2026", "ordered 2026-05-12 and 12/05/2026"),
        ("3 items for 49.99", "3 items for 49.99"),
        ("", ""),
        (None, None),
    ],
)
def test_redact(text, expected):
    assert redact(text) == expected
