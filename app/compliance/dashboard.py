"""The figures of the compliance dashboard (`/compliance`) and of its exports, as of a date and compared with an
earlier one: the headline counts, the heatmap of districts (or one district's authorities) by role, and the ranked
table of authorities.

Everything is derived in Python from ONE grouped summary per date (`selectors.summary`, grouped by authority and
role), plus the authorities' and roles' reference rows: a handful of statements whatever the number of authorities,
so the whole country's page costs what its two summaries cost. Each summary is kept in the data version's cache
(`app.data_version.cached`): the same date, filters and caller find it again until report data is written."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.auth import LIAISON, Principal
from app.authorities.models import Authority
from app.compliance import selectors
from app.compliance.rules import compliance_rate, on_time_rate
from app.compliance.schemas import DrillDownRow, SummaryCounts, SummaryRow
from app.compliance.trend import scope_key
from app.data_version import cached
from app.programmes.models import Programme
from app.programmes.rules import ProgrammeKind
from app.roles.models import Role
from app.schemas import Page
from app.text import search_key

COUNTS = selectors.COUNTS


@dataclass
class Tally:
    """Counts by status of a group (the country, a heatmap cell, an authority) as of a date."""

    required: int = 0
    completed: int = 0
    completed_on_time: int = 0
    completed_late: int = 0
    in_progress: int = 0
    not_started: int = 0
    overdue: int = 0
    exempt: int = 0
    closed: int = 0
    due_soon: int = 0

    def add(self, row: SummaryCounts | Tally) -> None:
        """Add a summary row's (or another tally's) counts to these."""
        for k in COUNTS:
            setattr(self, k, getattr(self, k) + getattr(row, k))

    def counts(self) -> dict[str, int]:
        return {k: getattr(self, k) for k in COUNTS}

    @property
    def compliance_rate(self) -> float | None:
        """The share of requirements in force that are not overdue (`rules.compliance_rate`)."""
        return compliance_rate(self.counts())

    @property
    def on_time_rate(self) -> float | None:
        """The share of requirements in force, not exempt, completed on time (`rules.on_time_rate`)."""
        return on_time_rate(self.counts())


def rate_change(now: float | None, then: float | None) -> float | None:
    """The change of a rate between two dates (a share: 0.05 is five percentage points); none if either is none."""
    return round(now - then, 4) if now is not None and then is not None else None


@dataclass(frozen=True)
class AuthorityFacts:
    """What the dashboard shows and searches of an authority."""

    code: str
    name_he: str
    name_en: str
    type: str
    type_he: str
    district: str
    district_he: str
    search_text: str

    def name(self, lang: str) -> str:
        return self.name_he if lang == "he" else english_name(self.name_en)

    def district_name(self, lang: str) -> str:
        return self.district_he if lang == "he" else self.district


def english_name(cbs_name: str) -> str:
    """An authority's English name as the CBS writes it (capitals: "MODI'IN-MAKKABBIM-RE'UT") as people write it
    ("Modi'in-Makkabbim-Re'ut")."""
    return re.sub(r"(^|[\s\-(])(\w)", lambda m: m.group(1) + m.group(2).upper(), cbs_name.lower())


@dataclass(frozen=True)
class Choice:
    """An option of a filter: its code and its names in both languages."""

    code: str
    name_he: str
    name_en: str

    def name(self, lang: str) -> str:
        return self.name_he if lang == "he" else self.name_en


@dataclass(frozen=True)
class Reference:
    """The reference data the dashboard names things with and fills its filters from (three statements)."""

    authorities: dict[str, AuthorityFacts]
    roles: dict[str, Choice]
    programmes: list[Choice]

    def districts(self) -> list[Choice]:
        """Each district once, by Hebrew name."""
        seen = {a.district: Choice(a.district, a.district_he, a.district) for a in self.authorities.values()}
        return sorted(seen.values(), key=lambda d: d.name_he)

    def authority_types(self) -> list[Choice]:
        """Each type of authority once, in the CBS's order (cities, local councils, regional councils)."""
        seen = {
            a.type: Choice(a.type, a.type_he, AUTHORITY_TYPE_EN.get(a.type, a.type)) for a in self.authorities.values()
        }
        order = list(AUTHORITY_TYPE_EN)
        return sorted(seen.values(), key=lambda t: order.index(t.code) if t.code in order else len(order))


AUTHORITY_TYPE_EN = {"city": "City", "local_council": "Local council", "regional_council": "Regional council"}


def reference(db: Session) -> Reference:
    """The authorities, roles and mandatory programmes, each in one statement."""
    authorities = {
        r.code: AuthorityFacts(*r)
        for r in db.execute(
            select(
                Authority.code,
                Authority.name_he,
                Authority.name_en,
                Authority.type,
                Authority.type_he,
                Authority.district,
                Authority.district_he,
                Authority.search_text,
            )
        )
    }
    roles = {
        r.code: Choice(r.code, r.name_he, r.name_en)
        for r in db.execute(select(Role.code, Role.name_he, Role.name_en).order_by(Role.name_he))
    }
    programmes = [
        Choice(r.code, r.title_he, r.title_en)
        for r in db.execute(
            select(Programme.code, Programme.title_he, Programme.title_en)
            .where(Programme.kind == ProgrammeKind.MANDATORY)
            .order_by(Programme.title_he, Programme.code)
        )
    ]
    return Reference(authorities=authorities, roles=roles, programmes=programmes)


# --- the heatmap ---------------------------------------------------------------------------------------------------


@dataclass
class HeatRow:
    """A row of the heatmap: a district (its English name as key, as summaries and filters name it) or an authority
    (its CBS code), its cells by role code, and its total over the roles."""

    key: str
    name_he: str
    name_en: str
    cells: dict[str, Tally] = field(default_factory=dict)
    total: Tally = field(default_factory=Tally)

    def name(self, lang: str) -> str:
        return self.name_he if lang == "he" else self.name_en


@dataclass
class Heatmap:
    """Districts (or authorities) by roles: `by` says which the rows are."""

    by: Literal["district", "authority"]
    roles: list[Choice]
    rows: list[HeatRow]
    totals: dict[str, Tally]
    total: Tally


def heatmap(rows: Iterable[SummaryRow], ref: Reference, *, by: Literal["district", "authority"]) -> Heatmap:
    """The heatmap of summary rows grouped by authority and role, its rows by Hebrew name."""
    out: dict[str, HeatRow] = {}
    totals: dict[str, Tally] = {}
    total = Tally()
    for r in rows:
        code, role = r.keys["authority"], r.keys["role"]
        facts = ref.authorities.get(code)
        if by == "district":
            key = facts.district if facts else ""
            names = (facts.district_he, facts.district) if facts else ("—", "—")
        else:
            key = code
            names = (facts.name_he, english_name(facts.name_en)) if facts else (code, code)
        row = out.get(key)
        if row is None:
            row = out[key] = HeatRow(key, *names)
        row.cells.setdefault(role, Tally()).add(r)
        row.total.add(r)
        totals.setdefault(role, Tally()).add(r)
        total.add(r)
    roles = [ref.roles.get(code) or Choice(code, code, code) for code in totals]
    roles.sort(key=lambda c: c.name_he)
    return Heatmap(by=by, roles=roles, rows=sorted(out.values(), key=lambda h: h.name_he), totals=totals, total=total)


# --- the ranked table of authorities -------------------------------------------------------------------------------


@dataclass
class Ranked:
    """An authority of the ranked table: its counts as of the date and as of the earlier one."""

    facts: AuthorityFacts
    now: Tally
    then: Tally

    @property
    def rate_change(self) -> float | None:
        return rate_change(self.now.compliance_rate, self.then.compliance_rate)


# The columns the ranked table sorts by, and what each sorts on.
SORTS = (
    "rate",
    "name",
    "district",
    "required",
    "completed_on_time",
    "completed_late",
    "in_progress",
    "not_started",
    "overdue",
    "exempt",
    "on_time_rate",
    "change",
)
Direction = Literal["asc", "desc"]


def _rate_key(rate: float | None) -> float:
    return 2.0 if rate is None else rate  # nothing in force: after every rate, worst first


def _worst_first(r: Ranked) -> tuple[Any, ...]:
    """Worst first: the lowest compliance rate, then the most overdue, then by CBS code (a stable order)."""
    return (_rate_key(r.now.compliance_rate), -r.now.overdue, r.facts.code)


def rank(
    ranked: list[Ranked], *, sort: str = "rate", direction: Direction = "asc", q: str = "", lang: str = "he"
) -> list[Ranked]:
    """The authorities matching `q` (their Hebrew or English name, any spelling of quotes, geresh and gershayim:
    `app.text.search_key`, as the authorities' search), sorted by the column (ties: worst first)."""
    key = search_key(q) if q.strip() else ""
    found = [r for r in ranked if key in r.facts.search_text] if key else list(ranked)
    found.sort(key=_worst_first)  # the tie-break of every other order (the sorts below are stable)
    if sort == "rate":
        return found if direction == "asc" else sorted(found, key=_worst_first, reverse=True)
    value: Any
    if sort == "name":
        value = lambda r: r.facts.name(lang).casefold()  # noqa: E731
    elif sort == "district":
        value = lambda r: r.facts.district_name(lang)  # noqa: E731
    elif sort == "on_time_rate":
        value = lambda r: _rate_key(r.now.on_time_rate)  # noqa: E731
    elif sort == "change":
        value = lambda r: r.rate_change if r.rate_change is not None else 2.0  # noqa: E731
    else:
        value = lambda r: getattr(r.now, sort)  # noqa: E731
    return sorted(found, key=value, reverse=direction == "desc")


# --- the whole dashboard -------------------------------------------------------------------------------------------


@dataclass
class Dashboard:
    """The dashboard as of `as_of`, compared with `compare_to`."""

    as_of: date
    compare_to: date
    now: Tally
    then: Tally
    heatmap: Heatmap
    authorities: list[Ranked]  # every authority with requirements on either date, worst first
    ref: Reference

    def change(self, name: str) -> int:
        return int(getattr(self.now, name) - getattr(self.then, name))


# The summaries' names are not needed (the reference names everything): no statement to look them up.
_NO_NAMES: dict[str, dict[Any, str]] = {"authority": {}, "role": {}}


def _summary(db: Session, *, as_of: date, filters: selectors.Filters, actor: Principal) -> tuple[SummaryRow, ...]:
    """The summary by authority and role as of the date, from the cache while no report data has changed."""

    def compute() -> tuple[SummaryRow, ...]:
        group_by = ["authority", "role"]
        return tuple(
            selectors.summary(db, as_of=as_of, group_by=group_by, filters=filters, actor=actor, names=_NO_NAMES)
        )

    return cached(db, ("compliance.dashboard.summary", as_of, filters, scope_key(actor)), compute)


@dataclass(frozen=True)
class AuthorityView:
    """One authority's page as of a date: its counts in all and by role, a page of its officials' requirements,
    and its requests."""

    counts: SummaryRow | None
    by_role: tuple[SummaryRow, ...]
    rows: Page[DrillDownRow]
    requests: Page[selectors.AuthorityRequestRow]


def authority_view(
    db: Session,
    *,
    code: str,
    as_of: date,
    filters: selectors.Filters,
    sort: selectors.Sort,
    limit: int,
    offset: int,
    requests_shown: int,
    actor: Principal,
) -> AuthorityView:
    """An authority's page (the list limited by `filters`; the figures by none): its counts in all are the sum of
    its roles' (one summary), and the whole is kept in the data version's cache, as the dashboard's summaries are."""

    def compute() -> AuthorityView:
        own = selectors.Filters(authority=code)
        by_role = tuple(selectors.summary(db, as_of=as_of, group_by=["role"], filters=own, actor=actor))
        total = Tally()
        for row in by_role:
            total.add(row)
        counts = SummaryRow(
            key=code, name=code, keys={"authority": code}, **total.counts(), compliance_rate=total.compliance_rate
        )
        rows = selectors.drill_down(
            db, as_of=as_of, filters=filters, actor=actor, sort=sort, limit=limit, offset=offset
        )
        requests = selectors.authority_requests(db, authority_code=code, actor=actor, limit=requests_shown)
        return AuthorityView(counts if by_role else None, by_role, rows, requests)

    key = ("compliance.authority", code, as_of, filters, sort, limit, offset, requests_shown, scope_key(actor))
    return cached(db, key, compute)


def dashboard(db: Session, *, as_of: date, compare_to: date, filters: selectors.Filters, actor: Principal) -> Dashboard:
    """The dashboard of what the caller may see (a liaison: their authority), limited by the filters; derived once
    for each state of the data (the data version's cache), since adding up its thousands of summary rows costs more
    than reading them."""
    key = ("compliance.dashboard", as_of, compare_to, filters, scope_key(actor))
    return cached(db, key, lambda: _derive(db, as_of=as_of, compare_to=compare_to, filters=filters, actor=actor))


def _derive(db: Session, *, as_of: date, compare_to: date, filters: selectors.Filters, actor: Principal) -> Dashboard:
    ref = reference(db)
    now_rows = _summary(db, as_of=as_of, filters=filters, actor=actor)
    then_rows = _summary(db, as_of=compare_to, filters=filters, actor=actor)
    now, then = Tally(), Tally()
    by_authority: dict[str, Ranked] = {}

    def ranked(code: str) -> Ranked | None:
        if code not in by_authority:
            facts = ref.authorities.get(code)
            if facts is None:
                return None
            by_authority[code] = Ranked(facts, Tally(), Tally())
        return by_authority[code]

    for r in now_rows:
        now.add(r)
        if (found := ranked(r.keys["authority"])) is not None:
            found.now.add(r)
    for r in then_rows:
        then.add(r)
        if (found := ranked(r.keys["authority"])) is not None:
            found.then.add(r)
    one_district = bool(filters.district) or bool(filters.authority) or actor.role == LIAISON
    return Dashboard(
        as_of=as_of,
        compare_to=compare_to,
        now=now,
        then=then,
        heatmap=heatmap(now_rows, ref, by="authority" if one_district else "district"),
        authorities=sorted(by_authority.values(), key=_worst_first),
        ref=ref,
    )
