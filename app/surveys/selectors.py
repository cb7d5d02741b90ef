"""Reads of surveys: lists, a survey with its items, the people a survey asks about, reports and networks.

Every read is a fixed number of set-based queries, whatever the number of responses."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.auth import ADMIN, Principal
from app.authorities.models import Authority
from app.communities.selectors import current_member_ids, may_manage
from app.errors import NotFound
from app.officials.models import Appointment, Official
from app.surveys import rules
from app.surveys.models import (
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


def list_surveys(db: Session, *, series: str | None = None) -> list[SurveyListItem]:
    """Surveys by series and wave order, with their number of responses."""
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
