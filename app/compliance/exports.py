"""The columns of the compliance exports, in Hebrew and English."""

from __future__ import annotations

from typing import Any

from app.compliance.schemas import SummaryComparisonRow
from app.web.exports import Column

EXPORT_COLUMNS = [
    Column("authority_code", "סמל רשות", "Authority code", 10),
    Column("authority_name_he", "רשות", "Authority", 22),
    Column("district", "מחוז", "District", 14),
    Column("national_id", 'ת"ז', "National ID", 12),
    Column("official_name_he", "שם", "Name", 22),
    Column("role_code", "תפקיד", "Role", 18),
    Column("programme_code", "תוכנית", "Programme", 14),
    Column("appointment_start", "תחילת מינוי", "Appointment start", 12),
    Column("appointment_end", "סיום מינוי", "Appointment end", 12),
    Column("due_date", "מועד אחרון", "Due date", 12),
    Column("status", "סטטוס", "Status", 12),
    Column("due_soon", "מועד קרוב", "Due soon", 8),
    Column("late", "הושלם באיחור", "Completed late", 8),
    Column("completed_on", "תאריך השלמה", "Completed on", 12),
    Column("cohort_code", "מחזור", "Cohort", 12),
    Column("extensions", "הארכות", "Extensions", 8),
    Column("exemptions", "פטורים", "Exemptions", 8),
    Column("pending_requests", "בקשות ממתינות", "Pending requests", 8),
]

SUMMARY_COLUMNS = [
    Column("key", "מפתח", "Key", 14),
    Column("name", "שם", "Name", 26),
    Column("required", "חייבים", "Required", 9),
    Column("completed", "השלימו", "Completed", 9),
    Column("completed_on_time", "השלימו בזמן", "On time", 9),
    Column("completed_late", "השלימו באיחור", "Late", 9),
    Column("in_progress", "בתהליך", "In progress", 9),
    Column("not_started", "טרם החלו", "Not started", 9),
    Column("overdue", "באיחור", "Overdue", 9),
    Column("exempt", "פטורים", "Exempt", 9),
    Column("due_soon", "מועד קרוב", "Due soon", 9),
    Column("compliance_rate", "שיעור עמידה", "Compliance rate", 10),
]

# The comparison of two dates: each count on the earlier date, on the later one, and the change.
_PHASES = (("since", "לפני", "before"), ("until", "אחרי", "after"), ("change", "שינוי", "change"))
COMPARISON_COLUMNS = SUMMARY_COLUMNS[:2] + [
    Column(f"{c.key}_{phase}", f"{c.header_he} ({he})", f"{c.header_en} ({en})", c.width)
    for c in SUMMARY_COLUMNS[2:]
    for phase, he, en in _PHASES
]


def comparison_rows(rows: list[SummaryComparisonRow]) -> list[dict[str, Any]]:
    """The comparison's rows flattened to the columns above."""
    return [
        {
            "key": r.key,
            "name": r.name,
            **{f"{k}_{p}": v for p, _, _ in _PHASES for k, v in getattr(r, p).model_dump().items()},
        }
        for r in rows
    ]
