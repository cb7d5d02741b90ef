"""`/compliance/authorities/{cbs_code}`: one authority's requirements and officials; the officials at risk of
falling overdue, and the seats each programme needs."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(include_in_schema=False)
