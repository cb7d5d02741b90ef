"""The list envelope every collection answers with: {"items": [...], "total": N}."""

from __future__ import annotations

from typing import Annotated, Generic, TypeVar

from fastapi import Query
from pydantic import BaseModel

T = TypeVar("T")


class Page(BaseModel, Generic[T]):
    """A page of a list, and how many there are in all."""

    items: list[T]
    total: int


Limit = Annotated[int, Query(ge=1, le=500, description="At most this many items (1-500).")]
Offset = Annotated[int, Query(ge=0, description="Skip this many items.")]
