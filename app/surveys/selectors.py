"""Reads of surveys: lists, a survey with its items, the people a survey asks about, reports and networks.

Every read is a fixed number of set-based queries, whatever the number of responses."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.attendance.rules import AttendanceStatus
from app.auth import ADMIN, AUDITOR, OFFICIAL, Principal
from app.authorities.models import Authority
from app.communities.models import Community, CommunityAttendance, CommunityMeeting, CommunityMember
from app.communities.rules import Circle, CommunityRole, holds_on
from app.communities.selectors import current_member_ids, may_manage
from app.errors import Forbidden, NotFound
from app.officials.models import Appointment, Official
from app.surveys import rules
from app.surveys.models import (
    AfterMeetingSurvey,
    Survey,
    SurveyAnswer,
    SurveyInvitation,
    SurveyItem,
    SurveyOption,
    SurveyResponse,
    SurveySeries,
)
from app.surveys.rules import ItemKind, NetworkFigures, Place
from app.surveys.schemas import (
    CentralMember,
    ItemRead,
    ItemReport,
    NetworkReport,
    OptionFigure,
    OptionRead,
    SeriesReport,
    SurveyListItem,
    SurveyRead,
    SurveyReport,
    WaveReport,
)

# --- who runs a survey, and whom it asks about -------------------------------------------------------------


def may_run_survey(db: Session, actor: Principal, *, community_id: int | None) -> bool:
    """Whether the caller may create a survey, invite, import its responses and see names in its network: admins,
    and the coordinator of the survey's community."""
    if actor.role == ADMIN:
        return True
    return community_id is not None and may_manage(db, community_id=community_id, actor=actor)


def may_read_survey(db: Session, actor: Principal, *, community_id: int | None) -> bool:
    """Whether the caller may read a survey, its links, reports and network: those who run it, and auditors."""
    return actor.role == AUDITOR or may_run_survey(db, actor, community_id=community_id)


def require_reader(db: Session, actor: Principal, *, community_id: int | None) -> None:
    """403 unless the caller may read the survey (a coordinator reads only their community's surveys)."""
    if not may_read_survey(db, actor, community_id=community_id):
        raise Forbidden("only the school's staff and the coordinator of its community may read this survey")


def require_runner(db: Session, actor: Principal, *, community_id: int | None) -> None:
    """403 unless the caller runs the survey (admins, and the coordinator of its community)."""
    if not may_run_survey(db, actor, community_id=community_id):
        raise Forbidden(f"the {actor.role} role may not run this survey")


def coordinated_communities(db: Session, actor: Principal) -> list[int]:
    """The communities the caller coordinates now, by id (none for anyone but an official)."""
    if actor.role != OFFICIAL or actor.official_id is None:
        return []
    stmt = select(CommunityMember.community_id).where(
        CommunityMember.official_id == actor.official_id,
        CommunityMember.role == CommunityRole.COORDINATOR,
        CommunityMember.left_on.is_(None),
    )
    return sorted(set(db.scalars(stmt)))


def surveys_scope(db: Session, actor: Principal) -> list[int] | None:
    """Whose surveys the caller lists: every one (None) for staff, their communities' for a coordinator; 403 for
    anyone else."""
    if actor.role in (ADMIN, AUDITOR):
        return None
    mine = coordinated_communities(db, actor)
    if not mine:
        raise Forbidden("only the school's staff and the communities' coordinators read surveys")
    return mine


def require_series_reader(db: Session, actor: Principal, *, code: str) -> None:
    """403 unless the caller may read every wave of the series (staff; a coordinator, a series of their community)."""
    if actor.role in (ADMIN, AUDITOR):
        return
    series = db.scalar(select(SurveySeries.id).where(SurveySeries.code == code))
    if series is None:
        raise NotFound(f"no survey series with code {code!r}")
    communities = set(db.scalars(select(Survey.community_id).where(Survey.series_id == series)))
    mine = set(coordinated_communities(db, actor))
    if not communities or not communities <= mine:
        raise Forbidden("only the school's staff and the coordinator of its community may read this series")


def survey_people(db: Session, *, survey_id: int, community_id: int | None) -> list[int]:
    """The officials a survey asks about (the choices of its `people` items and the members of its network), by id:
    the current members of its community, and those invited to it, who responded or are named in its answers (a
    member who has left since is still in the network of the wave they answered)."""
    invited = select(SurveyInvitation.official_id.label("official_id")).where(
        SurveyInvitation.survey_id == survey_id, SurveyInvitation.official_id.is_not(None)
    )
    responded = select(SurveyResponse.respondent_official_id).where(
        SurveyResponse.survey_id == survey_id, SurveyResponse.respondent_official_id.is_not(None)
    )
    named = (
        select(SurveyAnswer.person_official_id)
        .join(SurveyResponse, SurveyResponse.id == SurveyAnswer.response_id)
        .where(SurveyResponse.survey_id == survey_id, SurveyAnswer.person_official_id.is_not(None))
    )
    union = invited.union(responded, named).subquery()
    found = {int(i) for i in db.scalars(select(union.c.official_id))}
    if community_id is not None:
        found.update(current_member_ids(db, community_id=community_id))
    return sorted(found)


@dataclass(frozen=True)
class Person:
    """An official as a survey shows them: names, and where they serve now (their latest appointment)."""

    id: int
    name_he: str
    name_en: str
    authority_code: str | None
    authority_he: str | None
    authority_en: str | None
    district: str | None


def people(db: Session, *, official_ids: Collection[int]) -> dict[int, Person]:
    """The officials by id, each with the authority and district of their latest appointment, in two queries."""
    if not official_ids:
        return {}
    ids = sorted(set(official_ids))
    rows = db.execute(
        select(
            Official.id, Official.first_name_he, Official.last_name_he, Official.first_name_en, Official.last_name_en
        ).where(Official.id.in_(ids))
    ).all()
    latest = (
        select(
            Appointment.official_id,
            Appointment.authority_code,
            func.row_number()
            .over(
                partition_by=Appointment.official_id,
                order_by=(Appointment.start_date.desc(), Appointment.id.desc()),
            )
            .label("n"),
        )
        .where(Appointment.official_id.in_(ids))
        .subquery()
    )
    places = {
        r.official_id: r
        for r in db.execute(
            select(latest.c.official_id, Authority.code, Authority.name_he, Authority.name_en, Authority.district)
            .join(Authority, Authority.code == latest.c.authority_code)
            .where(latest.c.n == 1)
        )
    }
    out = {}
    for r in rows:
        place = places.get(r.id)
        english = " ".join(p for p in (r.first_name_en, r.last_name_en) if p)
        out[r.id] = Person(
            id=r.id,
            name_he=f"{r.first_name_he} {r.last_name_he}",
            name_en=english or f"{r.first_name_he} {r.last_name_he}",
            authority_code=place.code if place else None,
            authority_he=place.name_he if place else None,
            authority_en=place.name_en if place else None,
            district=place.district if place else None,
        )
    return out


# --- surveys -------------------------------------------------------------------------------------------------


def get_survey(db: Session, *, survey_id: int) -> Survey:
    """One survey; 404 when there is none."""
    survey = db.get(Survey, survey_id)
    if survey is None:
        raise NotFound(f"no survey with id {survey_id}")
    return survey


def items_of(db: Session, *, survey_ids: Collection[int]) -> dict[int, list[ItemRead]]:
    """The items of surveys, in order, with their options: survey id -> items."""
    items = list(
        db.scalars(select(SurveyItem).where(SurveyItem.survey_id.in_(survey_ids)).order_by(SurveyItem.position))
    )
    options: dict[int, list[OptionRead]] = defaultdict(list)
    if items:
        stmt = select(SurveyOption).where(SurveyOption.item_id.in_([i.id for i in items]))
        for o in db.scalars(stmt.order_by(SurveyOption.item_id, SurveyOption.position)):
            options[o.item_id].append(OptionRead.model_validate(o))
    out: dict[int, list[ItemRead]] = defaultdict(list)
    for i in items:
        out[i.survey_id].append(
            ItemRead(
                id=i.id,
                code=i.code,
                kind=ItemKind(i.kind),
                text_he=i.text_he,
                text_en=i.text_en,
                options=options[i.id],
                max_choices=i.max_choices,
            )
        )
    return out


def read_survey(db: Session, *, survey_id: int) -> SurveyRead:
    """A survey with its items, how many responded, and how many links were sent and used."""
    survey = get_survey(db, survey_id=survey_id)
    series = db.get(SurveySeries, survey.series_id)
    assert series is not None
    responses = db.scalar(select(func.count()).where(SurveyResponse.survey_id == survey_id)) or 0
    invited, used = db.execute(
        select(func.count(), func.count().filter(SurveyInvitation.used)).where(SurveyInvitation.survey_id == survey_id)
    ).one()
    return SurveyRead(
        id=survey.id,
        series_code=series.code,
        wave=survey.wave,
        wave_order=survey.wave_order,
        title_he=survey.title_he,
        title_en=survey.title_en,
        community_id=survey.community_id,
        anonymous=survey.anonymous,
        items=items_of(db, survey_ids=[survey.id])[survey.id],
        responses=responses,
        invited=invited,
        invitations_used=used,
        created_at=survey.created_at,
    )


def list_surveys(
    db: Session, *, series: str | None = None, community_ids: Collection[int] | None = None
) -> list[SurveyListItem]:
    """Surveys by series and wave order, with their number of responses; only those of the communities given, when
    given."""
    counts = select(SurveyResponse.survey_id, func.count().label("n")).group_by(SurveyResponse.survey_id).subquery()
    people_items = select(SurveyItem.survey_id).where(SurveyItem.kind == ItemKind.PEOPLE).distinct().subquery()
    stmt = (
        select(Survey, SurveySeries.code, func.coalesce(counts.c.n, 0), people_items.c.survey_id.is_not(None))
        .join(SurveySeries, SurveySeries.id == Survey.series_id)
        .outerjoin(counts, counts.c.survey_id == Survey.id)
        .outerjoin(people_items, people_items.c.survey_id == Survey.id)
        .order_by(SurveySeries.code, Survey.wave_order, Survey.id)
    )
    if series:
        stmt = stmt.where(SurveySeries.code == series)
    if community_ids is not None:
        stmt = stmt.where(Survey.community_id.in_(community_ids))
    return [
        SurveyListItem(
            id=s.id,
            series_code=code,
            wave=s.wave,
            wave_order=s.wave_order,
            title_he=s.title_he,
            title_en=s.title_en,
            anonymous=s.anonymous,
            responses=n,
            has_people=bool(has_people),
            community_id=s.community_id,
            meeting_id=s.meeting_id,
        )
        for s, code, n, has_people in db.execute(stmt)
    ]


def waves_of_series(db: Session, *, survey_id: int) -> list[SurveyListItem]:
    """The surveys of the same series as this one, in wave order (the waves a report or a network compares)."""
    survey = get_survey(db, survey_id=survey_id)
    series = db.get(SurveySeries, survey.series_id)
    assert series is not None
    return list_surveys(db, series=series.code)


def invitation_by_token_hash(db: Session, *, token_hash: str) -> SurveyInvitation | None:
    """The invitation of a one-time link, by the hash of its token."""
    return db.scalar(select(SurveyInvitation).where(SurveyInvitation.token_hash == token_hash))


# --- reports -------------------------------------------------------------------------------------------------


def _answers(db: Session, survey_ids: Sequence[int]) -> dict[int, dict[int, list[Any]]]:
    """item id -> response id -> the values answered (scale points, option codes, texts, people), in one query."""
    stmt = (
        select(
            SurveyAnswer.item_id,
            SurveyAnswer.response_id,
            SurveyAnswer.scale_value,
            SurveyOption.code,
            SurveyAnswer.text,
            SurveyAnswer.person_official_id,
        )
        .join(SurveyResponse, SurveyResponse.id == SurveyAnswer.response_id)
        .outerjoin(SurveyOption, SurveyOption.id == SurveyAnswer.option_id)
        .where(SurveyResponse.survey_id.in_(survey_ids))
        .order_by(SurveyAnswer.item_id, SurveyAnswer.response_id, SurveyOption.position, SurveyAnswer.id)
    )
    out: dict[int, dict[int, list[Any]]] = defaultdict(lambda: defaultdict(list))
    for item_id, response_id, scale, code, text, person in db.execute(stmt):
        out[item_id][response_id].append(next(v for v in (scale, code, text, person) if v is not None))
    return out


def _item_reports(items: Sequence[ItemRead], answers: dict[int, dict[int, list[Any]]]) -> list[ItemReport]:
    out = []
    for item in items:
        given: list[rules.Answer] = []
        for values in answers.get(item.id, {}).values():
            if item.kind in (ItemKind.MULTIPLE, ItemKind.PEOPLE):
                given.append(tuple(values))
            else:
                given.append(values[0])
        codes = [o.code for o in item.options]
        figures = rules.item_figures(item.kind, given, option_codes=codes)
        out.append(
            ItemReport(
                code=item.code,
                kind=item.kind,
                text_he=item.text_he,
                text_en=item.text_en,
                n=figures.n,
                mean=figures.mean,
                high_agreement_pct=figures.high_agreement_pct,
                distribution=figures.distribution,
                options=[
                    OptionFigure(code=o.code, pct=o.pct, text_he=text.text_he, text_en=text.text_en)
                    for o, text in zip(figures.options, item.options, strict=True)
                ],
                texts=figures.texts,
            )
        )
    return out


def _respondents(db: Session, survey_ids: Sequence[int]) -> dict[int, int]:
    stmt = (
        select(SurveyResponse.survey_id, func.count())
        .where(SurveyResponse.survey_id.in_(survey_ids))
        .group_by(SurveyResponse.survey_id)
    )
    return {sid: n for sid, n in db.execute(stmt)}


def survey_report(db: Session, *, survey_id: int) -> SurveyReport:
    """A survey's figures: N, and per item N, the distribution, mean, share of high agreement, options' shares."""
    get_survey(db, survey_id=survey_id)
    items = items_of(db, survey_ids=[survey_id])[survey_id]
    return SurveyReport(
        survey_id=survey_id,
        n=_respondents(db, [survey_id]).get(survey_id, 0),
        items=_item_reports(items, _answers(db, [survey_id])),
    )


def series_report(db: Session, *, code: str) -> SeriesReport:
    """The waves of a series side by side, in wave order, each with its N and its items' figures."""
    series = db.scalar(select(SurveySeries).where(SurveySeries.code == code))
    if series is None:
        raise NotFound(f"no survey series with code {code!r}")
    surveys = list(
        db.scalars(select(Survey).where(Survey.series_id == series.id).order_by(Survey.wave_order, Survey.id))
    )
    ids = [s.id for s in surveys]
    items = items_of(db, survey_ids=ids)
    answers = _answers(db, ids)
    counts = _respondents(db, ids)
    return SeriesReport(
        code=series.code,
        waves=[
            WaveReport(
                wave=s.wave,
                wave_order=s.wave_order,
                survey_id=s.id,
                n=counts.get(s.id, 0),
                items=_item_reports(items[s.id], answers),
            )
            for s in surveys
        ],
    )


# --- the network ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Network:
    """A wave's network: its figures, and the people in it (names for those who may see them)."""

    survey: Survey
    figures: NetworkFigures
    people: dict[int, Person]


def network(db: Session, *, survey_id: int) -> Network:
    """The network of who consults whom from a survey's `people` answers, with its measures."""
    survey = get_survey(db, survey_id=survey_id)
    ties = db.execute(
        select(SurveyResponse.respondent_official_id, SurveyAnswer.person_official_id)
        .join(SurveyAnswer, SurveyAnswer.response_id == SurveyResponse.id)
        .join(SurveyItem, SurveyItem.id == SurveyAnswer.item_id)
        .where(
            SurveyResponse.survey_id == survey_id,
            SurveyItem.kind == ItemKind.PEOPLE,
            SurveyResponse.respondent_official_id.is_not(None),
        )
    ).all()
    members = survey_people(db, survey_id=survey_id, community_id=survey.community_id)
    found = people(db, official_ids=members)
    places = {m: Place(p.authority_code, p.district) for m, p in found.items()}
    figures = rules.network_figures(
        members, [(int(a), int(b)) for a, b in ties if a is not None and b is not None], places
    )
    return Network(survey=survey, figures=figures, people=found)


def network_report(db: Session, *, survey_id: int, actor: Principal) -> NetworkReport:
    """The network's measures; the most central members' names only to those who run the survey."""
    net = network(db, survey_id=survey_id)
    names = may_run_survey(db, actor, community_id=net.survey.community_id)
    f = net.figures
    return NetworkReport(
        survey_id=survey_id,
        members=f.members,
        ties=f.ties,
        density=f.density,
        cross_authority_pct=f.cross_authority_pct,
        cross_district_pct=f.cross_district_pct,
        isolated=len(f.isolated),
        central=[
            CentralMember(
                rank=rank,
                official_id=c.member if names else None,
                name=net.people[c.member].name_he if names and c.member in net.people else None,
                consulted_by=c.consulted_by,
                consults=c.consults,
                betweenness=c.betweenness,
            )
            for rank, c in enumerate(f.central, start=1)
        ],
        names_shown=names,
    )


# --- what waits for a member, and the short survey after each meeting -----------------------------------------


@dataclass(frozen=True)
class Waiting:
    """A survey waiting for the caller's answer (an invitation not yet used)."""

    survey_id: int
    title_he: str
    title_en: str
    wave: str
    community_he: str | None
    community_en: str | None


def waiting_for(db: Session, *, official_id: int) -> list[Waiting]:
    """The surveys an official was invited to and has not answered, newest first, in one query."""
    stmt = (
        select(Survey.id, Survey.title_he, Survey.title_en, Survey.wave, Community.name_he, Community.name_en)
        .join(SurveyInvitation, SurveyInvitation.survey_id == Survey.id)
        .outerjoin(Community, Community.id == Survey.community_id)
        .where(SurveyInvitation.official_id == official_id, SurveyInvitation.used.is_(False))
        .order_by(Survey.created_at.desc(), Survey.id.desc())
    )
    return [Waiting(*row) for row in db.execute(stmt)]


def community_names(db: Session, *, community_id: int | None) -> dict[str, str] | None:
    """A community's name in each language (None for a survey that asks no community)."""
    community = db.get(Community, community_id) if community_id is not None else None
    return {"he": community.name_he, "en": community.name_en} if community else None


def members_to_invite(db: Session, *, survey_id: int, community_id: int, circle: str | None) -> list[int]:
    """The community's current members (of one circle, or both) not yet invited to the survey, by id."""
    invited = select(SurveyInvitation.official_id).where(
        SurveyInvitation.survey_id == survey_id, SurveyInvitation.official_id.is_not(None)
    )
    stmt = select(CommunityMember.official_id).where(
        CommunityMember.community_id == community_id,
        CommunityMember.left_on.is_(None),
        CommunityMember.official_id.not_in(invited),
    )
    if circle is not None:
        stmt = stmt.where(CommunityMember.circle == circle)
    return sorted(set(db.scalars(stmt)))


def after_meeting_setting(db: Session, *, community_id: int) -> AfterMeetingSurvey | None:
    """Whether the community sends the short survey after each meeting (None: never set, so off)."""
    return db.get(AfterMeetingSurvey, community_id)


@dataclass(frozen=True)
class EndedMeeting:
    """A meeting whose short survey may be due: its community, and who is asked about it."""

    meeting_id: int
    community_id: int
    community_code: str
    community_he: str
    community_en: str
    title: str
    date: dt.date
    last_day: dt.date
    enabled_on: dt.date
    anonymous: bool
    recipients: list[int]


def ended_meetings(db: Session, *, as_of: dt.date, since: dt.date) -> list[EndedMeeting]:
    """The meetings of communities that send the short survey, whose last day is from `since` to before `as_of`,
    not cancelled and not yet surveyed, each with those marked present or late (or, none marked, the core circle on
    its last day); in three queries."""
    last_day = func.coalesce(CommunityMeeting.end_date, CommunityMeeting.date)
    rows = db.execute(
        select(CommunityMeeting, Community, AfterMeetingSurvey)
        .join(Community, Community.id == CommunityMeeting.community_id)
        .join(AfterMeetingSurvey, AfterMeetingSurvey.community_id == Community.id)
        .outerjoin(Survey, Survey.meeting_id == CommunityMeeting.id)
        .where(
            AfterMeetingSurvey.enabled,
            CommunityMeeting.cancelled_at.is_(None),
            Survey.id.is_(None),
            last_day < as_of,
            last_day >= since,
        )
        .order_by(last_day, CommunityMeeting.id)
    ).all()
    if not rows:
        return []
    meeting_ids = [m.id for m, _, _ in rows]
    marked: dict[int, set[int]] = defaultdict(set)
    attended: dict[int, set[int]] = defaultdict(set)
    for meeting_id, official_id, status in db.execute(
        select(CommunityAttendance.meeting_id, CommunityAttendance.official_id, CommunityAttendance.status).where(
            CommunityAttendance.meeting_id.in_(meeting_ids)
        )
    ):
        marked[meeting_id].add(official_id)
        if status in (AttendanceStatus.PRESENT, AttendanceStatus.LATE):
            attended[meeting_id].add(official_id)
    core = db.execute(
        select(
            CommunityMember.community_id,
            CommunityMember.official_id,
            CommunityMember.joined_on,
            CommunityMember.left_on,
        ).where(
            CommunityMember.community_id.in_({c.id for _, c, _ in rows}),
            CommunityMember.circle == Circle.CORE,
        )
    ).all()
    out = []
    for meeting, community, setting in rows:
        end = meeting.end_date or meeting.date
        in_core = {
            r.official_id for r in core if r.community_id == community.id and holds_on(r.joined_on, r.left_on, end)
        }
        out.append(
            EndedMeeting(
                meeting_id=meeting.id,
                community_id=community.id,
                community_code=community.code,
                community_he=community.name_he,
                community_en=community.name_en,
                title=meeting.title,
                date=meeting.date,
                last_day=end,
                enabled_on=setting.enabled_on,
                anonymous=setting.anonymous,
                recipients=rules.after_meeting_recipients(
                    attended=attended[meeting.id], marked=bool(marked[meeting.id]), core=in_core
                ),
            )
        )
    return out
