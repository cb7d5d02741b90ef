"""The compliance trend: the on-time rate and the overdue count month by month, each computed as of its month's end
with the status rules of the summary (it is the summary's total as of that date), and kept in the data version's
cache: a month's figures are computed once for each state of the data, whichever as-of date asks for them."""

from __future__ import annotations

from calendar import monthrange
from dataclasses import dataclass
from datetime import date
from typing import Any

from dateutil.relativedelta import relativedelta
from sqlalchemy import CompoundSelect, Date, and_, bindparam, case, func, literal, or_, select, union_all
from sqlalchemy.orm import Session

from app.auth import Principal
from app.completions.models import Completion
from app.compliance import selectors
from app.compliance.models import RequirementRequest
from app.compliance.queries import _date_key
from app.compliance.rules import RequestKind, RequestState, RequirementStatus, on_time_rate
from app.compliance.selectors import Filters, _parameters, _restriction, _shape
from app.data_version import CACHE, current, written
from app.officials.models import Appointment, Requirement
from app.programmes.models import Programme


@dataclass(frozen=True)
class TrendPoint:
    """The figures of the summary's total as of one date."""

    as_of: date
    required: int
    overdue: int
    completed_on_time: int
    exempt: int
    on_time_rate: float | None


def month_end(day: date) -> date:
    """The last day of the day's month."""
    return day.replace(day=monthrange(day.year, day.month)[1])


def trend_dates(as_of: date, months: int = 24) -> list[date]:
    """The dates of the trend, oldest first: the ends of the `months - 1` months before as_of's month, then as_of
    itself (its month's end when it is one; otherwise the month so far, as of that day)."""
    first = as_of.replace(day=1)
    return [month_end(first - relativedelta(months=i)) for i in range(months - 1, 0, -1)] + [as_of]


def scope_key(actor: Principal) -> tuple[str, str | None, int | None]:
    """What of the caller the figures depend on: the role and the scope it narrows to."""
    return (actor.role, actor.authority_code, actor.official_id)


def _by_status(filters: Filters) -> bool:
    """Whether the filters narrow by a requirement's standing (status, due soon, late), which the one-statement
    trend does not compute: then each point is the summary's own statement."""
    return filters.status is not None or filters.due_soon is not None or filters.late is not None


# The trend's statements, built once for each number of dates, shape of filters and role.
_QUERIES: dict[tuple[Any, ...], CompoundSelect[Any]] = {}


def _trend_query(n_dates: int, filters: Filters, actor: Principal) -> CompoundSelect[Any]:
    key = (n_dates, _shape(filters), actor.role)
    stmt = _QUERIES.get(key)
    if stmt is None:
        stmt = _QUERIES[key] = _build_trend_query(n_dates, filters, actor)
    return stmt


def _build_trend_query(n_dates: int, filters: Filters, actor: Principal) -> CompoundSelect[Any]:
    """The summary's required, overdue, completed on time and exempt as of each of the dates `d0`...`d{n-1}`, in
        one statement: each requirement's dated facts are read once (its first counting completion, the date it was
        exempted, its base due date, its appointment's dates), then judged as of every date by the status rules of
        `queries.status_query` (rule 3: completed, exempt, closed, overdue, in that order; the due date that of the
        latest extension decided by the date). A requirement counts from the day its appointment starts. (The summary
    also joins each row to its authority, which the appointment's foreign key makes certain to find.)"""
    R, A, P, C, RR = Requirement, Appointment, Programme, Completion, RequirementRequest
    counts = or_(
        and_(C.completed_on >= A.start_date, or_(A.end_date.is_(None), C.completed_on <= A.end_date)),
        and_(
            C.completed_on < A.start_date,
            or_(
                P.validity_years.is_(None),
                _date_key(C.completed_on) + P.validity_years * 10000 >= _date_key(A.start_date),
            ),
        ),
    )
    facts_q = (
        select(
            R.id.label("id"),
            R.due_date.label("base_due"),
            A.start_date.label("start_date"),
            A.end_date.label("end_date"),
            func.min(C.completed_on).label("first_done"),
        )
        .join(A, A.id == R.appointment_id)
        .join(P, P.id == R.programme_id)
        .outerjoin(C, and_(C.official_id == A.official_id, C.programme_id == R.programme_id, counts))
    )
    facts = (
        _restriction(filters, actor)(facts_q)
        .group_by(R.id, A.id, P.id)
        .cte("facts")
        .prefix_with("MATERIALIZED", dialect="postgresql")  # computed once, then judged as of every date
    )
    approved = RR.state == RequestState.APPROVED
    exempted = (
        select(RR.requirement_id.label("rid"), func.min(RR.decided_on).label("exempt_from"))
        .where(RR.kind == RequestKind.EXEMPTION, approved)
        .group_by(RR.requirement_id)
        .subquery("exempted")
    )
    dates = union_all(*(select(bindparam(f"d{i}", type_=Date).label("d")) for i in range(n_dates))).subquery("dates")
    extended = (
        select(dates.c.d, RR.requirement_id.label("rid"), func.max(RR.requested_due_date).label("extended_to"))
        .join(dates, RR.decided_on <= dates.c.d)
        .where(RR.kind == RequestKind.EXTENSION, approved)
        .group_by(dates.c.d, RR.requirement_id)
        .subquery("extended")
    )
    f, d, x = facts.c, dates.c.d, extended.c
    extended_ids = select(RR.requirement_id).where(RR.kind == RequestKind.EXTENSION, approved)
    day = [bindparam(f"d{i}", type_=Date) for i in range(n_dates)]

    def band(fact: Any, *, strictly: bool = False) -> Any:
        """The index of the first date on or after which the fact holds (`fact <= d`, or `fact < d`); n for none."""
        return case(*((fact < dd if strictly else fact <= dd, i) for i, dd in enumerate(day)), else_=n_dates)

    bands = (
        select(
            band(f.start_date).label("s"),
            band(f.first_done).label("f"),
            band(exempted.c.exempt_from).label("x"),
            band(f.end_date, strictly=True).label("e"),
            band(f.base_due, strictly=True).label("b"),
            case((f.first_done <= f.base_due, 1), else_=0).label("ot"),
        )
        .select_from(facts)
        .outerjoin(exempted, exempted.c.rid == f.id)
        .where(f.id.not_in(extended_ids))
        .subquery("bands")
    )
    bc = bands.c
    banded = select(
        literal(None, Date).label("d"), bc.s, bc.f, bc.x, bc.e, bc.b, bc.ot, func.count().label("n")
    ).group_by(bc.s, bc.f, bc.x, bc.e, bc.b, bc.ot)
    due = case((x.extended_to > f.base_due, x.extended_to), else_=f.base_due)
    S = RequirementStatus
    status = case(
        (and_(f.first_done.is_not(None), f.first_done <= d), literal(S.COMPLETED.value)),
        (and_(exempted.c.exempt_from.is_not(None), exempted.c.exempt_from <= d), literal(S.EXEMPT.value)),
        (and_(f.end_date.is_not(None), f.end_date < d), literal(S.CLOSED.value)),
        (due < d, literal(S.OVERDUE.value)),
        else_=literal("open"),
    )
    judged = (
        select(d.label("d"), status.label("status"), case((f.first_done <= due, True), else_=False).label("on_time"))
        .select_from(facts)
        .join(dates, f.start_date <= d)
        .outerjoin(exempted, exempted.c.rid == f.id)
        .outerjoin(extended, and_(x.rid == f.id, x.d == d))
        .where(f.id.in_(extended_ids))
        .subquery("judged")
    )
    j = judged.c

    def n(cond: Any) -> Any:
        return func.sum(case((cond, 1), else_=0))

    judged_counts = select(
        j.d,
        n(j.status != S.CLOSED).label("required"),
        n(j.status == S.OVERDUE).label("overdue"),
        n(and_(j.status == S.COMPLETED, j.on_time == True)).label("completed_on_time"),  # noqa: E712
        n(j.status == S.EXEMPT).label("exempt"),
        literal(0).label("unused_1"),
        literal(0).label("unused_2"),
        literal(0).label("unused_3"),
    ).group_by(j.d)
    # One statement, so that the facts are read once: the banded rows (no date) then the judged ones (a date and
    # its four figures).
    return union_all(banded, judged_counts)


def _add_bands(rows: Any, n_dates: int) -> list[dict[str, int]]:
    """The figures as of each date from the banded requirements: (s, f, x, e, b, ot, count), each index that of the
    first date by which the appointment has started (s), the requirement was completed (f), exempted (x), its
    appointment ended before the date (e), its due date passed before the date (b); ot when the completion came by
    the due date. As of date i a requirement is counted from s; completed from f; else exempt from x; else closed
    from e; else overdue from b: each status holds over a run of dates, added as a difference (+ at its first
    date, - after its last)."""
    diff = {k: [0] * (n_dates + 1) for k in _FIGURES}

    def add(figure: str, first: int, stop: int, count: int) -> None:
        if first < stop:
            diff[figure][first] += count
            diff[figure][stop] -= count

    for s, f, x, e, b, ot, count in rows:
        add("required", s, n_dates, count)
        add("required", max(s, e), min(f, x), -count)  # closed: not required
        add("overdue", max(s, b), min(f, x, e), count)
        add("exempt", max(s, x), f, count)
        if ot:
            add("completed_on_time", max(s, f), n_dates, count)
    out: list[dict[str, int]] = []
    running = dict.fromkeys(_FIGURES, 0)
    for i in range(n_dates):
        for k in _FIGURES:
            running[k] += diff[k][i]
        out.append(dict(running))
    return out


def _points(counts: dict[date, dict[str, int]], days: list[date]) -> list[TrendPoint]:
    out = []
    for day in days:
        c = counts.get(day) or {"required": 0, "overdue": 0, "completed_on_time": 0, "exempt": 0}
        out.append(
            TrendPoint(
                as_of=day,
                required=c["required"],
                overdue=c["overdue"],
                completed_on_time=c["completed_on_time"],
                exempt=c["exempt"],
                on_time_rate=on_time_rate(c),
            )
        )
    return out


def compute(db: Session, *, days: list[date], filters: Filters, actor: Principal) -> list[TrendPoint]:
    """The points of these dates, uncached: one statement for all of them (or, for filters on the standing, the
    summary's statement for each)."""
    if not days:
        return []
    if _by_status(filters):
        found: dict[date, dict[str, int]] = {}
        for day in days:
            summary = selectors.summary(db, as_of=day, group_by=[], filters=filters, actor=actor, names={})
            found[day] = {k: getattr(summary[0], k) for k in selectors.COUNTS} if summary else {}
        return _points(found, days)
    if days != sorted(days):
        raise ValueError("the trend's dates must be in order")
    parameters = {**_parameters(filters, actor), **{f"d{i}": day for i, day in enumerate(days)}}
    rows = db.execute(_trend_query(len(days), filters, actor), parameters).all()
    by_day = dict(zip(days, _add_bands((r[1:] for r in rows if r[0] is None), len(days)), strict=True))
    for d, *figures in rows:
        if d is not None:  # a date and its four figures from the extended requirements
            for k, value in zip(_FIGURES, figures, strict=False):
                by_day[d][k] += int(value or 0)
    return _points(by_day, days)


_FIGURES = ("required", "overdue", "completed_on_time", "exempt")


def monthly(db: Session, *, as_of: date, filters: Filters, actor: Principal, months: int = 24) -> list[TrendPoint]:
    """The trend over `months` points, oldest first: the end of each of the `months - 1` months before as_of's
    month, then as_of itself (so the last point is as_of whether or not it ends its month). Each point equals the
    summary's total as of its date (`selectors.summary` with no grouping), for the same filters and caller.

    Each point is kept in the data version's cache: the points missing from it are computed together in one
    statement, and a later as-of date finds the month-ends it shares with an earlier one."""
    days = trend_dates(as_of, months)
    if written(db):  # uncommitted writes of this session: nothing cached applies, nothing is kept
        return compute(db, days=days, filters=filters, actor=actor)
    version = current(db)
    keys = {day: ("compliance.trend.point", day, filters, scope_key(actor)) for day in days}
    found: dict[date, TrendPoint] = {}
    for day in days:
        hit, value = CACHE.get((version, keys[day]))
        if hit:
            found[day] = value
    missing = [day for day in days if day not in found]
    for p in compute(db, days=missing, filters=filters, actor=actor):
        CACHE.put((version, keys[p.as_of]), p)
        found[p.as_of] = p
    return [found[day] for day in days]
