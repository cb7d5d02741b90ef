"""Reading the graduates network: where the caller stands, their own profile, the directory (searched and paged),
and the graduates' events (the meetings of the graduates community); each in a fixed number of set-based queries."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date

from sqlalchemy import Select, and_, exists, func, or_, select, true
from sqlalchemy.orm import Session

from app.auth import OFFICIAL, Principal
from app.authorities.models import Authority
from app.cohorts.models import Cohort, Enrolment
from app.communities.models import Community, CommunityMeeting
from app.communities.rules import CommunityKind
from app.communities.schemas import MeetingRead
from app.completions.models import Completion
from app.db import count_of
from app.errors import Forbidden
from app.graduates.models import GraduateProfile
from app.graduates.rules import Standing, may_search, refusal_of, standing_of
from app.graduates.schemas import GraduatePost, GraduateProfileRead, GraduateProgramme, GraduateRead
from app.officials.models import Appointment, Official
from app.officials.selectors import officials_matching
from app.programmes.models import Programme
from app.roles.models import Role
from app.schemas import Page

# --- where the caller stands ---------------------------------------------------------------------------------------


def is_graduate(db: Session, *, official_id: int) -> bool:
    """Whether the official completed a programme of the school (a completion of any kind, rule 2's record)."""
    return bool(db.scalar(select(exists().where(Completion.official_id == official_id))))


def profile_of(db: Session, *, official_id: int) -> GraduateProfile | None:
    """The official's profile in the directory, if they ever joined it."""
    return db.scalar(select(GraduateProfile).where(GraduateProfile.official_id == official_id))


def standing(db: Session, *, actor: Principal) -> Standing:
    """Where the caller stands towards the directory (rules.standing_of)."""
    graduate = opted_in = False
    if actor.role == OFFICIAL and actor.official_id is not None:
        graduate = is_graduate(db, official_id=actor.official_id)
        profile = profile_of(db, official_id=actor.official_id) if graduate else None
        opted_in = profile is not None and profile.opted_in
    return standing_of(actor.role, is_graduate=graduate, opted_in=opted_in)


def require_directory(db: Session, *, actor: Principal) -> Standing:
    """The caller's standing when they may search the directory; 403 saying why otherwise."""
    found = standing(db, actor=actor)
    if not may_search(found):
        code, why = refusal_of(found)
        raise Forbidden(why, code=code)
    return found


# --- what graduates completed, and where they serve ----------------------------------------------------------------


def programmes_of(db: Session, *, official_ids: Collection[int]) -> dict[int, list[GraduateProgramme]]:
    """The programmes each official completed, oldest first, with the cohort (if any) and year (one query)."""
    out: dict[int, list[GraduateProgramme]] = {i: [] for i in official_ids}
    if not out:
        return out
    stmt = (
        select(
            Completion.official_id,
            Programme.code,
            Programme.title_he,
            Programme.title_en,
            Cohort.code,
            Completion.completed_on,
        )
        .join(Programme, Programme.id == Completion.programme_id)
        .outerjoin(Enrolment, Enrolment.id == Completion.enrolment_id)
        .outerjoin(Cohort, Cohort.id == Enrolment.cohort_id)
        .where(Completion.official_id.in_(list(out)))
        .order_by(Completion.completed_on, Completion.id)
    )
    for official_id, code, he, en, cohort, on in db.execute(stmt):
        out[official_id].append(
            GraduateProgramme(
                programme_code=code, title_he=he, title_en=en, cohort_code=cohort, completed_on=on, year=on.year
            )
        )
    return out


def _current(on: date) -> object:
    return and_(Appointment.start_date <= on, or_(Appointment.end_date.is_(None), Appointment.end_date >= on))


def posts_of(db: Session, *, official_ids: Collection[int], on: date) -> dict[int, list[GraduatePost]]:
    """The roles each official holds on the day, and where, newest first (one query)."""
    out: dict[int, list[GraduatePost]] = {i: [] for i in official_ids}
    if not out:
        return out
    stmt = (
        select(
            Appointment.official_id,
            Role.code,
            Role.name_he,
            Role.name_en,
            Authority.code,
            Authority.name_he,
            Authority.name_en,
        )
        .join(Role, Role.code == Appointment.role_code)
        .join(Authority, Authority.code == Appointment.authority_code)
        .where(Appointment.official_id.in_(list(out)), _current(on))  # type: ignore[arg-type]
        .order_by(Appointment.start_date.desc(), Appointment.id.desc())
    )
    for official_id, role, role_he, role_en, code, he, en in db.execute(stmt):
        out[official_id].append(
            GraduatePost(
                role_code=role, role_he=role_he, role_en=role_en, authority_code=code, authority_he=he, authority_en=en
            )
        )
    return out


# --- the directory -------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DirectoryQuery:
    """What the directory is searched by: name (Hebrew or English, or an authority's name, by the registry's search
    rule but never by ID number), a programme completed and its year, and a current role and authority."""

    q: str | None = None
    programme: str | None = None
    year: int | None = None
    authority: str | None = None
    role: str | None = None


def _directory(query: DirectoryQuery, on: date) -> Select[GraduateProfile, Official]:
    stmt = (
        select(GraduateProfile, Official)
        .join(Official, Official.id == GraduateProfile.official_id)
        .where(GraduateProfile.opted_in == true())
    )
    if (named := officials_matching(query.q, by_id=False)) is not None:
        stmt = stmt.where(named)
    if query.programme or query.year:
        done = select(Completion.official_id).join(Programme, Programme.id == Completion.programme_id)
        if query.programme:
            done = done.where(Programme.code == query.programme)
        if query.year:
            done = done.where(
                Completion.completed_on >= date(query.year, 1, 1), Completion.completed_on <= date(query.year, 12, 31)
            )
        stmt = stmt.where(Official.id.in_(done))
    if query.authority or query.role:
        held = select(Appointment.official_id).where(_current(on))  # type: ignore[arg-type]
        if query.authority:
            held = held.where(Appointment.authority_code == query.authority)
        if query.role:
            held = held.where(Appointment.role_code == query.role)
        stmt = stmt.where(Official.id.in_(held))
    return stmt.order_by(Official.last_name_he, Official.first_name_he, Official.id)


def search_directory(
    db: Session, *, query: DirectoryQuery, actor: Principal, on: date, limit: int, offset: int
) -> Page[GraduateRead]:
    """The graduates who joined the directory and match the query, by Hebrew name, with what each chose to show;
    graduates who joined it and the school's staff only (403 for anyone else)."""
    require_directory(db, actor=actor)
    stmt = _directory(query, on)
    total = count_of(db, stmt)
    rows = list(db.execute(stmt.limit(limit).offset(offset)))
    ids = [o.id for _, o in rows]
    programmes = programmes_of(db, official_ids=ids)
    posts = posts_of(db, official_ids=ids, on=on)
    items = [
        GraduateRead(
            official_id=o.id,
            name_he=f"{o.first_name_he} {o.last_name_he}",
            name_en=" ".join(n for n in (o.first_name_en, o.last_name_en) if n) or None,
            posts=posts[o.id],
            programmes=programmes[o.id],
            email=(p.email or o.email) if p.show_email else None,
            phone=p.phone if p.show_phone else None,
            about=p.about,
            joined_on=p.opted_in_on or on,
        )
        for p, o in rows
    ]
    return Page(items=items, total=total)


@dataclass(frozen=True)
class Choices:
    """What the directory's search offers to choose from: the programmes graduates completed, and the years."""

    programmes: list[tuple[str, str, str]]  # (code, Hebrew title, English title)
    years: list[int]


def directory_choices(db: Session) -> Choices:
    """The programmes someone completed (by Hebrew title) and the years of completions (newest first)."""
    programmes = select(Programme.code, Programme.title_he, Programme.title_en).where(
        Programme.id.in_(select(Completion.programme_id))
    )
    dates = select(Completion.completed_on).distinct()
    years = sorted({d.year for d in db.scalars(dates)}, reverse=True)
    return Choices(programmes=list(db.execute(programmes.order_by(Programme.title_he))), years=years)


# --- the caller's own profile --------------------------------------------------------------------------------------


def my_profile(db: Session, *, actor: Principal) -> GraduateProfileRead:
    """The caller's standing and profile: for an official, what they completed and what the directory shows of
    them; for anyone else, that they are no graduate here."""
    official = None
    if actor.role == OFFICIAL and actor.official_id is not None:
        official = db.get(Official, actor.official_id)
    programmes = programmes_of(db, official_ids=[official.id])[official.id] if official else []
    profile = profile_of(db, official_id=official.id) if official else None
    return GraduateProfileRead(
        is_graduate=bool(programmes),
        opted_in=bool(profile and profile.opted_in),
        opted_in_on=profile.opted_in_on if profile else None,
        opted_out_on=profile.opted_out_on if profile else None,
        show_email=bool(profile and profile.show_email),
        email=profile.email if profile else None,
        email_on_record=official.email if official else None,
        show_phone=bool(profile and profile.show_phone),
        phone=profile.phone if profile else None,
        about=profile.about if profile else None,
        programmes=programmes,
    )


# --- the graduates' events -----------------------------------------------------------------------------------------


def graduates_community(db: Session) -> Community | None:
    """The graduates network's community (of kind `graduates`: one at most), if the school made it."""
    return db.scalar(select(Community).where(Community.kind == CommunityKind.GRADUATES).limit(1))


@dataclass(frozen=True)
class Events:
    """The graduates community's meetings: still to come (soonest first) and past (latest first)."""

    community_id: int | None
    upcoming: list[MeetingRead]
    past: list[MeetingRead]


def graduates_events(db: Session, *, actor: Principal, today: date, past: int = 5) -> Events:
    """The graduates' events, for those who may search the directory (403 otherwise)."""
    require_directory(db, actor=actor)
    community = graduates_community(db)
    if community is None:
        return Events(community_id=None, upcoming=[], past=[])
    last_day = func.coalesce(CommunityMeeting.end_date, CommunityMeeting.date)
    of_it = select(CommunityMeeting).where(CommunityMeeting.community_id == community.id)
    coming = of_it.where(last_day >= today).order_by(
        CommunityMeeting.date, CommunityMeeting.starts_at, CommunityMeeting.id
    )
    gone = of_it.where(last_day < today).order_by(CommunityMeeting.date.desc(), CommunityMeeting.id.desc()).limit(past)
    return Events(
        community_id=community.id,
        upcoming=[MeetingRead.model_validate(m) for m in db.scalars(coming)],
        past=[MeetingRead.model_validate(m) for m in db.scalars(gone)],
    )
