"""Programmes in and out."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from app.text import clean_text

CODE_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,39}$"


class ProgrammeCreate(BaseModel):
    """A programme of the catalogue; a mandatory one is owed by the roles in role_codes."""

    model_config = ConfigDict(extra="forbid")

    code: str = Field(pattern=CODE_PATTERN, description="Letters, digits, '-', '_' or '.'; at most 40.")
    kind: Literal["mandatory", "advanced"]
    title_he: str = Field(min_length=1, max_length=300)
    title_en: str = Field(min_length=1, max_length=300)
    hours: float = Field(gt=0, le=2000)
    min_attendance_pct: int = Field(default=80, ge=1, le=100)
    role_codes: list[str] = Field(default_factory=list, max_length=100)
    validity_years: int | None = Field(default=None, ge=1, le=50)

    @field_validator("title_he", "title_en")
    @classmethod
    def _clean(cls, v: str) -> str:
        v = clean_text(v)
        if not v:
            raise ValueError("is empty")
        return v

    @field_validator("role_codes")
    @classmethod
    def _unique(cls, v: list[str]) -> list[str]:
        codes = [clean_text(c) for c in v]
        if len(set(codes)) != len(codes):
            raise ValueError("lists a role twice")
        return codes


class ProgrammeRead(BaseModel):
    """A programme of the catalogue."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    code: str
    kind: Literal["mandatory", "advanced"]
    title_he: str
    title_en: str
    hours: float
    min_attendance_pct: int
    validity_years: int | None
    role_codes: list[str]
    created_at: datetime
