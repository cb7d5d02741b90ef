"""Certificates in and out."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from app.certificates.rules import CertificateStatus
from app.text import clean_text


class CertificateItem(BaseModel):
    """A certificate in a list."""

    serial: str = Field(examples=["MKM-2026-000123"])
    verification_code: str
    status: CertificateStatus
    programme_code: str
    official_id: int
    issued_on: date


class CertificateRead(CertificateItem):
    """A certificate: what it certifies, and where it stands."""

    id: int
    enrolment_id: int
    cohort_id: int
    cohort_code: str
    holder_name_he: str
    holder_name_en: str | None
    programme_title_he: str
    programme_title_en: str
    hours: float
    completed_on: date
    verification_url: str
    revoked_on: date | None = None
    revocation_reason: str | None = None
    superseded_by: str | None = Field(None, description="The serial of the certificate that replaced this one.")
    supersedes: str | None = Field(None, description="The serial of the certificate this one replaced.")
    pdf_sha256: str | None = None


class RevokeIn(BaseModel):
    """Why a certificate is revoked."""

    model_config = ConfigDict(extra="forbid")

    reason: str = Field(min_length=3, max_length=2000)

    @field_validator("reason")
    @classmethod
    def _strip(cls, value: str) -> str:
        value = clean_text(value)
        if len(value) < 3:
            raise ValueError("give a reason of at least 3 characters")
        return value


# A DID: "did:", a method name, and a method-specific id (W3C DID 1.0, section 3.1), without spaces.
DID_PATTERN = r"^did:[a-z0-9]+:[A-Za-z0-9._:%-]*[A-Za-z0-9._%-]$"


HolderDid = Annotated[
    str,
    Field(
        max_length=300,
        pattern=DID_PATTERN,
        description="The holder's DID, as their wallet gave it: the credential's subject id.",
        examples=["did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK"],
    ),
]


class ReissueIn(BaseModel):
    """What a reissue may change besides the official's details: the DID the holder's wallet gave."""

    model_config = ConfigDict(extra="forbid")

    holder_did: HolderDid | None = None


class HolderDidIn(BaseModel):
    """The DID a holder's wallet gave, to be named by in their credential."""

    model_config = ConfigDict(extra="forbid")

    holder_did: HolderDid


class VerifyRead(BaseModel):
    """What the public may know of a certificate: whether it is valid, whose, of what, since when. Never the ID."""

    valid: bool
    status: CertificateStatus
    serial: str
    holder_name_he: str
    holder_name_en: str | None
    programme_title_he: str
    programme_title_en: str
    issued_on: date
    completed_on: date
    hours: float
    revoked_on: date | None = None
    revocation_reason: str | None = None
    superseded_by: str | None = Field(None, description="The serial of the current certificate.")
    current_verification_url: str | None = Field(None, description="Where the current certificate is verified.")


class CredentialRead(BaseModel):
    """The signed credential, twice with the same content: with a Data Integrity proof, and as a JWT."""

    format: Literal["vc+jwt"] = "vc+jwt"
    kid: str = Field(description="The key that signed it: the URL of its JWK, also in /.well-known/jwks.json.")
    jws: str = Field(
        description="The compact JWS (Open Badges 3.0 JWT): the credential with claims iss, jti, nbf, sub."
    )
    credential: dict[str, Any] = Field(
        description="The Open Badges 3.0 credential with its Data Integrity proof (eddsa-rdfc-2022), for wallets."
    )
