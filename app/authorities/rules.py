"""Rules of the reference data of local authorities."""

from __future__ import annotations

from enum import StrEnum


class AuthorityType(StrEnum):
    """The three kinds of local authority the Central Bureau of Statistics lists."""

    CITY = "city"
    LOCAL_COUNCIL = "local_council"
    REGIONAL_COUNCIL = "regional_council"
