"""Dates written in Hebrew: the Gregorian date with Hebrew month names (babel) and the Hebrew calendar
date and year in Hebrew letters (pyluach), as certificates and reports print them."""

from __future__ import annotations

from datetime import date, datetime
from functools import lru_cache
from typing import Literal

from babel.dates import format_date, format_datetime
from pyluach import dates as hebcal

DateFormat = Literal["short", "medium", "long", "full"]


@lru_cache(maxsize=4096)  # a pure function of the day, asked for again and again by pages
def gregorian_date_he(day: date, format: DateFormat = "long") -> str:
    """The Gregorian date in Hebrew, e.g. "1 בינואר 2026" (format="full" adds the weekday)."""
    return str(format_date(day, format=format, locale="he"))


def datetime_he(moment: datetime) -> str:
    """A date and time in Hebrew, e.g. "1 בינואר 2026 בשעה 9:05" (in the moment's own timezone)."""
    return f"{gregorian_date_he(moment.date())} בשעה {format_datetime(moment, 'H:mm', locale='he')}"


@lru_cache(maxsize=4096)  # a pure function of the day, asked for again and again by pages
def hebrew_year(day: date) -> str:
    """The Hebrew calendar year of the date in letters with gershayim, e.g. "תשפ״ו" for 1 January 2026."""
    return str(hebcal.HebrewDate.from_pydate(day).hebrew_year())


@lru_cache(maxsize=4096)  # a pure function of the day, asked for again and again by pages
def hebrew_date(day: date) -> str:
    """The Hebrew calendar date in letters, e.g. "י״ב בטבת תשפ״ו" for 1 January 2026 (the Hebrew day begins at
    nightfall; a calendar date is taken as its daytime)."""
    h = hebcal.HebrewDate.from_pydate(day)
    return f"{h.hebrew_day()} ב{h.month_name(hebrew=True)} {h.hebrew_year()}"
