"""`/compliance/requests`: extension and exemption requests, pending first, and their decisions; an official's
requirement history."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(include_in_schema=False)
