"""Programmes in and out."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from app.programmes.rules import ProgrammeKind
from app.text import clean_text

CODE_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,39}$"
CODE_MAX_LENGTH = 40


def _clean_title(v: str) -> str:
    v = clean_text(v)
    if not v:
        raise ValueError("is empty")
    return v


class ModuleIn(BaseModel):
    """A module of a programme."""

    model_config = ConfigDict(extra="forbid")

    title_he: str = Field(min_length=1, max_length=300)
    title_en: str = Field(min_length=1, max_length=300)
    hours: float = Field(gt=0, le=1000)

    _titles = field_validator("title_he", "title_en")(_clean_title)


class AssessmentIn(BaseModel):
    """An assessment of a programme, e.g. a final project; required ones must be passed to complete."""

    model_config = ConfigDict(extra="forbid")

    code: str = Field(pattern=CODE_PATTERN, max_length=CODE_MAX_LENGTH)
    title_he: str = Field(min_length=1, max_length=300)
    title_en: str = Field(min_length=1, max_length=300)
    required: bool = Field(default=True, strict=True)  # JSON true or false; not 0, 1 or "yes"

    _titles = field_validator("title_he", "title_en")(_clean_title)


def _unique_codes(items: list[AssessmentIn] | None) -> list[AssessmentIn] | None:
    if items is not None:
        codes = [a.code for a in items]
        if len(set(codes)) != len(codes):
            raise ValueError("lists an assessment code twice")
    return items


class ProgrammeCreate(BaseModel):
    """A programme of the catalogue; a mandatory one is owed by the roles in role_codes."""

    model_config = ConfigDict(extra="forbid")

    code: str = Field(
        pattern=CODE_PATTERN, max_length=CODE_MAX_LENGTH, description="Letters, digits, '-', '_' or '.'; at most 40."
    )
    kind: ProgrammeKind
    title_he: str = Field(min_length=1, max_length=300)
    title_en: str = Field(min_length=1, max_length=300)
    hours: float = Field(gt=0, le=2000)
    min_attendance_pct: int = Field(default=80, ge=1, le=100)
    late_credit_pct: int = Field(
        default=50, ge=0, le=100, description="Share of a session's hours that a late arrival counts for."
    )
    role_codes: list[Annotated[str, Field(max_length=60)]] = Field(default_factory=list, max_length=100)
    validity_years: int | None = Field(default=None, ge=1, le=50)
    modules: list[ModuleIn] = Field(default_factory=list, max_length=100)
    assessments: list[AssessmentIn] = Field(default_factory=list, max_length=20)
    certificate_text_he: str | None = Field(default=None, max_length=2000)
    certificate_text_en: str | None = Field(default=None, max_length=2000)

    _titles = field_validator("title_he", "title_en")(_clean_title)
    _assessments = field_validator("assessments")(_unique_codes)

    @field_validator("role_codes")
    @classmethod
    def _unique(cls, v: list[str]) -> list[str]:
        codes = [clean_text(c) for c in v]
        if len(set(codes)) != len(codes):
            raise ValueError("lists a role twice")
        return codes


class ProgrammeUpdate(BaseModel):
    """A change to a programme; cohorts already created keep the rules they were opened under."""

    model_config = ConfigDict(extra="forbid")

    title_he: str | None = Field(default=None, min_length=1, max_length=300)
    title_en: str | None = Field(default=None, min_length=1, max_length=300)
    hours: float | None = Field(default=None, gt=0, le=2000)
    min_attendance_pct: int | None = Field(default=None, ge=1, le=100)
    late_credit_pct: int | None = Field(default=None, ge=0, le=100)
    validity_years: int | None = Field(default=None, ge=1, le=50)
    modules: list[ModuleIn] | None = Field(default=None, max_length=100)
    assessments: list[AssessmentIn] | None = Field(default=None, max_length=20)
    certificate_text_he: str | None = Field(default=None, max_length=2000)
    certificate_text_en: str | None = Field(default=None, max_length=2000)

    _assessments = field_validator("assessments")(_unique_codes)

    @model_validator(mode="after")
    def _required_stay(self) -> ProgrammeUpdate:
        for name in (
            "title_he",
            "title_en",
            "hours",
            "min_attendance_pct",
            "late_credit_pct",
            "modules",
            "assessments",
        ):
            if name in self.model_fields_set and getattr(self, name) is None:
                raise ValueError(f"{name} cannot be removed")
        return self


class ModuleRead(BaseModel):
    """A module of a programme."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    position: int
    title_he: str
    title_en: str
    hours: float


class AssessmentRead(BaseModel):
    """An assessment of a programme."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    code: str
    title_he: str
    title_en: str
    required: bool


class ProgrammeRead(BaseModel):
    """A programme of the catalogue."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    code: str
    kind: ProgrammeKind
    title_he: str
    title_en: str
    hours: float
    min_attendance_pct: int
    late_credit_pct: int
    validity_years: int | None
    role_codes: list[str]
    modules: list[ModuleRead]
    assessments: list[AssessmentRead]
    certificate_text_he: str | None
    certificate_text_en: str | None
    created_at: datetime
    retired_at: datetime | None = Field(
        default=None, description="When it was retired from the catalogue: no new cohorts; None while offered."
    )
