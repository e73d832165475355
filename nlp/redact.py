"""Remove personal data from free text before it is stored outside ``raw``.

E-mail addresses become ``[email]``, payment card numbers ``[card]`` (13-19 digits that pass the
Luhn check), IBANs ``[iban]`` (country code and a valid mod-97 check), US social security numbers
``[ssn]`` and phone numbers ``[phone]``. The patterns are deliberately broad: a false redaction
costs a word, a missed one leaks a customer's details. Redacting twice changes nothing.
"""

from __future__ import annotations

import re

EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+", re.UNICODE)
# 13-19 digits, optionally grouped by single spaces or dashes (4-4-4-4, 4-6-5, ...)
CARD = re.compile(r"(?<![\w.,/-])\d(?:[ -]?\d){12,18}(?![\w/-])")
# two letters, two check digits, then 11-30 letters/digits, optionally in groups of four
IBAN = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]){11,30}\b")
SSN = re.compile(r"(?<![\w-])(?!000|666|9\d\d)\d{3}-(?!00)\d{2}-(?!0000)\d{4}(?![\w-])")
# 8+ digits with optional separators and a leading +, e.g. +44 20 7946 0958, (555) 123-4567
PHONE = re.compile(r"(?<![\w/.-])\+?\(?\d(?:[\s().-]{0,2}\d){7,14}(?![\w/-])")
DIGIT = re.compile(r"\d")
DIGIT_RUN = re.compile(r"\d(?:\D{0,2}\d){7}")
DATE = re.compile(r"\d{4}[-/.]\d{1,2}[-/.]\d{1,2}|\d{1,2}[-/.]\d{1,2}[-/.]\d{4}")


def luhn_ok(digits: str) -> bool:
    """True when ``digits`` passes the Luhn checksum that every payment card number carries."""
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def iban_ok(candidate: str) -> bool:
    """True when ``candidate`` (spaces allowed) has a valid IBAN mod-97 check."""
    compact = candidate.replace(" ", "").upper()
    if not 15 <= len(compact) <= 34:
        return False
    rearranged = compact[4:] + compact[:4]
    return int("".join(str(int(c, 36)) for c in rearranged)) % 97 == 1


def _card(match: re.Match) -> str:
    found = match.group(0)
    digits = re.sub(r"\D", "", found)
    return "[card]" if 13 <= len(digits) <= 19 and luhn_ok(digits) else found


def _iban(match: re.Match) -> str:
    found = match.group(0)
    parts = found.split(" ")
    for end in range(len(parts), 0, -1):  # the pattern may run into a following word: try shorter prefixes
        candidate = " ".join(parts[:end])
        if iban_ok(candidate):
            return "[iban]" + found[len(candidate):]
    return found


def _phone(match: re.Match) -> str:
    found = match.group(0)
    return found if DATE.fullmatch(found.strip()) else "[phone]"


def _may_hold_email(text: str) -> bool:
    """False when no "@" follows a character that can end an address's local part (as ``EMAIL`` needs):
    "@united" and "me @ home" hold no address, and the pattern need not scan them."""
    at = text.find("@")
    while at != -1:
        if at and (text[at - 1].isalnum() or text[at - 1] in "_.+-"):  # \w is alphanumeric or "_"
            return True
        at = text.find("@", at + 1)
    return False


def redact(text: str | None) -> str | None:
    """Return ``text`` with e-mail addresses, card numbers, IBANs, SSNs and phone numbers replaced."""
    if not text:
        return text
    if "@" in text and _may_hold_email(text):
        text = EMAIL.sub("[email]", text)
    if not DIGIT.search(text):
        return text  # every pattern below needs digits; most short feedback has none
    text = IBAN.sub(_iban, text)
    if not DIGIT_RUN.search(text):
        return text  # card numbers, SSNs and phone numbers all need eight digits no more than two characters apart
    text = CARD.sub(_card, text)
    text = SSN.sub("[ssn]", text)
    return PHONE.sub(_phone, text)
