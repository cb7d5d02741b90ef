"""JSON routes of surveys: creating them, one-time links, importing responses, reports and networks."""

from __future__ import annotations

from typing import Annotated

from fastapi import File, Path, Query, UploadFile

from app.config import get_settings
from app.imports.service import read_limited
from app.programmes.schemas import CODE_MAX_LENGTH
from app.surveys import selectors, service
from app.surveys.schemas import (
    AfterMeetingSettings,
    AfterMeetingSettingsRead,
    InvitationCreate,
    InvitationsMade,
    NetworkReport,
    ResponsesImported,
    SeriesReport,
    SurveyCreate,
    SurveyListItem,
    SurveyRead,
    SurveyReport,
    WaveSend,
)
from app.web.deps import Anyone, SessionDep
from app.web.errors import responses
from app.web.pagination import Page, RecordId
from app.web.routing import Router

router = Router(prefix="/api/v1", tags=["surveys"])

SeriesCode = Annotated[str, Path(min_length=1, max_length=CODE_MAX_LENGTH)]


@router.post("/surveys", status_code=201, response_model=SurveyRead, responses=responses(401, 403, 409, 422))
def create_survey(data: SurveyCreate, db: SessionDep, actor: Anyone) -> SurveyRead:
    """Create a survey: a wave of a series (the series is created with its first survey) and its items. A `people`
    item cannot be in an anonymous survey (422). The same wave or wave order twice in a series: 409. Admins (and,
    with communities, the community's coordinator)."""
    survey = service.create_survey(db, data=data, actor=actor)
    return selectors.read_survey(db, survey_id=survey.id)


@router.get("/surveys", response_model=Page[SurveyListItem], responses=responses(401, 403, 422))
def list_surveys(
    db: SessionDep, actor: Anyone, series: Annotated[str | None, Query(max_length=CODE_MAX_LENGTH)] = None
) -> Page[SurveyListItem]:
    """Surveys by series and wave order, with how many responded. Admins and auditors; a community's coordinator,
    its surveys."""
    rows = selectors.list_surveys(db, series=series, community_ids=selectors.surveys_scope(db, actor))
    return Page(items=rows, total=len(rows))


@router.get("/surveys/{survey_id}", response_model=SurveyRead, responses=responses(401, 403, 404))
def get_survey(survey_id: RecordId, db: SessionDep, actor: Anyone) -> SurveyRead:
    """A survey with its items, responses and links sent and used. Admins and auditors; the community's
    coordinator."""
    survey = selectors.read_survey(db, survey_id=survey_id)
    selectors.require_reader(db, actor, community_id=survey.community_id)
    return survey


@router.post(
    "/surveys/{survey_id}/invitations",
    status_code=201,
    response_model=InvitationsMade,
    responses=responses(401, 403, 404, 409, 422),
)
def invite(survey_id: RecordId, data: InvitationCreate, db: SessionDep, actor: Anyone) -> InvitationsMade:
    """One-time links to answer the survey (`/s/{token}`): one per official named, each invited once (409), and
    links that name no one. Each works once; only a hash of it is kept, so it is shown only here. Admins."""
    links = service.invite(db, survey_id=survey_id, data=data, actor=actor)
    return InvitationsMade(items=links, total=len(links))


@router.post(
    "/surveys/{survey_id}/responses/import",
    response_model=ResponsesImported,
    responses=responses(401, 403, 404, 413, 422),
)
def import_responses(
    survey_id: RecordId,
    db: SessionDep,
    actor: Anyone,
    file: UploadFile = File(
        description="CSV or XLSX: a column per item code, one row per respondent; 1-5 for scales, an option code for "
        "single, `;`-separated codes for multiple (and official ids for people, with `respondent_id`); an empty "
        "cell is no answer."
    ),
) -> ResponsesImported:
    """Import a research partner's responses: every row or, when any row is refused, none (`imported` 0 and each
    refusal with its row, column and why). A column that is no item's code: 422. Admins."""
    content = read_limited(file.file, limit=get_settings().upload_max_bytes)
    return service.import_responses(db, survey_id=survey_id, content=content, filename=file.filename, actor=actor)


@router.get("/surveys/{survey_id}/report", response_model=SurveyReport, responses=responses(401, 403, 404))
def survey_report(survey_id: RecordId, db: SessionDep, actor: Anyone) -> SurveyReport:
    """Per item: N (those who answered it), the distribution, the mean, the share of high agreement (4 or 5, 0-100,
    not rounded), and each option's share of the item's respondents. Admins and auditors; the community's
    coordinator."""
    _require_reader(db, actor, survey_id)
    return selectors.survey_report(db, survey_id=survey_id)


def _require_reader(db: SessionDep, actor: Anyone, survey_id: int) -> None:
    survey = selectors.get_survey(db, survey_id=survey_id)
    selectors.require_reader(db, actor, community_id=survey.community_id)


@router.get("/survey-series/{code}/report", response_model=SeriesReport, responses=responses(401, 403, 404))
def series_report(code: SeriesCode, db: SessionDep, actor: Anyone) -> SeriesReport:
    """The waves of a series side by side in wave order, each with its N and its items' figures. Admins and
    auditors; the coordinator of the community every wave asks."""
    selectors.require_series_reader(db, actor, code=code)
    return selectors.series_report(db, code=code)


@router.get("/surveys/{survey_id}/network", response_model=NetworkReport, responses=responses(401, 403, 404))
def network(survey_id: RecordId, db: SessionDep, actor: Anyone) -> NetworkReport:
    """The network of who consults whom from the survey's `people` answers: density, the most central members,
    ties across authorities and districts, isolated members. Names only to those who run the survey. Admins and
    auditors; the community's coordinator."""
    _require_reader(db, actor, survey_id)
    return selectors.network_report(db, survey_id=survey_id, actor=actor)


@router.post(
    "/surveys/{survey_id}/send",
    status_code=201,
    response_model=InvitationsMade,
    responses=responses(401, 403, 404, 409, 422),
)
def send_wave(survey_id: RecordId, data: WaveSend, db: SessionDep, actor: Anyone) -> InvitationsMade:
    """Send the survey to its community's current members of a circle (`core`, `wider` or `all`) not yet invited:
    a one-time link to each, mailed, and shown only here. Everyone invited already: 409 `nobody_to_invite`; a
    survey that asks no community: 422. Admins and the community's coordinator."""
    links = service.send_wave(db, survey_id=survey_id, data=data, actor=actor)
    return InvitationsMade(items=links, total=len(links))


@router.put(
    "/communities/{community_id}/after-meeting-survey",
    response_model=AfterMeetingSettingsRead,
    responses=responses(401, 403, 404, 422),
)
def set_after_meeting(
    community_id: RecordId, data: AfterMeetingSettings, db: SessionDep, actor: Anyone
) -> AfterMeetingSettingsRead:
    """Turn the short survey after each meeting on or off for a community, anonymous or not: the day after a
    meeting ends, those marked present (none marked: the core circle) get a one-time link to it. Admins and the
    community's coordinator."""
    setting = service.set_after_meeting(db, community_id=community_id, data=data, actor=actor)
    return AfterMeetingSettingsRead.model_validate(setting)
