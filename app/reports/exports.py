"""The columns of the records' files (CSV and XLSX), in Hebrew and English."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from app.attendance.rules import AttendanceStatus
from app.reports.schemas import AttendanceMatrix
from app.web.exports import Column

STATUS_LABELS: dict[str, dict[str, str]] = {
    "he": {
        AttendanceStatus.PRESENT: "נוכח/ת",
        AttendanceStatus.LATE: "איחור",
        AttendanceStatus.EXCUSED: "היעדרות מוצדקת",
        AttendanceStatus.ABSENT: "נעדר/ת",
    },
    "en": {s: s.value for s in AttendanceStatus},
}


def matrix_export(matrix: AttendanceMatrix, *, lang: str) -> tuple[list[Column], list[dict[str, Any]]]:
    """The matrix as export columns (one per session) and rows, with a last row counting those present."""
    labels = STATUS_LABELS["he" if lang == "he" else "en"]
    columns = [Column("name_he", "שם", "Name", 24)]
    columns += [
        Column(f"s{s.id}", f"{s.date.isoformat()} ({s.hours:g} ש')", f"{s.date.isoformat()} ({s.hours:g}h)")
        for s in matrix.sessions
    ]
    columns += [
        Column("attended_hours", "שעות נוכחות", "Attended hours"),
        Column("attended_pct", "% נוכחות", "Attendance %"),
    ]
    rows: list[dict[str, Any]] = []
    present: dict[int, int] = defaultdict(int)
    for r in matrix.items:
        row: dict[str, Any] = {"name_he": r.name_he, "attended_hours": r.attended_hours, "attended_pct": r.attended_pct}
        for s, st in zip(matrix.sessions, r.statuses, strict=True):
            row[f"s{s.id}"] = labels.get(st or "", "")
            present[s.id] += st in (AttendanceStatus.PRESENT, AttendanceStatus.LATE)
        rows.append(row)
    rows.append(
        {
            "name_he": 'סה"כ נוכחים' if lang == "he" else "Present",
            **{f"s{s.id}": present[s.id] for s in matrix.sessions},
        }
    )
    return columns, rows


TRANSCRIPT_COLUMNS = [
    Column("programme_code", "קוד תוכנית", "Programme code"),
    Column("programme_title_he", "תוכנית", "Programme (Hebrew)", 32),
    Column("programme_title_en", "Programme", "Programme", 32),
    Column("kind", "סוג", "Kind"),
    Column("cohort_code", "מחזור", "Cohort"),
    Column("cohort_start", "תחילת מחזור", "Cohort start"),
    Column("cohort_end", "סיום מחזור", "Cohort end"),
    Column("scheduled_hours", "שעות מתוכננות", "Scheduled hours"),
    Column("attended_hours", "שעות נוכחות", "Attended hours"),
    Column("result", "תוצאה", "Result"),
    Column("completed_on", "תאריך סיום", "Completed on"),
    Column("decision_reason", "סיום בהחלטה: נימוק", "Completion by decision: reason", 30),
]
