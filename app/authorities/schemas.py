"""Authorities in and out."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from app.authorities.rules import AuthorityType


class AuthorityRead(BaseModel):
    """A local authority; `code` is the CBS code as a string."""

    model_config = ConfigDict(from_attributes=True)

    code: str
    name_he: str
    name_en: str
    type: AuthorityType
    district: str
    district_he: str
    active: bool
