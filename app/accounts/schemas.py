"""Accounts in and out."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from app.accounts.rules import PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH, password_problem
from app.auth import LIAISON, OFFICIAL, UserRole
from app.schemas import Email
from app.text import clean_text


class UserCreate(BaseModel):
    """A login: a liaison names an authority, an official names the person (by national ID)."""

    model_config = ConfigDict(extra="forbid")

    email: Email
    password: str = Field(
        max_length=PASSWORD_MAX_LENGTH,
        description=f"At least {PASSWORD_MIN_LENGTH} characters, not a common or breached password, not the email.",
    )
    role: UserRole
    authority_code: str | None = Field(default=None, max_length=8)
    official_national_id: str | None = Field(default=None, max_length=12)

    @field_validator("authority_code", "official_national_id")
    @classmethod
    def _blank_is_none(cls, v: str | None) -> str | None:
        # An empty code is no code: otherwise "" would pass the checks below and reach the database.
        return (clean_text(v) or None) if v is not None else None

    @model_validator(mode="after")
    def _password(self) -> UserCreate:
        problem = password_problem(self.password, email=str(self.email))
        if problem:
            raise ValueError(f"password: {problem}")
        return self

    @model_validator(mode="after")
    def _links(self) -> UserCreate:
        if self.role == LIAISON and not self.authority_code:
            raise ValueError("authority_code: a liaison account names its authority")
        if self.role != LIAISON and self.authority_code:
            raise ValueError("authority_code: only a liaison account names an authority")
        if self.role == OFFICIAL and not self.official_national_id:
            raise ValueError("official_national_id: an official's account names the person")
        if self.role != OFFICIAL and self.official_national_id:
            raise ValueError("official_national_id: only an official's account names a person")
        return self


class UserRead(BaseModel):
    """A login, without its password."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    email: str
    role: UserRole
    authority_code: str | None
    official_id: int | None
    active: bool
    must_change_password: bool = Field(description="A temporary password is set: the user must choose their own.")
    created_at: datetime
    totp_enrolled_at: datetime | None = None


class Token(BaseModel):
    """A bearer token."""

    access_token: str
    token_type: Literal["bearer"] = "bearer"
    expires_in: int = Field(description="Seconds until the token expires.")
    totp_enrolment_required: bool = Field(
        default=False,
        description="True for an admin or auditor without a second factor: the token only enrols one "
        "(POST /api/v1/auth/totp, then /api/v1/auth/totp/confirm); every other route answers 403.",
    )


class RoleChange(BaseModel):
    """A new role for an account, or a liaison's new authority. An official's account stays that person's: it is
    neither given another role nor made from another role's account."""

    model_config = ConfigDict(extra="forbid")

    role: UserRole
    authority_code: str | None = Field(default=None, max_length=8, description="For a liaison: the authority.")

    @field_validator("authority_code")
    @classmethod
    def _blank_is_none(cls, v: str | None) -> str | None:
        return (clean_text(v) or None) if v is not None else None

    @model_validator(mode="after")
    def _links(self) -> RoleChange:
        if self.role == LIAISON and not self.authority_code:
            raise ValueError("authority_code: a liaison account names its authority")
        if self.role != LIAISON and self.authority_code:
            raise ValueError("authority_code: only a liaison account names an authority")
        return self


class PasswordResetIn(BaseModel):
    """How to reset a password: a one-time link for the user to choose a new one, or a temporary password the
    user must change at their first sign-in."""

    model_config = ConfigDict(extra="forbid")

    method: Literal["link", "temporary"] = "link"


class PasswordResetOut(BaseModel):
    """What to hand the user, out of band: the link's one-time token, or the temporary password (shown once)."""

    method: Literal["link", "temporary"]
    reset_token: str | None = Field(
        default=None, description="For POST /api/v1/auth/password-reset; usable once, until `expires_at`."
    )
    reset_url: str | None = Field(
        default=None, description="The page that sets a new password with the token: the link to hand over."
    )
    expires_at: datetime | None = None
    temporary_password: str | None = Field(default=None, description="To be changed at the first sign-in.")


class PasswordChange(BaseModel):
    """The caller's own new password; the current one proves it is them."""

    model_config = ConfigDict(extra="forbid")

    current_password: str = Field(max_length=PASSWORD_MAX_LENGTH)
    new_password: str = Field(
        max_length=PASSWORD_MAX_LENGTH,
        description=f"At least {PASSWORD_MIN_LENGTH} characters, not a common or breached password, not the email.",
    )


class PasswordResetComplete(BaseModel):
    """A new password set with a one-time reset link's token."""

    model_config = ConfigDict(extra="forbid")

    token: str = Field(min_length=1, max_length=128)
    new_password: str = Field(
        max_length=PASSWORD_MAX_LENGTH,
        description=f"At least {PASSWORD_MIN_LENGTH} characters, not a common or breached password, not the email.",
    )


class TotpEnrolment(BaseModel):
    """A TOTP secret offered to the account: add it to an authenticator app (the URI as a QR code, or the secret
    typed in), then confirm it with a code."""

    secret: str = Field(description="Base32, for typing into an authenticator app.")
    provisioning_uri: str = Field(description="otpauth:// URI, for a QR code.")


class TotpConfirm(BaseModel):
    """The current code of the authenticator app, proving the secret offered is in it."""

    model_config = ConfigDict(extra="forbid")

    totp: str = Field(min_length=6, max_length=6, pattern=r"^[0-9]{6}$")


class RecoveryCodes(BaseModel):
    """Ten one-time codes, each usable once instead of a TOTP code; shown only this once."""

    recovery_codes: list[str]
