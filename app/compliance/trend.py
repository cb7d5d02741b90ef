"""The compliance trend: the on-time rate and the overdue count month by month, each computed as of its month's end
with the status rules of the summary (it is the summary's total as of that date), and kept in the data version's
cache: a month's figures are computed once for each state of the data, whichever as-of date asks for them."""

from __future__ import annotations

from calendar import monthrange
from dataclasses import dataclass
from datetime import date

from dateutil.relativedelta import relativedelta
from sqlalchemy.orm import Session

from app.auth import Principal
from app.compliance import selectors
from app.compliance.rules import on_time_rate
from app.compliance.selectors import Filters
from app.data_version import cached, current, written


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


def _scope(actor: Principal) -> tuple[str, str | None, int | None]:
    """What of the caller the figures depend on: the role and the scope it narrows to."""
    return (actor.role, actor.authority_code, actor.official_id)


def point(
    db: Session, *, as_of: date, filters: Filters, actor: Principal, version: tuple[int, str] | None = None
) -> TrendPoint:
    """The summary's total as of the date, for the filters and the caller's scope (cached by data version)."""

    def compute() -> TrendPoint:
        rows = selectors.summary(db, as_of=as_of, group_by=[], filters=filters, actor=actor, names={})
        counts = {k: getattr(rows[0], k) for k in selectors.COUNTS} if rows else dict.fromkeys(selectors.COUNTS, 0)
        return TrendPoint(
            as_of=as_of,
            required=counts["required"],
            overdue=counts["overdue"],
            completed_on_time=counts["completed_on_time"],
            exempt=counts["exempt"],
            on_time_rate=on_time_rate(counts),
        )

    return cached(db, ("compliance.trend.point", as_of, filters, _scope(actor)), compute, version=version)


def monthly(db: Session, *, as_of: date, filters: Filters, actor: Principal, months: int = 24) -> list[TrendPoint]:
    """The trend over `months` points, oldest first: the end of each of the `months - 1` months before as_of's
    month, then as_of itself (so the last point is as_of whether or not it ends its month). Each point equals the
    summary's total as of its date (`selectors.summary` with no grouping), for the same filters and caller."""
    version = None if written(db) else current(db)  # read once for all the points
    return [point(db, as_of=day, filters=filters, actor=actor, version=version) for day in trend_dates(as_of, months)]
