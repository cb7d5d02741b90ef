"""The list envelope every collection answers with: {"items": [...], "total": N}, and the shared parameters."""

from __future__ import annotations

from typing import Annotated, Generic, TypeVar

from fastapi import Path, Query
from pydantic import BaseModel

from app.schemas import MAX_ID

T = TypeVar("T")


class Page(BaseModel, Generic[T]):
    """A page of a list, and how many there are in all."""

    items: list[T]
    total: int


Limit = Annotated[int, Query(ge=1, le=500, description="At most this many items (1-500).")]
Offset = Annotated[int, Query(ge=0, le=MAX_ID, description="Skip this many items.")]
RecordId = Annotated[int, Path(ge=1, le=MAX_ID, description="The record's id.")]
