"""The compliance report as PDF, dated and stamped with its as-of date: the country (by district, then each
district's authorities) or one authority (by role, and the officials who are overdue or due soon).

The numbers are those of `selectors.summary` and the drill-down, so the PDF always agrees with the API and the
CSV/XLSX exports; who sees what is decided by the same scoping (a liaison's report is their authority's)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from app import pdf
from app.auth import LIAISON, Principal
from app.clock import now_utc
from app.compliance import selectors
from app.compliance.rules import RequirementStatus, compliance_rate
from app.compliance.schemas import SummaryRow
from app.compliance.selectors import AuthorityHeading, Filters
from app.config import get_settings
from app.errors import NotFound

STATUS_HE = {
    RequirementStatus.COMPLETED: "הושלם",
    RequirementStatus.EXEMPT: "פטור",
    RequirementStatus.CLOSED: "מינוי הסתיים",
    RequirementStatus.OVERDUE: "באיחור",
    RequirementStatus.IN_PROGRESS: "בתהליך",
    RequirementStatus.NOT_STARTED: "טרם החל",
}


@dataclass(frozen=True)
class Report:
    """A rendered report: its file name and the PDF."""

    filename: str
    content: bytes


def district_label(name_he: str) -> str:
    """How a district is named in a heading: "מחוז הדרום", but "אזור יהודה והשומרון" as it is."""
    return name_he if name_he.startswith(("מחוז", "אזור")) else f"מחוז {name_he}"


def _total(rows: list[SummaryRow], name: str) -> SummaryRow:
    """The sum of summary rows, with the compliance rate computed as `selectors.summary` does."""
    counts = {k: sum(getattr(r, k) for r in rows) for k in selectors.COUNTS}
    return SummaryRow(key="", name=name, keys={}, **counts, compliance_rate=compliance_rate(counts))


def _visible_authority(db: Session, *, code: str | None, actor: Principal) -> AuthorityHeading | None:
    """The authority the report is about (none: the country). A liaison's is always their own: asking for the
    country gives it, asking for another is 404 like any record outside their scope."""
    if actor.role == LIAISON:
        if code is not None and code != actor.authority_code:
            raise NotFound(f"no authority has the CBS code {code!r}")
        code = actor.authority_code
    if code is None:
        return None
    authority = selectors.authority_heading(db, code=code)
    if authority is None:
        raise NotFound(f"no authority has the CBS code {code!r}")
    return authority


def country_context(db: Session, *, as_of: date, actor: Principal) -> dict[str, Any]:
    """Counts per district, and per authority within each district, with the national total."""
    everything = Filters()
    by_authority = selectors.summary(db, as_of=as_of, group_by=["authority"], filters=everything, actor=actor)
    by_district = selectors.summary(db, as_of=as_of, group_by=["district"], filters=everything, actor=actor)
    district_of = selectors.authority_districts(db)
    districts = []
    for d in sorted(by_district, key=lambda r: r.name):
        label = district_label(d.name)
        mine = [r for r in by_authority if district_of.get(r.key) == d.key]
        districts.append(
            {
                **d.model_dump(),
                "name": label,
                "authorities": sorted(mine, key=lambda r: r.name),
                "total": d.model_copy(update={"name": f"סה״כ {label}"}),
            }
        )
    return {
        "title": "דו״ח עמידה בחובת ההכשרה: כלל הארץ",
        "districts": districts,
        "authority_count": len(by_authority),
        "total": _total(by_district, "סה״כ ארצי"),
    }


def _officials(db: Session, *, as_of: date, filters: Filters, actor: Principal) -> list[dict[str, Any]]:
    roles = selectors.role_names(db)
    return [
        {
            **r.model_dump(),
            "role_name_he": roles.get(r.role_code, r.role_code),
            "status_he": STATUS_HE.get(r.status, r.status),
            "days": abs((as_of - r.due_date).days),
        }
        for r in selectors.drill_down_rows(db, as_of=as_of, filters=filters, actor=actor, sort="due_date")
    ]


def authority_context(db: Session, *, as_of: date, authority: AuthorityHeading, actor: Principal) -> dict[str, Any]:
    """One authority: counts per role, and the officials overdue or due soon, by due date."""
    mine = Filters(authority=authority.code)
    roles = selectors.summary(db, as_of=as_of, group_by=["role"], filters=mine, actor=actor)
    overdue = _officials(
        db, as_of=as_of, filters=Filters(authority=authority.code, status=RequirementStatus.OVERDUE), actor=actor
    )
    due_soon = _officials(db, as_of=as_of, filters=Filters(authority=authority.code, due_soon=True), actor=actor)
    return {
        "title": f"דו״ח עמידה בחובת ההכשרה: {authority.name_he}",
        "authority": authority,
        "district": district_label(authority.district_he),
        "roles": sorted(roles, key=lambda r: r.name),
        "total": _total(roles, f"סה״כ {authority.name_he}"),
        "overdue": overdue,
        "due_soon": due_soon,
    }


def compliance_report(
    db: Session, *, as_of: date, authority: str | None, actor: Principal, produced_at: datetime | None = None
) -> Report:
    """The PDF report of the country, or of one authority, as of the date, within the caller's scope, stamped with
    the date and who printed it."""
    settings = get_settings()
    produced_at = produced_at or now_utc().astimezone(ZoneInfo(settings.timezone))
    # Stamped with the as-of date and who printed it (the account's email), on every page.
    common = {
        "as_of": as_of,
        "produced_at": produced_at,
        "school_name_he": settings.school_name_he,
        "printed_by": actor.label,
    }
    found = _visible_authority(db, code=authority, actor=actor)
    if found is None:
        context = country_context(db, as_of=as_of, actor=actor)
        template, filename = "reports/compliance_country.html", f"compliance-{as_of.isoformat()}.pdf"
    else:
        context = authority_context(db, as_of=as_of, authority=found, actor=actor)
        template, filename = "reports/compliance_authority.html", f"compliance-{found.code}-{as_of.isoformat()}.pdf"
    return Report(filename=filename, content=pdf.render_pdf(template, {**common, **context}))
