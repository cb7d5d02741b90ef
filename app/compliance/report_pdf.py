"""The compliance report as PDF, dated and stamped with its as-of date: the country (by district, then each
district's authorities) or one authority (by role, and the officials who are overdue or due soon).

The numbers are those of `reports.summary` and the drill-down, so the PDF always agrees with the API and the
CSV/XLSX exports; who sees what is decided by the same scoping (a liaison's report is their authority's)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from app import pdf
from app.auth import LIAISON, Principal
from app.authorities.models import Authority
from app.clock import now_utc
from app.compliance import reports
from app.config import get_settings
from app.errors import NotFound
from app.roles.models import Role

STATUS_HE = {
    "completed": "הושלם",
    "exempt": "פטור",
    "closed": "מינוי הסתיים",
    "overdue": "באיחור",
    "in_progress": "בתהליך",
    "not_started": "טרם החל",
}


@dataclass(frozen=True)
class Report:
    """A rendered report: its file name and the PDF."""

    filename: str
    content: bytes


def district_label(name_he: str) -> str:
    """How a district is named in a heading: "מחוז הדרום", but "אזור יהודה והשומרון" as it is."""
    return name_he if name_he.startswith(("מחוז", "אזור")) else f"מחוז {name_he}"


def _total(rows: list[dict[str, Any]], name: str) -> dict[str, Any]:
    """The sum of summary rows, with the compliance rate computed as `reports.summary` does."""
    out: dict[str, Any] = {k: sum(int(r[k]) for r in rows) for k in reports.COUNTS}
    out["name"] = name
    out["compliance_rate"] = reports.compliance_rate(out)
    return out


def _visible_authority(session: Session, *, code: str | None, actor: Principal) -> Authority | None:
    """The authority the report is about (none: the country). A liaison's is always their own: asking for the
    country gives it, asking for another is 404 like any record outside their scope."""
    if actor.role == LIAISON:
        if code is not None and code != actor.authority_code:
            raise NotFound(f"no authority has the CBS code {code!r}")
        code = actor.authority_code
    if code is None:
        return None
    authority = session.get(Authority, code)
    if authority is None:
        raise NotFound(f"no authority has the CBS code {code!r}")
    return authority


def country_context(session: Session, *, as_of: date, actor: Principal) -> dict[str, Any]:
    """Counts per district, and per authority within each district, with the national total."""
    by_authority = reports.summary(session, as_of=as_of, group_by=["authority"], filters=reports.Filters(), actor=actor)
    by_district = reports.summary(session, as_of=as_of, group_by=["district"], filters=reports.Filters(), actor=actor)
    district_of = dict(session.execute(select(Authority.code, Authority.district)).all())
    districts = []
    for d in sorted(by_district, key=lambda r: r["name"]):
        label = district_label(d["name"])
        mine = [r for r in by_authority if district_of.get(r["key"]) == d["key"]]
        districts.append(
            {
                **d,
                "name": label,
                "authorities": sorted(mine, key=lambda r: r["name"]),
                "total": {**d, "name": f"סה״כ {label}"},
            }
        )
    return {
        "title": "דו״ח עמידה בחובת ההכשרה: כלל הארץ",
        "districts": districts,
        "authority_count": len(by_authority),
        "total": _total(by_district, "סה״כ ארצי"),
    }


def _officials(session: Session, *, as_of: date, filters: reports.Filters, actor: Principal) -> list[dict[str, Any]]:
    roles = dict(session.execute(select(Role.code, Role.name_he)).all())
    rows = []
    for r in reports.stream_drill_down(session, as_of=as_of, filters=filters, actor=actor, sort="due_date"):
        r["role_name_he"] = roles.get(r["role_code"], r["role_code"])
        r["status_he"] = STATUS_HE.get(r["status"], r["status"])
        r["days"] = abs((as_of - r["due_date"]).days)
        rows.append(r)
    return rows


def authority_context(session: Session, *, as_of: date, authority: Authority, actor: Principal) -> dict[str, Any]:
    """One authority: counts per role, and the officials overdue or due soon, by due date."""
    mine = reports.Filters(authority=authority.code)
    roles = reports.summary(session, as_of=as_of, group_by=["role"], filters=mine, actor=actor)
    overdue = _officials(
        session, as_of=as_of, filters=reports.Filters(authority=authority.code, status="overdue"), actor=actor
    )
    due_soon = _officials(
        session, as_of=as_of, filters=reports.Filters(authority=authority.code, due_soon=True), actor=actor
    )
    return {
        "title": f"דו״ח עמידה בחובת ההכשרה: {authority.name_he}",
        "authority": authority,
        "district": district_label(authority.district_he),
        "roles": sorted(roles, key=lambda r: r["name"]),
        "total": _total(roles, f"סה״כ {authority.name_he}"),
        "overdue": overdue,
        "due_soon": due_soon,
    }


def compliance_report(
    session: Session, *, as_of: date, authority: str | None, actor: Principal, produced_at: datetime | None = None
) -> Report:
    """The PDF report of the country, or of one authority, as of the date, within the caller's scope."""
    settings = get_settings()
    produced_at = produced_at or now_utc().astimezone(ZoneInfo(settings.timezone))
    common = {"as_of": as_of, "produced_at": produced_at, "school_name_he": settings.school_name_he}
    found = _visible_authority(session, code=authority, actor=actor)
    if found is None:
        context = country_context(session, as_of=as_of, actor=actor)
        template, filename = "reports/compliance_country.html", f"compliance-{as_of.isoformat()}.pdf"
    else:
        context = authority_context(session, as_of=as_of, authority=found, actor=actor)
        template, filename = "reports/compliance_authority.html", f"compliance-{found.code}-{as_of.isoformat()}.pdf"
    return Report(filename=filename, content=pdf.render_pdf(template, {**common, **context}))
