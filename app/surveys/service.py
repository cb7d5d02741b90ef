"""Use cases of surveys: creating one (its series with its first wave), inviting by one-time links, answering by a
link, and importing a research partner's responses, every row or none.

An anonymous survey's answer is written so that nothing leads back to its respondent: the response has no
respondent (the schema refuses one), the invitation only turns `used` (no time, no response), and the audit record
of the response names neither a person nor an address."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from app.audit.service import add_and_record, record_change, record_event, snapshot
from app.auth import Principal, operator
from app.clock import now_utc, today
from app.communities.selectors import community_exists
from app.config import get_settings
from app.errors import Conflict, Invalid, NotFound
from app.notifications.service import NewMessage, absolute_link, queue_messages
from app.officials.models import Official
from app.officials.selectors import recipients_of
from app.sheets import cell_text, filled, read_records
from app.surveys import rules, selectors
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
from app.surveys.rules import ItemKind, ResponseSource
from app.surveys.schemas import (
    AfterMeetingSettings,
    ImportRefusal,
    InvitationCreate,
    InvitationLink,
    ItemIn,
    ItemRead,
    ResponsesImported,
    SurveyCreate,
    WaveSend,
)

# The column of an imported file that names the respondent of a survey that is not anonymous (an official's id).
RESPONDENT_COLUMN = "respondent_id"
# Who the audit trail names for an answer given by a one-time link: no user, no address.
RESPONDENT = Principal(user_id=None, label="survey respondent", role="respondent", address=None)
# Who the audit trail names for the short surveys after meetings, made by the daily job.
AFTER_MEETING = operator("after-meeting surveys")


# --- creating a survey ---------------------------------------------------------------------------------------


def create_survey(db: Session, *, data: SurveyCreate, actor: Principal) -> Survey:
    """Create a wave of a series with its items; the series is created with its first survey."""
    if data.community_id is not None and not community_exists(db, community_id=data.community_id):
        raise Invalid(f"community_id: no community has the id {data.community_id}", field="community_id")
    selectors.require_runner(db, actor, community_id=data.community_id)
    codes = [i.code for i in data.items]
    for n, item in enumerate(data.items):
        if codes.index(item.code) != n:
            raise Invalid(f"items[{n}].code: two items have the code {item.code!r}", field=f"items[{n}].code")
        problem = rules.item_problem(
            kind=item.kind,
            option_codes=[o.code for o in item.options],
            max_choices=item.max_choices,
            anonymous=data.anonymous,
        )
        if problem:
            name, sentence = problem
            raise Invalid(f"items[{n}].{name}: {sentence}", field=f"items[{n}].{name}", code="bad_item")
    now = now_utc()
    series = db.scalar(select(SurveySeries).where(SurveySeries.code == data.series_code))
    if series is None:
        series = SurveySeries(code=data.series_code, created_at=now)
        db.add(series)
        db.flush()
        record_event(
            db, actor=actor, action="create", entity_type="survey_series", entity_id=series.id, after=snapshot(series)
        )
    else:
        taken = db.execute(
            select(Survey.wave, Survey.wave_order).where(
                Survey.series_id == series.id, (Survey.wave == data.wave) | (Survey.wave_order == data.wave_order)
            )
        ).first()
        if taken is not None:
            name = "wave" if taken.wave == data.wave else "wave_order"
            raise Conflict(
                f"{name}: the series {series.code!r} already has this wave", code="duplicate_wave", field=name
            )
    survey = Survey(
        series_id=series.id,
        wave=data.wave,
        wave_order=data.wave_order,
        title_he=data.title_he,
        title_en=data.title_en,
        community_id=data.community_id,
        anonymous=data.anonymous,
        created_at=now,
    )
    db.add(survey)
    db.flush()
    items = [
        SurveyItem(
            survey_id=survey.id,
            anonymous=survey.anonymous,
            position=n,
            code=i.code,
            kind=i.kind,
            text_he=i.text_he,
            text_en=i.text_en,
            max_choices=i.max_choices,
        )
        for n, i in enumerate(data.items)
    ]
    db.add_all(items)
    db.flush()
    db.add_all(
        SurveyOption(item_id=row.id, position=k, code=o.code, text_he=o.text_he, text_en=o.text_en)
        for row, given in zip(items, data.items, strict=True)
        for k, o in enumerate(given.options)
    )
    db.flush()
    record_event(
        db,
        actor=actor,
        action="create",
        entity_type="survey",
        entity_id=survey.id,
        after={**snapshot(survey), "items": [i.model_dump(mode="json") for i in data.items]},
    )
    return survey


# --- one-time links ------------------------------------------------------------------------------------------


def token_hash(token: str) -> str:
    """What is kept of a one-time link's token: its SHA-256."""
    return hashlib.sha256(token.encode()).hexdigest()


def invite(db: Session, *, survey_id: int, data: InvitationCreate, actor: Principal) -> list[InvitationLink]:
    """Make one-time links: one per official named (each invited once), and links that name no one."""
    survey = selectors.get_survey(db, survey_id=survey_id)
    selectors.require_runner(db, actor, community_id=survey.community_id)
    ids = list(dict.fromkeys(data.official_ids))
    if not ids and not data.anonymous_links:
        raise Invalid("official_ids: name at least one official, or ask for anonymous links", field="official_ids")
    if data.anonymous_links and any(
        i.kind is ItemKind.PEOPLE for i in selectors.items_of(db, survey_ids=[survey.id])[survey.id]
    ):
        raise Invalid(
            "anonymous_links: whom a respondent consults is a tie of the network only when the link names the "
            "respondent; invite officials by id",
            field="anonymous_links",
        )
    if ids:
        known = set(db.scalars(select(Official.id).where(Official.id.in_(ids))))
        missing = [i for i in ids if i not in known]
        if missing:
            raise Invalid(f"official_ids: there is no official with id {missing[0]}", field="official_ids")
        invited = set(
            db.scalars(
                select(SurveyInvitation.official_id).where(
                    SurveyInvitation.survey_id == survey.id, SurveyInvitation.official_id.in_(ids)
                )
            )
        )
        if invited:
            raise Conflict(
                f"official_ids: official {min(i for i in invited if i is not None)} is already invited to this survey",
                code="already_invited",
                field="official_ids",
            )
    now = now_utc()
    links: list[InvitationLink] = []
    rows: list[SurveyInvitation] = []
    for official_id in [*ids, *([None] * data.anonymous_links)]:
        token = secrets.token_urlsafe(24)
        rows.append(
            SurveyInvitation(
                survey_id=survey.id, official_id=official_id, token_hash=token_hash(token), used=False, created_at=now
            )
        )
        links.append(InvitationLink(official_id=official_id, path=f"/s/{token}"))
    db.add_all(rows)
    db.flush()
    record_event(
        db,
        actor=actor,
        action="invite",
        entity_type="survey",
        entity_id=survey.id,
        after={"official_ids": ids, "anonymous_links": data.anonymous_links},
    )
    return links


@dataclass(frozen=True)
class OpenLink:
    """A one-time link that may still be answered: its survey, items, and whom a `people` item may name."""

    survey: Survey
    items: list[ItemRead]
    people: dict[int, selectors.Person]
    respondent: int | None


def open_link(db: Session, *, token: str) -> OpenLink:
    """The survey a link answers; 404 for a link that does not exist, 409 `link_used` for one already used."""
    invitation = selectors.invitation_by_token_hash(db, token_hash=token_hash(token))
    if invitation is None:
        raise NotFound("this link does not exist", code="unknown_link")
    if invitation.used:
        raise Conflict("this link was used already: a survey is answered once", code="link_used")
    survey = selectors.get_survey(db, survey_id=invitation.survey_id)
    items = selectors.items_of(db, survey_ids=[survey.id])[survey.id]
    choices: dict[int, selectors.Person] = {}
    if any(i.kind is ItemKind.PEOPLE for i in items):
        ids = selectors.survey_people(db, survey_id=survey.id, community_id=survey.community_id)
        choices = {k: p for k, p in selectors.people(db, official_ids=ids).items() if k != invitation.official_id}
    respondent = None if survey.anonymous else invitation.official_id
    return OpenLink(survey=survey, items=items, people=choices, respondent=respondent)


def _parsed(
    items: Sequence[ItemRead], given: Mapping[str, str], people: set[int]
) -> tuple[dict[str, rules.Answer], list[tuple[str, str]]]:
    """The answers of one respondent by item code, and the refusals as (item code, why)."""
    answers: dict[str, rules.Answer] = {}
    errors: list[tuple[str, str]] = []
    for item in items:
        try:
            value = rules.parse_answer(
                kind=item.kind,
                text=given.get(item.code, ""),
                option_codes=[o.code for o in item.options],
                max_choices=item.max_choices,
                people=people,
            )
        except ValueError as exc:
            errors.append((item.code, str(exc)))
            continue
        if value is not None:
            answers[item.code] = value
    return answers, errors


def _answer_rows(
    response_id: int,
    items: Sequence[ItemRead],
    answers: Mapping[str, rules.Answer],
    options: Mapping[tuple[int, str], int],
) -> list[SurveyAnswer]:
    rows: list[SurveyAnswer] = []
    for item in items:
        value = answers.get(item.code)
        if value is None:
            continue
        if item.kind is ItemKind.SCALE5 and isinstance(value, int):
            rows.append(SurveyAnswer(response_id=response_id, item_id=item.id, scale_value=value))
        elif item.kind is ItemKind.TEXT and isinstance(value, str):
            rows.append(SurveyAnswer(response_id=response_id, item_id=item.id, text=value))
        elif item.kind is ItemKind.PEOPLE and isinstance(value, tuple):
            rows.extend(
                SurveyAnswer(response_id=response_id, item_id=item.id, person_official_id=int(p)) for p in value
            )
        elif isinstance(value, str | tuple):
            codes = [value] if isinstance(value, str) else [str(c) for c in value]
            rows.extend(
                SurveyAnswer(response_id=response_id, item_id=item.id, option_id=options[(item.id, c)]) for c in codes
            )
    return rows


def _option_ids(db: Session, items: Sequence[ItemRead]) -> dict[tuple[int, str], int]:
    stmt = select(SurveyOption.item_id, SurveyOption.code, SurveyOption.id).where(
        SurveyOption.item_id.in_([i.id for i in items])
    )
    return {(item_id, code): option_id for item_id, code, option_id in db.execute(stmt)}


def answer_by_link(db: Session, *, token: str, given: Mapping[str, str]) -> SurveyResponse:
    """Record the answers given by a one-time link, once: a second use is 409 `link_used`. A refused answer is 422
    naming its item's code. In an anonymous survey the response has no respondent, and the link keeps only that it
    was used."""
    link = open_link(db, token=token)
    answers, errors = _parsed(link.items, given, set(link.people))
    if errors:
        code, why = errors[0]
        raise Invalid(f"{code}: {why}", field=code, errors=[{"field": c, "detail": d} for c, d in errors])
    # Used once, whatever the concurrency: only one of two racing answers turns the link to used.
    turned = db.execute(
        update(SurveyInvitation)
        .where(SurveyInvitation.token_hash == token_hash(token), SurveyInvitation.used.is_(False))
        .values(used=True)
        .execution_options(synchronize_session=False)
    )
    if turned.rowcount != 1:  # type: ignore[attr-defined]
        raise Conflict("this link was used already: a survey is answered once", code="link_used")
    response = SurveyResponse(
        survey_id=link.survey.id,
        anonymous=link.survey.anonymous,
        respondent_official_id=link.respondent,
        source=ResponseSource.LINK,
        submitted_on=today(),
    )
    db.add(response)
    db.flush()
    db.add_all(_answer_rows(response.id, link.items, answers, _option_ids(db, link.items)))
    db.flush()
    record_event(
        db,
        actor=RESPONDENT,
        action="answer",
        entity_type="survey_response",
        entity_id=response.id,
        after={**snapshot(response), "items_answered": sorted(answers)},
    )
    return response


# --- importing a research partner's responses ----------------------------------------------------------------


def import_responses(
    db: Session, *, survey_id: int, content: bytes, filename: str | None, actor: Principal
) -> ResponsesImported:
    """Import responses from CSV or XLSX (a column per item code, a row per respondent; for a survey that is not
    anonymous, `respondent_id` may name the official): every row or, when any row is refused, none, each refusal
    with its row, column and why."""
    survey = selectors.get_survey(db, survey_id=survey_id)
    selectors.require_runner(db, actor, community_id=survey.community_id)
    items = selectors.items_of(db, survey_ids=[survey.id])[survey.id]
    records = list(
        filled(read_records(content, filename=filename, max_uncompressed=get_settings().xlsx_max_uncompressed_bytes))
    )
    if not records:
        raise Invalid("file: has no header row", field="file", code="empty_file")
    (_, header), rows = records[0], records[1:]
    columns = _columns(header, items, anonymous=survey.anonymous)
    mentioned: set[int] = set()
    for _, cells in rows:
        for name, cell in zip(columns, cells, strict=False):
            if name == RESPONDENT_COLUMN or (name and _kind(items, name) is ItemKind.PEOPLE):
                mentioned.update(int(p) for p in cell_text(cell).replace(" ", "").split(";") if p.isdigit())
    known = set(db.scalars(select(Official.id).where(Official.id.in_(mentioned)))) if mentioned else set()
    answered = {
        i
        for i in db.scalars(
            select(SurveyResponse.respondent_official_id).where(
                SurveyResponse.survey_id == survey.id, SurveyResponse.respondent_official_id.is_not(None)
            )
        )
        if i is not None
    }
    refused: list[ImportRefusal] = []
    accepted: list[tuple[int | None, dict[str, rules.Answer]]] = []
    for number, cells in rows:
        given = {name: cell_text(cell) for name, cell in zip(columns, cells, strict=False) if name}
        answers, errors = _parsed(items, given, known)
        row_refusals = [ImportRefusal(row=number, field=f, detail=d) for f, d in errors]
        respondent, problem = _respondent(given.get(RESPONDENT_COLUMN, ""), known, answered)
        if problem:
            row_refusals.append(ImportRefusal(row=number, field=RESPONDENT_COLUMN, detail=problem))
        for item in items:
            if item.kind is ItemKind.PEOPLE and item.code in answers and respondent is None and not problem:
                row_refusals.append(
                    ImportRefusal(row=number, field=item.code, detail=f"people named need the {RESPONDENT_COLUMN}")
                )
        if not answers and not row_refusals:
            row_refusals.append(ImportRefusal(row=number, field="row", detail="answers no item"))
        if respondent is not None:
            answered.add(respondent)
        refused.extend(row_refusals)
        accepted.append((respondent, answers))
    if refused:
        return ResponsesImported(imported=0, refused=refused)
    on = today()
    responses = [
        SurveyResponse(
            survey_id=survey.id,
            anonymous=survey.anonymous,
            respondent_official_id=respondent,
            source=ResponseSource.IMPORT,
            submitted_on=on,
        )
        for respondent, _ in accepted
    ]
    db.add_all(responses)
    db.flush()
    options = _option_ids(db, items)
    db.add_all(
        row
        for response, (_, answers) in zip(responses, accepted, strict=True)
        for row in _answer_rows(response.id, items, answers, options)
    )
    db.flush()
    record_event(
        db,
        actor=actor,
        action="import_responses",
        entity_type="survey",
        entity_id=survey.id,
        after={"imported": len(responses), "filename": filename},
    )
    return ResponsesImported(imported=len(responses), refused=[])


def _kind(items: Sequence[ItemRead], code: str) -> ItemKind | None:
    return next((i.kind for i in items if i.code == code), None)


def _columns(header: Sequence[object], items: Sequence[ItemRead], *, anonymous: bool) -> list[str]:
    """The item code (or the respondent column) of each column; unknown or repeated columns are refused."""
    codes = {i.code.casefold(): i.code for i in items}
    if not anonymous:
        codes[RESPONDENT_COLUMN] = RESPONDENT_COLUMN
    columns: list[str] = []
    for raw in header:
        text = cell_text(raw)
        if not text:
            columns.append("")
            continue
        name = codes.get(text.casefold())
        if name is None:
            if text.casefold() == RESPONDENT_COLUMN:
                raise Invalid(
                    f"file: an anonymous survey takes no {RESPONDENT_COLUMN} column", field="file", code="anonymous"
                )
            known = ", ".join(i.code for i in items)
            raise Invalid(
                f"file: unknown column {text!r}; the columns are {known}", field="file", code="unknown_column"
            )
        if name in columns:
            raise Invalid(f"file: two columns are {name!r}", field="file", code="duplicate_column")
        columns.append(name)
    if not any(columns):
        raise Invalid("file: the first row names no item", field="file", code="unknown_column")
    return columns


def _respondent(text: str, known: set[int], answered: set[int]) -> tuple[int | None, str | None]:
    text = text.strip()
    if not text:
        return None, None
    if not text.isdigit() or int(text) not in known:
        return None, f"{text!r} is not the id of an official"
    if int(text) in answered:
        return None, f"official {text} has already responded to this survey"
    return int(text), None


# --- sending a survey to its community, by mail --------------------------------------------------------------

# The kind of message that carries a one-time link (templates/email/survey_invitation.*).
INVITATION_KIND = "survey_invitation"


def _mail_links(db: Session, *, survey: Survey, links: Sequence[InvitationLink]) -> int:
    """Mail each named link to its official (those without an address find it on their home page); how many."""
    ids = [link.official_id for link in links if link.official_id is not None]
    if not ids:
        return 0
    recipients = recipients_of(db, official_ids=ids)
    community = selectors.community_names(db, community_id=survey.community_id)
    messages = []
    for link in links:
        to = recipients.get(link.official_id) if link.official_id is not None else None
        if to is None:
            continue
        messages.append(
            NewMessage(
                kind=INVITATION_KIND,
                key=f"survey_invitation:{survey.id}:{to.official_id}",
                to=to,
                context={
                    "survey": {"he": survey.title_he, "en": survey.title_en},
                    "community": community,
                    "anonymous": survey.anonymous,
                    "link": absolute_link(link.path),
                },
            )
        )
    return queue_messages(db, messages)


def send_wave(db: Session, *, survey_id: int, data: WaveSend, actor: Principal) -> list[InvitationLink]:
    """Invite the community's current members of the circle chosen who are not yet invited, each by a one-time link
    mailed to them (and shown once to the sender); 409 `nobody_to_invite` when all of them were."""
    survey = selectors.get_survey(db, survey_id=survey_id)
    selectors.require_runner(db, actor, community_id=survey.community_id)
    if survey.community_id is None:
        raise Invalid("circle: this survey asks no community; invite officials by id", field="circle")
    ids = selectors.members_to_invite(
        db, survey_id=survey.id, community_id=survey.community_id, circle=None if data.circle == "all" else data.circle
    )
    if not ids:
        raise Conflict(
            "circle: every current member of this circle is already invited", code="nobody_to_invite", field="circle"
        )
    links = invite(db, survey_id=survey.id, data=InvitationCreate(official_ids=ids), actor=actor)
    _mail_links(db, survey=survey, links=links)
    return links


def renew_my_link(db: Session, *, survey_id: int, actor: Principal) -> str:
    """A fresh one-time link for the caller's own unused invitation (the one mailed stops working): how a member
    answers from their home page. Not audited: the moment a respondent opened a survey must not be kept."""
    if actor.official_id is None:
        raise NotFound(f"no survey waiting for you with id {survey_id}")
    invitation = db.scalar(
        select(SurveyInvitation).where(
            SurveyInvitation.survey_id == survey_id,
            SurveyInvitation.official_id == actor.official_id,
            SurveyInvitation.used.is_(False),
        )
    )
    if invitation is None:
        raise NotFound(f"no survey waiting for you with id {survey_id}")
    token = secrets.token_urlsafe(24)
    invitation.token_hash = token_hash(token)
    db.flush()
    return f"/s/{token}"


# --- the short survey after each meeting ---------------------------------------------------------------------


def set_after_meeting(
    db: Session, *, community_id: int, data: AfterMeetingSettings, actor: Principal, on: date | None = None
) -> AfterMeetingSurvey:
    """Turn the short survey after each meeting on or off for a community (its coordinator, or an admin), from the
    day `on` (today unless told: the demo's year began earlier)."""
    on = on or today()
    if not community_exists(db, community_id=community_id):
        raise NotFound(f"no community with id {community_id}")
    selectors.require_runner(db, actor, community_id=community_id)
    setting = selectors.after_meeting_setting(db, community_id=community_id)
    if setting is None:
        setting = AfterMeetingSurvey(
            community_id=community_id,
            enabled=data.enabled,
            anonymous=data.anonymous,
            enabled_on=on,
            updated_at=now_utc(),
        )
        add_and_record(db, setting, actor=actor, entity_type="after_meeting_survey")
        return setting
    before = snapshot(setting)
    if data.enabled and not setting.enabled:
        setting.enabled_on = on
    setting.enabled, setting.anonymous = data.enabled, data.anonymous
    if snapshot(setting) != before:
        setting.updated_at = now_utc()
    record_change(db, setting, before=before, actor=actor, entity_type="after_meeting_survey")
    return setting


def send_after_meeting_surveys(db: Session, *, as_of: date) -> int:
    """For each meeting that ended before `as_of` (rules.after_meeting_due) in a community that asks, once: its short
    survey, and a one-time link mailed to each attendee. Safe to rerun: a meeting has one survey at most. How many
    surveys were made."""
    since = as_of - timedelta(days=rules.AFTER_MEETING_WINDOW_DAYS)
    made = 0
    for meeting in selectors.ended_meetings(db, as_of=as_of, since=since):
        if not rules.after_meeting_due(last_day=meeting.last_day, enabled_on=meeting.enabled_on, as_of=as_of):
            continue
        code = rules.after_meeting_series(meeting.community_code)
        waves = selectors.list_surveys(db, series=code)
        wave = rules.after_meeting_wave(meeting.date, meeting.title, {w.wave for w in waves}, meeting.meeting_id)
        data = SurveyCreate(
            series_code=code,
            wave=wave,
            wave_order=max((w.wave_order for w in waves), default=0) + 1,
            title_he=f"שאלון קצר אחרי המפגש: {meeting.title}"[:300],
            title_en=f"Short survey after the meeting: {meeting.title}"[:300],
            community_id=meeting.community_id,
            anonymous=meeting.anonymous,
            items=[ItemIn.model_validate(i) for i in rules.AFTER_MEETING_ITEMS],
        )
        survey = create_survey(db, data=data, actor=AFTER_MEETING)
        survey.meeting_id = meeting.meeting_id
        db.flush()
        if meeting.recipients:
            links = invite(
                db, survey_id=survey.id, data=InvitationCreate(official_ids=meeting.recipients), actor=AFTER_MEETING
            )
            _mail_links(db, survey=survey, links=links)
        made += 1
    return made
