"""The graduates directory, in and out: a graduate's own profile, and the directory's rows."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from app.graduates.rules import normalise_phone
from app.schemas import Email
from app.text import clean_text


class GraduateProfileUpdate(BaseModel):
    """A graduate joins the directory (or leaves it: `opted_in: false`), and chooses what it shows of them: the email
    entered here, or else the one on their record (`show_email`), a phone (`show_phone`), and a short line about
    themselves or their areas of expertise."""

    model_config = ConfigDict(extra="forbid")

    opted_in: bool
    show_email: bool = False
    email: Email | None = Field(default=None, description="An address to show instead of the one on record.")
    show_phone: bool = False
    phone: str | None = Field(default=None, max_length=40, description="Israeli numbers as typed, or +country code.")
    about: str | None = Field(default=None, max_length=300, description="About me, or my areas of expertise.")

    @field_validator("phone")
    @classmethod
    def _phone(cls, value: str | None) -> str | None:
        cleaned = clean_text(value or "")
        return normalise_phone(cleaned) if cleaned else None

    @field_validator("about")
    @classmethod
    def _about(cls, value: str | None) -> str | None:
        return clean_text(value or "") or None

    @model_validator(mode="after")
    def _shown_phone_given(self) -> GraduateProfileUpdate:
        if self.show_phone and not self.phone:
            raise ValueError("phone: to show a phone number, enter one")
        return self


class GraduateProgramme(BaseModel):
    """A programme a graduate completed: with its cohort (none for a completion recorded by decision) and year."""

    programme_code: str
    title_he: str
    title_en: str
    cohort_code: str | None
    completed_on: date
    year: int


class GraduatePost(BaseModel):
    """A role a graduate holds now, and where."""

    role_code: str
    role_he: str
    role_en: str
    authority_code: str
    authority_he: str
    authority_en: str


class GraduateRead(BaseModel):
    """A graduate in the directory: name, current roles and authorities, programmes completed, and the contact
    details they chose to show (null when not shown)."""

    official_id: int
    name_he: str
    name_en: str | None
    posts: list[GraduatePost]
    programmes: list[GraduateProgramme]
    email: str | None
    phone: str | None
    about: str | None
    joined_on: date


class GraduateProfileRead(BaseModel):
    """The caller's own standing towards the directory: whether they are a graduate (and of what), whether they are
    in it, and what it shows of them. Staff and liaisons are never graduates here."""

    is_graduate: bool
    opted_in: bool
    opted_in_on: date | None
    opted_out_on: date | None
    show_email: bool
    email: str | None = Field(description="The address entered for the directory, if any.")
    email_on_record: str | None = Field(description="The official's address on record, shown when none is entered.")
    show_phone: bool
    phone: str | None
    about: str | None
    programmes: list[GraduateProgramme]
