"""Officials and appointments in and out."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, field_validator, model_validator

from app.officials.rules import normalise_name, normalise_national_id
from app.schemas import Email, PlanDate
from app.text import clean_text


def _as_text(value: Any) -> Any:
    # Spreadsheets and some systems send an ID as a number; it is still an ID.
    return str(value) if isinstance(value, int) and not isinstance(value, bool) else value


NationalId = Annotated[
    str,
    BeforeValidator(_as_text),
    Field(
        max_length=20,
        description="Israeli ID number: up to 9 digits with a valid check digit; leading zeros are restored.",
        examples=["000000018"],
    ),
]
CleanEmail = Annotated[Email, BeforeValidator(lambda v: clean_text(v).lower() if isinstance(v, str) else v)]


class _Names(BaseModel):
    @field_validator("national_id", check_fields=False)
    @classmethod
    def _national_id(cls, v: str | None) -> str | None:
        return None if v is None else normalise_national_id(v)

    @field_validator("first_name_he", "last_name_he", check_fields=False)
    @classmethod
    def _hebrew(cls, v: str | None) -> str | None:
        return None if v is None else normalise_name(v, hebrew=True)

    @field_validator("first_name_en", "last_name_en", check_fields=False)
    @classmethod
    def _english(cls, v: str | None) -> str | None:
        if v is None or not clean_text(v):
            return None
        return normalise_name(v, hebrew=False)


class OfficialCreate(_Names):
    """A new official: ID and Hebrew names required, English names and email optional."""

    model_config = ConfigDict(extra="forbid")

    national_id: NationalId
    first_name_he: str = Field(max_length=200)
    last_name_he: str = Field(max_length=200)
    first_name_en: str | None = Field(default=None, max_length=200)
    last_name_en: str | None = Field(default=None, max_length=200)
    email: CleanEmail | None = None


class OfficialUpdate(_Names):
    """Any of an official's fields; only those sent are changed."""

    model_config = ConfigDict(extra="forbid")

    national_id: NationalId | None = None
    first_name_he: str | None = Field(default=None, max_length=200)
    last_name_he: str | None = Field(default=None, max_length=200)
    first_name_en: str | None = Field(default=None, max_length=200)
    last_name_en: str | None = Field(default=None, max_length=200)
    email: CleanEmail | None = None

    @model_validator(mode="after")
    def _required_stay(self) -> OfficialUpdate:
        for name in ("national_id", "first_name_he", "last_name_he"):
            if name in self.model_fields_set and getattr(self, name) is None:
                raise ValueError(f"{name} cannot be removed")
        return self


class OfficialRead(BaseModel):
    """An official."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    national_id: str
    first_name_he: str
    last_name_he: str
    first_name_en: str | None
    last_name_en: str | None
    email: str | None
    created_at: datetime
    updated_at: datetime


class AppointmentCreate(BaseModel):
    """A role held in an authority from a start date, maybe to an end date (the last day in the role)."""

    model_config = ConfigDict(extra="forbid")

    authority_code: str = Field(min_length=1, max_length=8, description='CBS code as a string, e.g. "0031".')
    role_code: str = Field(min_length=1, max_length=60)
    start_date: PlanDate
    end_date: PlanDate | None = None

    @field_validator("authority_code", "role_code")
    @classmethod
    def _clean(cls, v: str) -> str:
        return clean_text(v)

    @model_validator(mode="after")
    def _order(self) -> AppointmentCreate:
        if self.end_date is not None and self.end_date < self.start_date:
            raise ValueError("end_date is before start_date")
        return self


class AppointmentUpdate(BaseModel):
    """A correction of an appointment's dates, or its end."""

    model_config = ConfigDict(extra="forbid")

    start_date: PlanDate | None = None
    end_date: PlanDate | None = None

    @model_validator(mode="after")
    def _start_stays(self) -> AppointmentUpdate:
        if "start_date" in self.model_fields_set and self.start_date is None:
            raise ValueError("start_date cannot be removed")
        return self


class AppointmentRead(BaseModel):
    """An appointment."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    official_id: int
    authority_code: str
    role_code: str
    start_date: date
    end_date: date | None
    created_at: datetime
