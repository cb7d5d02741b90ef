"""The vocabulary of the audit trail and of the access log."""

from __future__ import annotations

import json
from dataclasses import dataclass
from enum import StrEnum
from typing import Any


class AccessKind(StrEnum):
    """What personal data a read or an export reached."""

    OFFICIAL_RECORD = "official_record"  # one official's data on screen: record, requirements, enrolments, ...
    NATIONAL_ID_SEARCH = "national_id_search"  # a search of officials by national ID
    TRANSCRIPT = "transcript"  # an official's transcript, on screen
    CREDENTIAL = "credential"  # a certificate's signed credential
    CERTIFICATE_PDF = "certificate_pdf"  # a certificate as a PDF
    LIST = "list"  # a list on screen naming many officials: the registry, a cohort's roster, requirement rows
    EXPORT = "export"  # a file of records (transcript, attendance, compliance rows, a cohort's certificates)


@dataclass(frozen=True)
class FieldChange:
    """One field an audited change touched: its name, and its value before and after as text ("" for none)."""

    field: str
    before: str
    after: str


def _as_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def changed_fields(before: dict[str, Any] | None, after: dict[str, Any] | None) -> list[FieldChange]:
    """The fields whose value differs between an event's before and after, in the order the record lists them:
    every field of a record created (no before) or removed (no after)."""
    old, new = before or {}, after or {}
    names = list(dict.fromkeys([*old, *new]))
    return [
        FieldChange(name, _as_text(old.get(name)), _as_text(new.get(name)))
        for name in names
        if name not in old or name not in new or old[name] != new[name]
    ]
