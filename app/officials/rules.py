"""Rules of a person's record (the Israeli ID number and names) and of the two-year window (rule 1)."""

from __future__ import annotations

import re
from datetime import date

from dateutil.relativedelta import relativedelta

from app.text import clean_text

WINDOW_MONTHS = 24

_DIGITS = re.compile(r"\d{1,9}")
_HEBREW_LETTER = re.compile("[\u05d0-\u05ea]")
_NAME_CHARS = re.compile("^[\u0590-\u05ff\u0600-\u06ffA-Za-z\u00c0-\u024f'\u2019 \"\\-.()]+$")


def _luhn_sum(digits: str) -> int:
    # Weights 1, 2, 1, 2, ... from the left; a product of two digits counts as the sum of its digits.
    total = 0
    for i, ch in enumerate(digits):
        d = int(ch) * (1 if i % 2 == 0 else 2)
        total += d - 9 if d > 9 else d
    return total


def check_digit(eight_digits: str) -> str:
    """The check digit that makes the first eight digits of an Israeli ID a valid 9-digit ID."""
    if len(eight_digits) != 8 or not eight_digits.isascii() or not eight_digits.isdigit():
        raise ValueError(f"{eight_digits!r} is not eight digits")
    return str(-_luhn_sum(eight_digits) % 10)


def normalise_national_id(raw: str) -> str:
    """The 9-digit Israeli ID with leading zeros restored; ValueError says why a value is refused."""
    value = clean_text(str(raw)).replace("-", "").replace(" ", "")
    if not value:
        raise ValueError("is empty")
    if not value.isascii() or not value.isdigit():
        raise ValueError("must contain digits only")
    if not _DIGITS.fullmatch(value):
        raise ValueError("has more than 9 digits")
    value = value.zfill(9)
    if value == "000000000":
        raise ValueError("cannot be all zeros")
    if check_digit(value[:8]) != value[8]:
        raise ValueError("has a wrong check digit")
    return value


_ID_QUERY = re.compile(r"[\d\- ]+")


def national_id_query(raw: str | None) -> str | None:
    """The digits of a search that is an ID number (digits, maybe with dashes or spaces, as people copy them), else
    None. Leading zeros are for the search to restore: "12345678" and "012345678" are the same person."""
    value = clean_text(raw or "")
    if not value.isascii() or not _ID_QUERY.fullmatch(value):
        return None
    digits = value.replace("-", "").replace(" ", "")
    return digits if 0 < len(digits) <= 9 else None


def normalise_name(raw: str, *, hebrew: bool) -> str:
    """A name cleaned of controls and in NFC; a Hebrew name must contain Hebrew letters."""
    value = clean_text(raw)
    if not value:
        raise ValueError("is empty")
    if len(value) > 100:
        raise ValueError("is longer than 100 characters")
    if not _NAME_CHARS.match(value):
        raise ValueError("contains characters that are not letters of a name")
    if hebrew and not _HEBREW_LETTER.search(value):
        raise ValueError("must be written in Hebrew letters")
    return value


def add_months(start: date, months: int) -> date:
    """The same day of month `months` later; where that day does not exist, the month's last day."""
    return start + relativedelta(months=months)


def due_date_for(appointment_start: date) -> date:
    """Rule 1: a requirement is due 24 calendar months after the appointment's start."""
    return add_months(appointment_start, WINDOW_MONTHS)
