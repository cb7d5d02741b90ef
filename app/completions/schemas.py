"""Completions in and out."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field

from app.completions.rules import CompletionSource
from app.schemas import FactDate


class CompletionCreate(BaseModel):
    """A completion recorded by an admin's decision: the programme, the date it counts from, and why."""

    model_config = ConfigDict(extra="forbid")

    programme_code: str = Field(min_length=1, max_length=40)
    completed_on: FactDate
    reason: str = Field(min_length=3, max_length=2000)


class CompletionRead(BaseModel):
    """A completion of a programme by an official."""

    id: int
    official_id: int
    programme_code: str
    completed_on: date
    source: CompletionSource
    reason: str | None
    created_at: datetime
