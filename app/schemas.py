"""Field types shared by the schemas of every package."""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated, Any, Generic, TypeVar

from pydantic import AfterValidator, BaseModel, BeforeValidator, EmailStr, Field

from app.clock import today
from app.text import clean_text

EMAIL_MAX_LENGTH = 254  # RFC 5321's longest address, and the width of every email column
Email = Annotated[EmailStr, Field(max_length=EMAIL_MAX_LENGTH)]
"""An email address, at most 254 characters."""


def optional_text(value: str | None) -> str | None:
    """A text field that may be left out: cleaned (app.text.clean_text); nothing left is None."""
    if value is None:
        return None
    return clean_text(value) or None


def required_text(value: str | None) -> str:
    """A text field that must say something: cleaned (app.text.clean_text), and refused when nothing is left."""
    cleaned = clean_text(value or "")
    if not cleaned:
        raise ValueError("must not be blank")
    return cleaned


_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _iso_date(value: Any) -> Any:
    # Pydantic's lax mode would read 0, or "0", as a Unix time (1970-01-01): a wrong value silently accepted.
    if isinstance(value, date) or (isinstance(value, str) and _ISO_DATE.fullmatch(value)):
        return value
    raise ValueError("must be a date written YYYY-MM-DD")


IsoDate = Annotated[date, BeforeValidator(_iso_date), Field(examples=["2025-09-01"])]
"""A calendar date, written YYYY-MM-DD in JSON and in query strings; nothing else is read as a date."""

# The plausible range of every date a client sends. Nothing the school records is older than the State (its
# local authorities, roles and officials all come after 14 May 1948), and nothing is planned more than ten
# years ahead. Past these bounds a date is a slip of the keyboard, and an attack besides: date arithmetic near
# year 9999 overflows (a 500 on every report), and years before 1900 make broken cells in a spreadsheet.
FIRST_PLAUSIBLE_DATE = date(1948, 5, 14)
PLAN_YEARS_AHEAD = 10


def last_plausible_plan_date(today: date) -> date:
    """The latest date a plan may name: today ten years on (28 February for a 29 February)."""
    year = today.year + PLAN_YEARS_AHEAD
    return today.replace(year=year, day=28) if (today.month, today.day) == (2, 29) else today.replace(year=year)


def plan_date_problem(value: date, *, today: date) -> str | None:
    """Why a date of a plan, or a report's as-of date, is implausible: before the State, or over ten years ahead."""
    if value < FIRST_PLAUSIBLE_DATE:
        return f"{value} is before {FIRST_PLAUSIBLE_DATE}, the earliest date the school records"
    last = last_plausible_plan_date(today)
    if value > last:
        return f"{value} is more than {PLAN_YEARS_AHEAD} years ahead; the latest date accepted is {last}"
    return None


def fact_date_problem(value: date, *, today: date) -> str | None:
    """Why the date of a fact (a completion, a decision) is implausible: before the State, or in the future."""
    if value < FIRST_PLAUSIBLE_DATE:
        return f"{value} is before {FIRST_PLAUSIBLE_DATE}, the earliest date the school records"
    if value > today:
        return f"{value} is in the future; the latest date accepted is today, {today}"
    return None


def _plan_date(value: date) -> date:
    if problem := plan_date_problem(value, today=today()):
        raise ValueError(problem)
    return value


def _fact_date(value: date) -> date:
    if problem := fact_date_problem(value, today=today()):
        raise ValueError(problem)
    return value


PlanDate = Annotated[
    date,
    BeforeValidator(_iso_date),
    AfterValidator(_plan_date),
    Field(examples=["2025-09-01"], description="YYYY-MM-DD, from 1948-05-14 to ten years from today."),
]
"""A date of a plan (an appointment, a cohort, a due date) or a report's as-of date, within the plausible range."""

FactDate = Annotated[
    date,
    BeforeValidator(_iso_date),
    AfterValidator(_fact_date),
    Field(examples=["2025-09-01"], description="YYYY-MM-DD, from 1948-05-14 to today."),
]
"""The date of something that happened (a completion, a decision): within the plausible range, never future."""


# Ids are 32-bit integers in PostgreSQL; an unbounded int from a client would overflow the driver (a 500).
MAX_ID = 2_147_483_647


class ErrorBody(BaseModel):
    """Every error answer."""

    error: str
    detail: str
    field: str | None = None


T = TypeVar("T")


class Page(BaseModel, Generic[T]):
    """A page of a list, and how many there are in all: what every list answers with."""

    items: list[T]
    total: int
