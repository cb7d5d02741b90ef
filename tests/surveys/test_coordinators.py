"""Surveys run by a community's coordinator: the pages a coordinator, a coordinator of another community, a member,
an auditor and an admin may open; creating a survey for the community and sending it to a circle by mail; the
short survey after each meeting (made once per meeting, to its attendees only, anonymous when set, safe to rerun);
its mail in both languages; and the surveys waiting on a member's home."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.clock import today
from app.communities import service as communities
from app.communities.schemas import (
    MeetingAttendanceIn,
    MeetingAttendanceSheet,
    MeetingCancel,
    MeetingCreate,
    MemberCreate,
)
from app.notifications.models import OutboxMessage
from app.notifications.rules import example_of
from app.notifications.service import Recipient, render_message
from app.surveys import rules
from app.surveys.models import Survey, SurveyInvitation, SurveyResponse, SurveySeries
from app.surveys.schemas import AfterMeetingSettings, InvitationCreate, SurveyCreate, WaveSend
from app.surveys.service import (
    answer_by_link,
    create_survey,
    invite,
    send_after_meeting_surveys,
    send_wave,
    set_after_meeting,
)
from tests.communities.test_service import Seeded, seed_community
from tests.factories import ACTOR, make_official, make_user, sign_in
from tests.surveys.factories import people_body, survey_body

ORIGIN = {"Origin": "http://testserver"}


def _with_emails(db: Session, s: Seeded) -> None:
    for n, o in enumerate([s.coordinator, *s.members]):
        o.email = f"member{o.id}-{n}@example.org"
    db.flush()


def _community_survey(db: Session, s: Seeded, series: str = "trust") -> Survey:
    body = {**survey_body(series=series), "community_id": s.community.id}
    return create_survey(db, data=SurveyCreate.model_validate(body), actor=ACTOR)


def _mails(db: Session, survey_id: int) -> list[OutboxMessage]:
    stmt = select(OutboxMessage).where(OutboxMessage.key.like(f"survey_invitation:{survey_id}:%"))
    return list(db.scalars(stmt))


# --- who opens what ------------------------------------------------------------------------------------------------


def test_each_role_opens_what_it_may(db: Session, client: TestClient) -> None:
    s = seed_community(db, members=2)
    other = seed_community(db, members=1)
    survey = _community_survey(db, s)
    reads = [
        f"/communities/{s.community.id}/surveys",
        f"/surveys/{survey.id}",
        f"/surveys/{survey.id}/report",
        f"/surveys/{survey.id}/report.xlsx",
        "/survey-series/trust/report",
        "/surveys",
        f"/surveys/new?community_id={s.community.id}",
    ]
    callers = {
        "coordinator": make_user(db, "official", official=s.coordinator),
        "other coordinator": make_user(db, "official", official=other.coordinator),
        "member": make_user(db, "official", official=s.members[0]),
        "auditor": make_user(db, "auditor"),
        "admin": make_user(db, "admin"),
    }
    may_read = {"coordinator", "auditor", "admin"}
    may_run = {"coordinator", "admin"}
    for who, user in callers.items():
        client.cookies.clear()
        csrf = sign_in(db, client, user).csrf_token
        for path in reads:
            want = may_run if path.startswith("/surveys/new") else may_read
            if path == "/surveys" and who == "other coordinator":
                want = may_read | {"other coordinator"}  # their own list, without this survey
            got = client.get(path).status_code
            assert got == (200 if who in want else 403), f"{who} {path}: {got}"
        sent = client.post(
            f"/surveys/{survey.id}/send", data={"csrf_token": csrf, "circle": "bogus"}, headers=ORIGIN
        ).status_code
        assert sent == (422 if who in may_run else 403), f"{who} send: {sent}"
        setting = client.post(
            f"/communities/{s.community.id}/surveys/after-meeting",
            data={"csrf_token": csrf, "enabled": "maybe"},
            headers=ORIGIN,
        ).status_code
        assert setting == (422 if who in may_run else 403), f"{who} after-meeting: {setting}"
    # The other coordinator's list holds their community's surveys only.
    client.cookies.clear()
    sign_in(db, client, callers["other coordinator"])
    assert f'data-survey="{survey.id}"' not in client.get("/surveys").text


# --- the coordinator's flow ----------------------------------------------------------------------------------------


def test_a_coordinator_creates_a_survey_for_the_community_and_sends_it_to_the_core(
    db: Session, client: TestClient
) -> None:
    s = seed_community(db, members=2)
    wider = make_official(db, email="wider@example.org")
    communities.add_member(
        db, community_id=s.community.id, data=MemberCreate(official_id=wider.id, circle="wider"), actor=ACTOR
    )
    _with_emails(db, s)
    csrf = sign_in(db, client, make_user(db, "official", official=s.coordinator)).csrf_token
    page = client.get(f"/communities/{s.community.id}")
    assert f'href="/communities/{s.community.id}/surveys"' in page.text
    form = client.get(f"/surveys/new?community_id={s.community.id}")
    assert f'name="community_id" value="{s.community.id}"' in form.text
    created = client.post(
        "/surveys",
        data={
            "csrf_token": csrf,
            "community_id": str(s.community.id),
            "series_code": "trust",
            "wave": "start",
            "wave_order": "1",
            "title_he": "אמון",
            "title_en": "Trust",
            "items[0].code": "trust1",
            "items[0].kind": "scale5",
            "items[0].text_he": "אני סומך/ת על חברי הקהילה",
        },
        headers=ORIGIN,
        follow_redirects=False,
    )
    assert created.status_code == 303, created.text
    survey_id = int(created.headers["location"].split("/")[2].split("?")[0])
    assert db.get(Survey, survey_id).community_id == s.community.id  # type: ignore[union-attr]
    # Another community's id in the form: refused.
    other = seed_community(db, members=0)
    refused = client.post(
        "/surveys", data={"csrf_token": csrf, "community_id": str(other.community.id)}, headers=ORIGIN
    )
    assert refused.status_code == 403

    sent = client.post(f"/surveys/{survey_id}/send", data={"csrf_token": csrf, "circle": "core"}, headers=ORIGIN)
    assert sent.status_code == 200 and 'data-sent="3"' in sent.text  # the coordinator and two core members
    links = re.findall(r"http://testserver(/s/[\w-]+)", sent.text)
    assert len(links) == 3
    mails = _mails(db, survey_id)
    assert len(mails) == 3 and "wider@example.org" not in {m.recipient_email for m in mails}
    assert all(m.kind == "survey_invitation" and "/s/" in m.body_text for m in mails)
    again = client.post(f"/surveys/{survey_id}/send", data={"csrf_token": csrf, "circle": "core"}, headers=ORIGIN)
    assert again.status_code == 409 and 'href="#circle"' in again.text
    wider_sent = client.post(f"/surveys/{survey_id}/send", data={"csrf_token": csrf, "circle": "wider"}, headers=ORIGIN)
    assert 'data-sent="1"' in wider_sent.text

    # A member answers by their link; the community's surveys page counts the response.
    client.cookies.clear()
    assert client.post(links[1], data={"trust1": "5"}, headers=ORIGIN).status_code == 200
    sign_in(db, client, make_user(db, "official", official=s.coordinator))
    listing = client.get(f"/communities/{s.community.id}/surveys")
    assert f'data-survey="{survey_id}"' in listing.text and 'data-responses="1"' in listing.text
    report = client.get(f"/surveys/{survey_id}/report?lang=en")
    assert report.status_code == 200 and 'lang="en"' in report.text


def test_a_member_finds_the_survey_waiting_on_their_home_and_answers_it(db: Session, client: TestClient) -> None:
    s = seed_community(db, members=1)
    survey = _community_survey(db, s)
    mailed = invite(db, survey_id=survey.id, data=InvitationCreate(official_ids=[s.members[0].id]), actor=ACTOR)
    csrf = sign_in(db, client, make_user(db, "official", official=s.members[0])).csrf_token
    home = client.get("/me")
    assert f'data-waiting-survey="{survey.id}"' in home.text
    went = client.post(f"/me/surveys/{survey.id}", data={"csrf_token": csrf}, headers=ORIGIN, follow_redirects=False)
    assert went.status_code == 303 and went.headers["location"].startswith("/s/")
    assert client.get(mailed[0].path).status_code == 404  # the link mailed stops working
    answered = client.post(went.headers["location"], data={"trust1": "4"}, headers=ORIGIN)
    assert answered.status_code == 200
    assert f'data-waiting-survey="{survey.id}"' not in client.get("/me").text
    # Nothing waits any more: 404, and nobody else's invitation can be taken.
    assert client.post(f"/me/surveys/{survey.id}", data={"csrf_token": csrf}, headers=ORIGIN).status_code == 404
    # The survey is anonymous: the response names no one.
    response = db.scalars(select(SurveyResponse).where(SurveyResponse.survey_id == survey.id)).one()
    assert response.respondent_official_id is None


# --- the short survey after each meeting -------------------------------------------------------------------------


def _ended_meeting(db: Session, s: Seeded, *, days_ago: int = 1, title: str = "סיור בנגב") -> int:
    meeting = communities.schedule_meeting(
        db,
        community_id=s.community.id,
        data=MeetingCreate(title=title, kind="field_tour", date=today() - timedelta(days=days_ago)),
        actor=ACTOR,
    )
    return meeting.id


def test_after_a_meeting_its_attendees_get_the_short_survey_once(db: Session) -> None:
    s = seed_community(db, members=3)
    _with_emails(db, s)
    set_after_meeting(db, community_id=s.community.id, data=AfterMeetingSettings(enabled=True), actor=ACTOR)
    meeting_id = _ended_meeting(db, s)
    present, late, absent = s.members
    communities.record_meeting_attendance(
        db,
        meeting_id=meeting_id,
        sheet=MeetingAttendanceSheet(
            records=[
                MeetingAttendanceIn(official_id=present.id, status="present"),
                MeetingAttendanceIn(official_id=late.id, status="late"),
                MeetingAttendanceIn(official_id=absent.id, status="absent"),
            ]
        ),
        actor=ACTOR,
    )
    assert send_after_meeting_surveys(db, as_of=today()) == 1
    survey = db.scalars(select(Survey).where(Survey.meeting_id == meeting_id)).one()
    assert survey.community_id == s.community.id and survey.anonymous
    invited = set(db.scalars(select(SurveyInvitation.official_id).where(SurveyInvitation.survey_id == survey.id)))
    assert invited == {present.id, late.id}
    assert {m.official_id for m in _mails(db, survey.id)} == {present.id, late.id}
    # A rerun, the same day or the next, makes and sends nothing more.
    assert send_after_meeting_surveys(db, as_of=today()) == 0
    assert send_after_meeting_surveys(db, as_of=today() + timedelta(days=1)) == 0
    assert db.scalar(select(func.count()).where(Survey.meeting_id == meeting_id)) == 1
    assert len(_mails(db, survey.id)) == 2
    # The series is the community's, the wave the meeting's.
    assert "סיור בנגב" in survey.wave
    assert db.get(SurveySeries, survey.series_id).code == rules.after_meeting_series(s.community.code)  # type: ignore[union-attr]

    # Anonymous stays anonymous: an answer by the link names no one.
    extra = make_official(db)
    link = invite(db, survey_id=survey.id, data=InvitationCreate(official_ids=[extra.id]), actor=ACTOR)[0]
    answer_by_link(db, token=link.path.removeprefix("/s/"), given={"satisfaction": "5", "useful": "4"})
    response = db.scalars(select(SurveyResponse).where(SurveyResponse.survey_id == survey.id)).one()
    assert response.anonymous and response.respondent_official_id is None


def test_without_attendance_the_core_circle_is_asked_and_nothing_goes_when_off(db: Session) -> None:
    s = seed_community(db, members=2)
    meeting_id = _ended_meeting(db, s)
    assert send_after_meeting_surveys(db, as_of=today()) == 0  # never turned on: off
    set_after_meeting(
        db, community_id=s.community.id, data=AfterMeetingSettings(enabled=True, anonymous=False), actor=ACTOR
    )
    upcoming = s.meeting.id  # next week: not yet
    assert send_after_meeting_surveys(db, as_of=today()) == 1
    survey = db.scalars(select(Survey).where(Survey.meeting_id == meeting_id)).one()
    assert not survey.anonymous
    invited = set(db.scalars(select(SurveyInvitation.official_id).where(SurveyInvitation.survey_id == survey.id)))
    assert invited == {s.coordinator.id, *(m.id for m in s.members)}
    assert db.scalar(select(func.count()).where(Survey.meeting_id == upcoming)) == 0
    # Turned off: a meeting that ends afterwards is not surveyed.
    set_after_meeting(db, community_id=s.community.id, data=AfterMeetingSettings(enabled=False), actor=ACTOR)
    _ended_meeting(db, s, title="מפגש זום")
    assert send_after_meeting_surveys(db, as_of=today()) == 0


def test_a_cancelled_meeting_gets_no_short_survey(db: Session) -> None:
    s = seed_community(db, members=2)
    set_after_meeting(db, community_id=s.community.id, data=AfterMeetingSettings(enabled=True), actor=ACTOR)
    meeting_id = _ended_meeting(db, s)
    communities.cancel_meeting(
        db, meeting_id=meeting_id, data=MeetingCancel(reason="the speaker fell ill"), actor=ACTOR
    )
    assert send_after_meeting_surveys(db, as_of=today()) == 0
    assert db.scalar(select(func.count()).where(Survey.meeting_id == meeting_id)) == 0


def test_after_meeting_surveys_of_two_meetings_make_one_series_with_two_waves(db: Session) -> None:
    s = seed_community(db, members=1)
    set_after_meeting(db, community_id=s.community.id, data=AfterMeetingSettings(enabled=True), actor=ACTOR)
    _ended_meeting(db, s, days_ago=3, title="מפגש")
    _ended_meeting(db, s, days_ago=3, title="מפגש")  # the same date and title
    assert send_after_meeting_surveys(db, as_of=today()) == 2
    waves = list(db.scalars(select(Survey).where(Survey.community_id == s.community.id).order_by(Survey.wave_order)))
    assert [w.wave_order for w in waves] == [1, 2] and waves[0].wave != waves[1].wave
    assert len({w.series_id for w in waves}) == 1


@pytest.mark.parametrize(
    ("last_day", "enabled_on", "as_of", "due"),
    [
        (date(2026, 5, 10), date(2026, 5, 1), date(2026, 5, 11), True),  # the day after
        (date(2026, 5, 10), date(2026, 5, 1), date(2026, 5, 10), False),  # its last day: not yet
        (date(2026, 5, 10), date(2026, 5, 1), date(2026, 6, 9), True),  # 30 days on: still caught up
        (date(2026, 5, 10), date(2026, 5, 1), date(2026, 6, 10), False),  # 31 days on: too late
        (date(2026, 5, 10), date(2026, 5, 17), date(2026, 5, 18), True),  # a week before it was turned on
        (date(2026, 5, 10), date(2026, 5, 18), date(2026, 5, 19), False),  # more than a week before
    ],
)
def test_when_a_meetings_short_survey_is_due(last_day: date, enabled_on: date, as_of: date, due: bool) -> None:
    assert rules.after_meeting_due(last_day=last_day, enabled_on=enabled_on, as_of=as_of) is due


def test_who_is_asked_about_a_meeting() -> None:
    assert rules.after_meeting_recipients(attended={3, 1}, marked=True, core={1, 2, 3, 4}) == [1, 3]
    assert rules.after_meeting_recipients(attended=set(), marked=True, core={1, 2}) == []  # all absent: nobody
    assert rules.after_meeting_recipients(attended=set(), marked=False, core={2, 1}) == [1, 2]
    assert rules.after_meeting_series("HEADS-EDU") == "heads-edu-after-meeting"
    assert len(rules.after_meeting_series("X" * 40)) == 40


@pytest.mark.parametrize("lang", ["he", "en"])
def test_the_invitation_mail_is_written_in_both_languages(lang: str) -> None:
    context = {**example_of("survey_invitation"), "recipient": Recipient(email="a@example.org", name="דנה כהן")}
    subject, text, html = render_message("survey_invitation", context, lang=lang)
    assert "https://lms.example/s/example-token" in text and 'href="https://lms.example/s/example-token"' in html
    if lang == "he":
        assert "שאלון" in subject and "אנונימי" in text and "מנהלי אגפי חינוך" in text
    else:
        assert "Survey" in subject and "anonymous" in text and "Heads of education departments" in text


def test_the_coordinator_sees_the_names_in_the_network_of_their_community(db: Session, client: TestClient) -> None:
    s = seed_community(db, members=2)
    body = {**people_body(), "community_id": s.community.id}
    survey = create_survey(db, data=SurveyCreate.model_validate(body), actor=ACTOR)
    links = send_wave(db, survey_id=survey.id, data=WaveSend(circle="core"), actor=ACTOR)
    tokens = {link.official_id: link.path.removeprefix("/s/") for link in links}
    answer_by_link(db, token=tokens[s.members[0].id], given={"consult": str(s.coordinator.id)})
    sign_in(db, client, make_user(db, "official", official=s.coordinator))
    named = client.get(f"/surveys/{survey.id}/network")
    assert named.status_code == 200 and 'data-names="hidden"' not in named.text and "מיכל רכזת" in named.text
    client.cookies.clear()
    sign_in(db, client, make_user(db, "auditor"))
    numbers = client.get(f"/surveys/{survey.id}/network")
    assert numbers.status_code == 200 and 'data-names="hidden"' in numbers.text and "מיכל רכזת" not in numbers.text
