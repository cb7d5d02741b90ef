"""Rules of the programme catalogue."""

from __future__ import annotations

from enum import StrEnum


class ProgrammeKind(StrEnum):
    """A programme is the mandatory entry training of roles, or advanced training."""

    MANDATORY = "mandatory"
    ADVANCED = "advanced"
