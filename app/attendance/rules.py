"""Rules of attendance and completion (rule 5, docs/rules.md): credit of a status, attended hours, the decision,
and the columns and statuses of an attendance sheet (app/sheets.py reads the file)."""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from typing import Any

from app.errors import Invalid
from app.sheets import (
    MAX_UNCOMPRESSED_BYTES,
    CellError,
    cell_text,
    filled,
    header_table,
    map_columns,
    parse_date,
    read_records,
)
from app.text import clean_text, search_key


class AttendanceStatus(StrEnum):
    """An official's attendance at a session."""

    PRESENT = "present"
    LATE = "late"
    EXCUSED = "excused"
    ABSENT = "absent"


# Hours and shares are compared at this many decimals, so that 0.1 + 0.2 hours is 0.3 hours.
PRECISION = 2
_QUANTUM = Decimal(1).scaleb(-PRECISION)


def round_hours(value: float) -> float:
    """Hours to two decimals, halves up (2.625 is 2.63), as people round them on paper."""
    return float(Decimal(repr(float(value))).quantize(_QUANTUM, rounding=ROUND_HALF_UP))


def credit(status: str, *, late_credit_pct: int) -> float:
    """The share of a session's hours a status counts for: present 1, late the cohort's share, else 0."""
    if status == AttendanceStatus.PRESENT:
        return 1.0
    if status == AttendanceStatus.LATE:
        return late_credit_pct / 100
    if status in (AttendanceStatus.EXCUSED, AttendanceStatus.ABSENT):
        return 0.0
    raise ValueError(f"unknown attendance status {status!r}")


def session_minutes(hours: float) -> int:
    """A session's length in whole minutes, to the nearest (1.33 hours are 80): the most minutes late a late arrival
    at it can carry."""
    return int((Decimal(repr(float(hours))) * 60).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def minutes_late_error(status: str, minutes_late: int | None, *, session_hours: float | None = None) -> str | None:
    """Why a record cannot carry these minutes late (a sentence after the field's name), or None when it can: only
    a late arrival carries minutes, a whole number from 1 to the session's length in minutes."""
    if minutes_late is None:
        return None
    if status != AttendanceStatus.LATE:
        return f"only a late arrival carries minutes late; this record is {status}"
    if minutes_late < 1:
        return f"{minutes_late} is not a number of minutes late: give 1 or more, or leave it out"
    if session_hours is not None and minutes_late > (length := session_minutes(session_hours)):
        return f"{minutes_late} minutes is longer than the session ({length} minutes)"
    return None


def session_credit_hours(hours: float, status: str, *, late_credit_pct: int, minutes_late: int | None = None) -> float:
    """The hours one record counts for, unrounded: a late arrival with its minutes late counts for the time attended
    (the session's hours less the minutes, never below 0); without them, for the cohort's late share."""
    if status == AttendanceStatus.LATE and minutes_late is not None:
        return max(0.0, hours - minutes_late / 60)
    return hours * credit(status, late_credit_pct=late_credit_pct)


# A record of attendance as the rules read it: (session hours, status), or with its minutes late (None: none).
AttendanceFact = tuple[float, str] | tuple[float, str, int | None]


def attended_hours(records: Iterable[AttendanceFact], *, late_credit_pct: int) -> float:
    """The hours attended over (session hours, status[, minutes late]) records: a late arrival counts for the time
    attended when its minutes late are known, otherwise for the cohort's share; rounded once, over the total."""
    total = sum(
        session_credit_hours(r[0], r[1], late_credit_pct=late_credit_pct, minutes_late=r[2] if len(r) > 2 else None)
        for r in records
    )
    return round_hours(total)


def required_hours(scheduled_hours: float, *, min_attendance_pct: int) -> float:
    """The hours an official must attend: the cohort's minimum share of its scheduled hours."""
    return round_hours(scheduled_hours * min_attendance_pct / 100)


def _hours(value: float) -> str:
    return f"{round_hours(value):.2f}".rstrip("0").rstrip(".")


@dataclass(frozen=True)
class CompletionDecision:
    """Whether an enrolment is completed under rule 5, and why not when it is not."""

    completed: bool
    attended_hours: float
    scheduled_hours: float
    required_hours: float
    reasons: tuple[str, ...] = ()
    # The same reasons as facts, for a page to word in its own language: hours short, and the required
    # assessments without a result or failed.
    hours_short: bool = False
    missing_assessments: tuple[str, ...] = ()
    failed_assessments: tuple[str, ...] = ()


def decide_completion(
    *,
    scheduled_hours: float,
    attended: float,
    min_attendance_pct: int,
    required_assessments: Sequence[str],
    passed: Collection[str],
    failed: Collection[str] = (),
) -> CompletionDecision:
    """Rule 5: completed iff the attended hours reach the minimum share and every required assessment passed."""
    attended = round_hours(attended)
    needed = required_hours(scheduled_hours, min_attendance_pct=min_attendance_pct)
    reasons: list[str] = []
    missing: list[str] = []
    failing: list[str] = []
    if attended < needed:
        reasons.append(
            f"attended {_hours(attended)} of {_hours(scheduled_hours)} hours, "
            f"{min_attendance_pct}% ({_hours(needed)} hours) needed"
        )
    for code in required_assessments:
        if code in passed:
            continue
        reasons.append(f"assessment {code} not passed" if code in failed else f"assessment {code} has no result")
        (failing if code in failed else missing).append(code)
    return CompletionDecision(
        completed=not reasons,
        attended_hours=attended,
        scheduled_hours=round_hours(scheduled_hours),
        required_hours=needed,
        reasons=tuple(reasons),
        hours_short=attended < needed,
        missing_assessments=tuple(missing),
        failed_assessments=tuple(failing),
    )


# --- attendance sheets ---------------------------------------------------------------------------------

_STATUS_WORDS: dict[str, str] = {
    **{s.value: s.value for s in AttendanceStatus},
    # Hebrew, as a school secretary types it: masculine, feminine and the slash form.
    "נוכח": "present",
    "נוכחת": "present",
    "נוכח/ת": "present",
    "נוכחות": "present",
    "איחור": "late",
    "מאחר": "late",
    "מאחרת": "late",
    "איחר": "late",
    "איחרה": "late",
    "מוצדק": "excused",
    "מוצדקת": "excused",
    "חיסור מוצדק": "excused",
    "היעדרות מוצדקת": "excused",
    "נעדר": "absent",
    "נעדרת": "absent",
    "נעדר/ת": "absent",
    "חיסור": "absent",
    "חסר": "absent",
    "חסרה": "absent",
    "לא נכח": "absent",
    "לא נכחה": "absent",
}


def parse_status(raw: str) -> AttendanceStatus:
    """The attendance status a cell means: present, late, excused or absent, in English or Hebrew."""
    text = search_key(raw)
    status = _STATUS_WORDS.get(text) or _STATUS_WORDS.get(re.sub(r"\s*/\s*", "/", text))
    if status is None:
        raise ValueError(
            f"{clean_text(raw)!r} is not an attendance status; write present, late, excused or absent "
            "(or נוכח, איחור, מוצדק, נעדר)"
        )
    return AttendanceStatus(status)


SHEET_FIELDS = ("national_id", "session_id", "session_date", "status", "note", "minutes_late")
_SHEET_ALIASES: dict[str, tuple[str, ...]] = {
    "national_id": ("id", "national id number", "תז", "מספר זהות", "תעודת זהות", "מס זהות"),
    "session_id": ("session", "מספר מפגש", "מזהה מפגש"),
    "session_date": ("date", "תאריך", "תאריך מפגש", "תאריך המפגש"),
    "status": ("attendance", "נוכחות", "סטטוס", "מצב"),
    "note": ("notes", "remark", "הערה", "הערות"),
    "minutes_late": ("minutes late", "late minutes", "minutes", "דקות איחור", "איחור בדקות", "דקות"),
}
_SHEET_HEADERS = header_table(SHEET_FIELDS, _SHEET_ALIASES)


@dataclass(frozen=True)
class SheetRow:
    """One row of an attendance sheet, as written; the service resolves the person and the session."""

    row: int
    national_id: str
    session_id: str
    session_date: str
    status: str
    note: str
    minutes_late: str = ""


def _sheet_columns(headers: list[Any]) -> list[str]:
    columns = map_columns(
        headers,
        _SHEET_HEADERS,
        known='national_id, session_date or session_id, status, note and minutes_late (or ת"ז, תאריך, נוכחות, הערה, '
        "דקות איחור)",
    )
    missing = [c for c in ("national_id", "status") if c not in columns]
    if "session_id" not in columns and "session_date" not in columns:
        missing.append("session_date or session_id")
    if missing:
        raise Invalid(
            f"file: the header row has no {', no '.join(missing)} column", field="file", code="missing_column"
        )
    return columns


def read_sheet(
    data: bytes, *, filename: str | None = None, max_uncompressed: int = MAX_UNCOMPRESSED_BYTES
) -> list[SheetRow]:
    """The rows of an attendance sheet as Excel saves it: XLSX, or CSV in UTF-8 (BOM or not) or Windows-1255,
    `,` or `;`."""
    if not data.strip():
        raise Invalid("file: is empty", field="file", code="empty_file")
    columns: list[str] | None = None
    rows: list[SheetRow] = []
    for number, cells in filled(read_records(data, filename=filename, max_uncompressed=max_uncompressed)):
        if columns is None:
            columns = _sheet_columns(cells)
            continue
        values = {name: cell_text(c) for name, c in zip(columns, cells, strict=False) if name}
        rows.append(SheetRow(row=number, **{f: values.get(f, "") for f in SHEET_FIELDS}))
    if not rows:
        raise Invalid("file: there are no rows under the header row", field="file", code="empty_file")
    return rows


def parse_minutes_late(raw: str) -> int | None:
    """The minutes late a cell gives: a whole number, or None for an empty cell; ValueError says why not (the
    bounds, 1 to the session's length, are `minutes_late_error`'s)."""
    text = clean_text(raw)
    if not text:
        return None
    if not re.fullmatch(r"[0-9]{1,6}", text):
        raise ValueError(f"{text!r} is not a whole number of minutes")
    return int(text)


def parse_session_date(raw: str) -> date:
    """A session's date as written in a sheet: YYYY-MM-DD, DD/MM/YYYY or DD.MM.YYYY; ValueError says why not."""
    try:
        return parse_date(raw, field="session_date")
    except CellError as exc:
        raise ValueError(exc.detail) from exc
