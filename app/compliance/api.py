"""JSON routes of extension and exemption requests and the auditors' decisions."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import asdict, dataclass
from datetime import date
from typing import Annotated, Any, Literal

from fastapi import Depends, Query
from sqlalchemy.orm import Session
from starlette.responses import Response

from app.audit.rules import AccessKind
from app.audit.service import record_access, record_list
from app.auth import ADMIN, AUDITOR, LIAISON, OFFICIAL, Principal
from app.authorities.rules import AuthorityType
from app.clock import today
from app.compliance import selectors, service
from app.compliance.exports import COMPARISON_COLUMNS, EXPORT_COLUMNS, SUMMARY_COLUMNS, comparison_rows
from app.compliance.rules import RequestKind, RequestState, RequirementStatus
from app.compliance.schemas import (
    AtRiskRow,
    ChangeRow,
    DecisionCreate,
    DrillDownRow,
    ExemptionRequestCreate,
    ExtensionRequestCreate,
    RequestRead,
    SeatDemandRow,
    SummaryComparisonRow,
    SummaryRow,
)
from app.db import read_db_opener
from app.errors import Invalid
from app.schemas import PlanDate
from app.web.deps import Anyone, SessionDep, Staff, allow
from app.web.errors import responses
from app.web.exports import FILE_RESPONSES, export_response, streamed_export
from app.web.pagination import Limit, Offset, Page, RecordId
from app.web.routing import Router

router = Router(prefix="/api/v1", tags=["compliance"])

Requester = Annotated[Principal, allow(ADMIN, LIAISON, OFFICIAL)]
Auditor = Annotated[Principal, allow(AUDITOR)]


@router.post(
    "/requirements/{requirement_id}/extension-requests",
    status_code=201,
    response_model=RequestRead,
    responses=responses(401, 403, 404, 409, 422),
)
def request_extension(
    requirement_id: RecordId, data: ExtensionRequestCreate, db: SessionDep, actor: Requester
) -> RequestRead:
    """Ask for a later due date. The official (own), a liaison (own authority) or an admin; an auditor decides."""
    return RequestRead.model_validate(
        service.request_extension(
            db,
            requirement_id=requirement_id,
            requested_due_date=data.requested_due_date,
            reason=data.reason,
            actor=actor,
        )
    )


@router.post(
    "/requirements/{requirement_id}/exemption-requests",
    status_code=201,
    response_model=RequestRead,
    responses=responses(401, 403, 404, 409, 422),
)
def request_exemption(
    requirement_id: RecordId, data: ExemptionRequestCreate, db: SessionDep, actor: Requester
) -> RequestRead:
    """Ask to lift the requirement, with a reason code and text. The official, a liaison or an admin."""
    return RequestRead.model_validate(
        service.request_exemption(
            db, requirement_id=requirement_id, reason_code=data.reason_code, reason=data.reason, actor=actor
        )
    )


@router.post("/decisions/{request_id}", response_model=RequestRead, responses=responses(401, 403, 404, 409, 422))
def decide(request_id: RecordId, data: DecisionCreate, db: SessionDep, actor: Auditor) -> RequestRead:
    """Approve or refuse a request, effective on `decided_on` (default today; past allowed back to the day the
    request was filed, future not); a second decision is 409, and so is approving an extension more than
    LMS_MAX_EXTENSION_MONTHS (12) past the due date in force (`extension_too_long`). Auditors only."""
    return RequestRead.model_validate(
        service.decide_request(
            db,
            request_id=request_id,
            approve=data.approve,
            note=data.note,
            decided_on=data.decided_on,
            actor=actor,
        )
    )


@router.get("/requests", response_model=Page[RequestRead], responses=responses(401, 422))
def list_requests(
    db: SessionDep,
    actor: Anyone,
    state: RequestState | None = None,
    kind: RequestKind | None = None,
    limit: Limit = 50,
    offset: Offset = 0,
    authority: str | None = Query(default=None, max_length=8, description="CBS code."),
    district: str | None = Query(default=None, max_length=60, description="District name in English."),
    role: str | None = Query(default=None, max_length=60, description="Role code."),
) -> Page[RequestRead]:
    """Extension and exemption requests within the caller's scope, oldest first (the auditors' queue), filtered by
    state, kind, and the authority, district and role of the appointment."""
    return selectors.list_requests(
        db,
        actor=actor,
        state=state,
        kind=kind,
        limit=limit,
        offset=offset,
        authority=authority,
        district=district,
        role=role,
    )


@router.get(
    "/requirements/{requirement_id}/requests", response_model=Page[RequestRead], responses=responses(401, 404, 422)
)
def requirement_requests(requirement_id: RecordId, db: SessionDep, actor: Anyone) -> Page[RequestRead]:
    """The history of a requirement's requests and decisions, within the caller's scope."""
    return selectors.requirement_requests(db, requirement_id=requirement_id, actor=actor)


# --- reports -------------------------------------------------------------------------------------------

GroupBy = Annotated[
    str,
    Query(
        pattern=r"^(authority|district|role|programme)(,(authority|district|role|programme))*$",
        max_length=200,
        description="authority, district, role or programme, or a comma-separated combination.",
    ),
]


async def _filters(
    authority: str | None = Query(default=None, max_length=8, description="CBS code."),
    district: str | None = Query(default=None, max_length=60, description="District name in English."),
    role: str | None = Query(default=None, max_length=60),
    programme: str | None = Query(default=None, max_length=40),
    status: RequirementStatus | None = None,
    due_soon: bool | None = None,
    late: bool | None = None,
    authority_type: AuthorityType | None = Query(default=None, description="city, local_council or regional_council."),
) -> selectors.Filters:
    return selectors.Filters(
        authority=authority,
        district=district,
        role=role,
        programme=programme,
        status=status,
        due_soon=due_soon,
        late=late,
        authority_type=authority_type,
    )


Filtered = Annotated[selectors.Filters, Depends(_filters)]


async def _as_of(
    as_of: PlanDate | None = Query(default=None, description="YYYY-MM-DD; default today in Israel."),
) -> date:
    return as_of or today()


AsOfDate = Annotated[date, Depends(_as_of)]


@dataclass(frozen=True)
class Period:
    since: date
    until: date


async def _period(
    # In Annotated, not as a default: FastAPI drops the validators of a required parameter's type otherwise.
    since: Annotated[PlanDate, Query(description="The earlier date, e.g. the first day of a quarter.")],
    until: PlanDate | None = Query(default=None, description="The later date; default today in Israel."),
) -> Period:
    until = until or today()
    if since > until:
        raise Invalid(f"since: {since} is after until, {until}", field="since")
    return Period(since, until)


Between = Annotated[Period, Depends(_period)]


@router.get("/compliance/summary", response_model=Page[SummaryRow], responses=responses(401, 422))
def compliance_summary(
    db: SessionDep, actor: Anyone, as_of: AsOfDate, filters: Filtered, group_by: GroupBy = "authority"
) -> Page[SummaryRow]:
    """Counts by status per authority, district, role or programme (or a combination) as of a date, with the
    compliance rate (share of requirements in force that are not overdue). Liaisons see their authority only."""
    rows = selectors.summary(db, as_of=as_of, group_by=group_by.split(","), filters=filters, actor=actor)
    return Page(items=rows, total=len(rows))


@router.get("/compliance/summary/compare", response_model=Page[SummaryComparisonRow], responses=responses(401, 422))
def compliance_summary_compare(
    db: SessionDep, actor: Anyone, filters: Filtered, period: Between, group_by: GroupBy = "authority"
) -> Page[SummaryComparisonRow]:
    """What changed between two dates, per group: the summary on each date and the difference (e.g. a
    quarter's progress by district). The rows of a change are at /compliance/changes."""
    rows = selectors.compare(
        db, since=period.since, until=period.until, group_by=group_by.split(","), filters=filters, actor=actor
    )
    return Page(items=rows, total=len(rows))


@router.get("/compliance/requirements", response_model=Page[DrillDownRow], responses=responses(401, 422))
def compliance_requirements(
    db: SessionDep,
    actor: Anyone,
    as_of: AsOfDate,
    filters: Filtered,
    sort: selectors.Sort = "due_date",
    limit: Limit = 50,
    offset: Offset = 0,
) -> Page[DrillDownRow]:
    """The requirement rows behind any number, filtered and sorted, with cohort and decisions. Written to the
    access log with the officials listed."""
    page = selectors.drill_down(db, as_of=as_of, filters=filters, actor=actor, sort=sort, limit=limit, offset=offset)
    record_list(
        db, actor=actor, subject="/api/v1/compliance/requirements", official_ids=[r.official_id for r in page.items]
    )
    return page


@router.get("/compliance/changes", response_model=Page[ChangeRow], responses=responses(401, 422))
def compliance_changes(
    db: SessionDep,
    actor: Anyone,
    filters: Filtered,
    period: Between,
    limit: Limit = 50,
    offset: Offset = 0,
) -> Page[ChangeRow]:
    """Requirements whose status changed between two dates (e.g. over a quarter); `status` filters the new one."""
    return selectors.changes(
        db, since=period.since, until=period.until, filters=filters, actor=actor, limit=limit, offset=offset
    )


@router.get("/compliance/at-risk", response_model=Page[AtRiskRow], responses=responses(401, 422))
def compliance_at_risk(
    db: SessionDep, actor: Anyone, as_of: AsOfDate, filters: Filtered, limit: Limit = 50, offset: Offset = 0
) -> Page[AtRiskRow]:
    """Officials due within 90 days and not enrolled, or enrolled in a cohort that ends after their due date.
    Written to the access log with the officials listed."""
    page = selectors.at_risk(db, as_of=as_of, filters=filters, actor=actor, limit=limit, offset=offset)
    record_list(db, actor=actor, subject="/api/v1/compliance/at-risk", official_ids=[r.official_id for r in page.items])
    return page


@router.get("/compliance/seat-demand", response_model=Page[SeatDemandRow], responses=responses(401, 403, 422))
def compliance_seat_demand(db: SessionDep, actor: Staff, as_of: AsOfDate) -> Page[SeatDemandRow]:
    """Per mandatory programme: officials falling due in 6 and 12 months without a seat, against the free seats
    of scheduled cohorts. Admins and auditors."""
    rows = selectors.seat_demand(db, as_of=as_of, actor=actor)
    return Page(items=rows, total=len(rows))


@router.get("/compliance/export.{fmt}", response_class=Response, responses={**FILE_RESPONSES, **responses(401, 422)})
def compliance_export(
    fmt: Literal["csv", "xlsx"],
    db: SessionDep,
    actor: Anyone,
    as_of: AsOfDate,
    filters: Filtered,
    open_session: Annotated[Callable[[], AbstractContextManager[Session]], Depends(read_db_opener)],
    lang: Literal["he", "en"] = "he",
    sort: selectors.Sort = "authority",
) -> Response:
    """Every requirement row as of the date (filtered like the drill-down), streamed as CSV or XLSX with Hebrew
    headers and a right-to-left sheet (lang=en for English). Written to the access log, with its filters."""
    record_access(
        db,
        actor=actor,
        kind=AccessKind.EXPORT,
        subject=f"/api/v1/compliance/export.{fmt}",
        detail={"as_of": as_of.isoformat(), **{k: v for k, v in asdict(filters).items() if v is not None}},
    )

    @contextmanager
    def open_rows() -> Iterator[Iterator[dict[str, Any]]]:
        with open_session() as db:
            yield selectors.stream_drill_down(db, as_of=as_of, filters=filters, actor=actor, sort=sort)

    title = f'דו"ח עמידה בחובת הכשרה נכון ל-{as_of.isoformat()}' if lang == "he" else f"Compliance as of {as_of}"
    return streamed_export(
        fmt,
        EXPORT_COLUMNS,
        open_rows,
        filename=f"compliance-{as_of.isoformat()}",
        lang=lang,
        sheet="compliance",
        title=title,
    )


@router.get("/compliance/summary.{fmt}", response_class=Response, responses={**FILE_RESPONSES, **responses(401, 422)})
def compliance_summary_export(
    fmt: Literal["csv", "xlsx"],
    db: SessionDep,
    actor: Anyone,
    as_of: AsOfDate,
    filters: Filtered,
    group_by: GroupBy = "authority",
    lang: Literal["he", "en"] = "he",
) -> Response:
    """The summary as CSV or XLSX."""
    rows = selectors.summary(db, as_of=as_of, group_by=group_by.split(","), filters=filters, actor=actor)
    title = f"סיכום עמידה נכון ל-{as_of.isoformat()}" if lang == "he" else f"Compliance summary as of {as_of}"
    return export_response(
        fmt,
        SUMMARY_COLUMNS,
        [r.model_dump() for r in rows],
        filename=f"compliance-summary-{as_of.isoformat()}",
        lang=lang,
        sheet="summary",
        title=title,
    )


@router.get(
    "/compliance/summary/compare.{fmt}", response_class=Response, responses={**FILE_RESPONSES, **responses(401, 422)}
)
def compliance_summary_compare_export(
    fmt: Literal["csv", "xlsx"],
    db: SessionDep,
    actor: Anyone,
    filters: Filtered,
    period: Between,
    group_by: GroupBy = "authority",
    lang: Literal["he", "en"] = "he",
) -> Response:
    """The comparison of two dates as CSV or XLSX: each count before, after and its change."""
    since, until = period.since.isoformat(), period.until.isoformat()
    rows = selectors.compare(
        db, since=period.since, until=period.until, group_by=group_by.split(","), filters=filters, actor=actor
    )
    title = f"שינוי בעמידה מ-{since} עד {until}" if lang == "he" else f"Compliance change from {since} to {until}"
    return export_response(
        fmt,
        COMPARISON_COLUMNS,
        comparison_rows(rows),
        filename=f"compliance-change-{since}-{until}",
        lang=lang,
        sheet="change",
        title=title,
    )


# --- the PDF report --------------------------------------------------------------------------------------

from app.compliance import report_pdf  # noqa: E402

_PDF: dict[int | str, dict[str, Any]] = {200: {"content": {"application/pdf": {}}, "description": "The PDF report"}}
ReportReader = Annotated[Principal, allow(ADMIN, AUDITOR, LIAISON)]


@router.get("/compliance/report.pdf", response_class=Response, responses={**_PDF, **responses(401, 403, 404, 422)})
def compliance_report_pdf(
    db: SessionDep,
    actor: ReportReader,
    as_of: AsOfDate,
    authority: str | None = Query(
        default=None, max_length=8, description="CBS code; none: the country (for a liaison, their authority)."
    ),
) -> Response:
    """The compliance report as an A4 PDF in Hebrew, stamped with the as-of date: the country by district and
    authority, or one authority by role with its officials overdue or due soon. A liaison gets their own
    authority (another is 404); admins and auditors any. Officials: 403."""
    report = report_pdf.compliance_report(db, as_of=as_of, authority=authority, actor=actor)
    detail = {"as_of": as_of.isoformat(), "authority": authority}
    record_access(db, actor=actor, kind=AccessKind.EXPORT, subject="/api/v1/compliance/report.pdf", detail=detail)
    return Response(
        report.content,
        media_type="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{report.filename}"'},
    )
