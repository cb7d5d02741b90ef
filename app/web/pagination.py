"""The parameters of lists (limit, offset) and record ids in paths; the envelope, `Page`, is `app.schemas.Page`."""

from __future__ import annotations

from typing import Annotated

from fastapi import Path, Query

from app.schemas import MAX_ID, Page

__all__ = ["Limit", "Offset", "Page", "RecordId"]

Limit = Annotated[int, Query(ge=1, le=500, description="At most this many items (1-500).")]
Offset = Annotated[int, Query(ge=0, le=MAX_ID, description="Skip this many items.")]
RecordId = Annotated[int, Path(ge=1, le=MAX_ID, description="The record's id.")]
