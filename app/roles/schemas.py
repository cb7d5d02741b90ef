"""Roles in and out."""

from __future__ import annotations

from pydantic import BaseModel


class RoleRead(BaseModel):
    """A senior role and the mandatory programme it owes (null where none)."""

    code: str
    name_he: str
    name_en: str
    mandatory_programme_code: str | None
