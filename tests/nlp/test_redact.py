"""PII redaction of free text: what is stored outside raw must not identify or expose a customer."""

import pytest

from voc.nlp.redact import iban_ok, luhn_ok, redact


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("mail bob.smith+x@example.co.uk now", "mail [email] now"),
        ("call +44 20 7946 0958 today", "call [phone] today"),
        ("or (555) 123-4567.", "or [phone]."),
        ("ring 07700900123", "ring [phone]"),
        ("card 4111 1111 1111 1111 was charged", "card [card] was charged"),
        ("card 5500-0000-0000-0004.", "card [card]."),
        ("amex 378282246310005", "amex [card]"),
        ("iban GB82 WEST 1234 5698 7654 32 and DE89370400440532013000", "iban [iban] and [iban]"),
        ("ssn 123-45-6789 on file", "ssn [ssn] on file"),
        ("ordered 2026-05-12 and 12/05/2026", "ordered 2026-05-12 and 12/05/2026"),
        ("3 items for 49.99", "3 items for 49.99"),
        ("", ""),
        (None, None),
    ],
)
def test_redact(text, expected):
    assert redact(text) == expected


def test_numbers_that_fail_their_checksum_are_not_cards_or_ibans():
    assert not luhn_ok("4111111111111112") and luhn_ok("4111111111111111")
    assert not iban_ok("GB82WEST12345698765433") and iban_ok("GB82 WEST 1234 5698 7654 32")
    assert "[card]" not in redact("tracking 4111 1111 1111 1112") and "[iban]" not in redact("GB82WEST12345698765433")


def test_redacting_twice_changes_nothing():
    once = redact("Card 4111 1111 1111 1111, mail a@b.co, call +1 555 123 4567, IBAN DE89370400440532013000")
    assert redact(once) == once
    assert "4111" not in once and "a@b.co" not in once and "555" not in once and "DE89" not in once
