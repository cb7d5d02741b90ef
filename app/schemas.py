"""Field types shared by the schemas of every package."""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated, Any, Generic, TypeVar

from pydantic import BaseModel, BeforeValidator, Field

_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _iso_date(value: Any) -> Any:
    # Pydantic's lax mode would read 0, or "0", as a Unix time (1970-01-01): a wrong value silently accepted.
    if isinstance(value, date) or (isinstance(value, str) and _ISO_DATE.fullmatch(value)):
        return value
    raise ValueError("must be a date written YYYY-MM-DD")


IsoDate = Annotated[date, BeforeValidator(_iso_date), Field(examples=["2025-09-01"])]
"""A calendar date, written YYYY-MM-DD in JSON and in query strings; nothing else is read as a date."""


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
