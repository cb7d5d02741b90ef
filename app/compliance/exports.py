"""The columns of the compliance exports, in Hebrew and English."""

from __future__ import annotations

from typing import Any

from app.compliance.dashboard import AUTHORITY_TYPE_EN, Heatmap, Ranked, Tally
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


# --- the dashboard's tables (/compliance/authorities.csv|xlsx, /compliance/heatmap.csv|xlsx) -----------------------
# Words in the reader's language (authority, district, type, role) and the codes in columns of their own; rates as
# shares (0.875), their changes in the same unit.

_COUNT_COLUMNS = [
    Column("required", "חובות בתוקף", "Requirements in force", 10),
    Column("completed_on_time", "הושלמו בזמן", "Completed on time", 10),
    Column("completed_late", "הושלמו באיחור", "Completed late", 10),
    Column("overdue", "באיחור", "Overdue", 9),
    Column("in_progress", "בתהליך", "In progress", 9),
    Column("not_started", "טרם החלו", "Not started", 9),
    Column("exempt", "פטורים", "Exempt", 9),
    Column("compliance_rate", "שיעור עמידה", "Compliance rate", 10),
    Column("on_time_rate", "שיעור השלמה בזמן", "On-time rate", 10),
]

AUTHORITY_RANKING_COLUMNS = [
    Column("rank", "מקום", "Rank", 6),
    Column("authority_name", "רשות", "Authority", 24),
    Column("authority_code", "סמל רשות", "Authority code", 10),
    Column("district_name", "מחוז", "District", 16),
    Column("district_code", "קוד מחוז", "District code", 14),
    Column("type_name", "סוג רשות", "Authority type", 14),
    Column("type_code", "קוד סוג רשות", "Authority type code", 14),
    *_COUNT_COLUMNS,
    Column("compliance_rate_before", "שיעור עמידה בתאריך ההשוואה", "Compliance rate on the earlier date", 12),
    Column("compliance_rate_change", "שינוי בשיעור העמידה", "Change in compliance rate", 12),
    Column("overdue_change", "שינוי במספר המאחרים", "Change in overdue", 10),
]

HEATMAP_COLUMNS = [
    Column("row_name", "מחוז או רשות", "District or authority", 24),
    Column("row_kind", "סוג השורה", "Row kind", 10),
    Column("row_code", "קוד", "Code", 14),
    Column("role_name", "תפקיד", "Role", 22),
    Column("role_code", "קוד תפקיד", "Role code", 18),
    *_COUNT_COLUMNS,
]


def _counts(tally: Tally) -> dict[str, Any]:
    return {
        **{c.key: getattr(tally, c.key) for c in _COUNT_COLUMNS[:-2]},
        "compliance_rate": tally.compliance_rate,
        "on_time_rate": tally.on_time_rate,
    }


def ranking_rows(ranked: list[Ranked], *, lang: str) -> list[dict[str, Any]]:
    """The ranked table's rows, in its order, in the reader's language."""
    return [
        {
            "rank": i,
            "authority_name": r.facts.name(lang),
            "authority_code": r.facts.code,
            "district_name": r.facts.district_name(lang),
            "district_code": r.facts.district,
            "type_name": r.facts.type_he if lang == "he" else AUTHORITY_TYPE_EN.get(r.facts.type, r.facts.type),
            "type_code": r.facts.type,
            **_counts(r.now),
            "compliance_rate_before": r.then.compliance_rate,
            "compliance_rate_change": r.rate_change,
            "overdue_change": r.now.overdue - r.then.overdue,
        }
        for i, r in enumerate(ranked, start=1)
    ]


def heatmap_rows(heatmap: Heatmap, *, lang: str) -> list[dict[str, Any]]:
    """A row for each cell of the heatmap that has requirements (row by row, role by role)."""
    kind = {"district": ("מחוז", "district"), "authority": ("רשות", "authority")}[heatmap.by]
    return [
        {
            "row_name": row.name(lang),
            "row_kind": kind[0] if lang == "he" else kind[1],
            "row_code": row.key,
            "role_name": role.name(lang),
            "role_code": role.code,
            **_counts(row.cells[role.code]),
        }
        for row in heatmap.rows
        for role in heatmap.roles
        if role.code in row.cells
    ]
