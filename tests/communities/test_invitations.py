"""A community's meetings in its members' mail and calendars: the invitation (with the .ics) to the core circle when a
meeting is scheduled, the update when it moves (same UID, a higher SEQUENCE), the cancellation (METHOD:CANCEL) when it
is called off, the reminders a week and a day before (once, whatever the reruns); a cancelled meeting stays listed
and takes no attendance; and editing a community (its names, field, description), audited. Service, API and pages."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, time, timedelta

import pytest
from fastapi.testclient import TestClient
from icalendar import Calendar
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.audit.models import AuditEvent
from app.clock import today
from app.communities import selectors, service
from app.communities.schemas import (
    CommunityCreate,
    CommunityUpdate,
    MeetingAttendanceIn,
    MeetingAttendanceSheet,
    MeetingCancel,
    MeetingCreate,
    MeetingUpdate,
    MemberCreate,
)
from app.errors import Conflict, Forbidden
from app.notifications.models import OutboxMessage
from app.officials.models import Official
from app.reminders.service import queue_meeting_reminders, run_reminders
from tests.communities.test_service import as_official
from tests.factories import ACTOR, headers, make_official, make_user, sign_in

ORIGIN = {"Origin": "http://testserver"}


@dataclass
class Circles:
    community_id: int
    coordinator: Official
    core: list[Official]  # core members with an email address (the coordinator among them)
    wider: Official  # a wider-circle member with an address: not invited
    silent: Official  # a core member without an address: nothing to send


def circles(db: Session, code: str = "EDU-INV") -> Circles:
    """A community with a coordinator and two core members (all with addresses), a wider-circle member, and a core
    member without an address."""
    community = service.create_community(
        db,
        data=CommunityCreate(code=code, name_he="מנהלי אגפי חינוך", name_en="Heads of education", field="חינוך"),
        actor=ACTOR,
    )
    coordinator = make_official(db, email=f"coord-{code}@example.org")
    core = [coordinator, *(make_official(db, email=f"core{i}-{code}@example.org") for i in range(2))]
    wider = make_official(db, email=f"wider-{code}@example.org")
    silent = make_official(db)
    for person, circle, role in (
        (coordinator, "core", "coordinator"),
        (core[1], "core", "member"),
        (core[2], "core", "leading_team"),
        (wider, "wider", "member"),
        (silent, "core", "member"),
    ):
        service.add_member(
            db,
            community_id=community.id,
            data=MemberCreate(official_id=person.id, circle=circle, role=role, joined_on=date(2025, 1, 1)),
            actor=ACTOR,
        )
    return Circles(community.id, coordinator, core, wider, silent)


def messages(db: Session, kind: str) -> list[OutboxMessage]:
    return list(db.scalars(select(OutboxMessage).where(OutboxMessage.kind == kind).order_by(OutboxMessage.key)))


def ics_of(message: OutboxMessage) -> Calendar:
    (attachment,) = message.attachments
    assert attachment["content_type"].startswith("text/calendar")
    return Calendar.from_ical(attachment["content"])


def event_of(message: OutboxMessage) -> tuple[str, str, int, Calendar]:
    """(METHOD, UID, SEQUENCE, the calendar) of a message's .ics."""
    cal = ics_of(message)
    (event,) = cal.walk("VEVENT")
    return str(cal["METHOD"]), str(event["UID"]), int(event["SEQUENCE"]), cal


def schedule(db: Session, c: Circles, *, on: date, actor: object = ACTOR) -> int:
    meeting = service.schedule_meeting(
        db,
        community_id=c.community_id,
        data=MeetingCreate(
            title="למידת עמיתים",
            kind="in_person",
            date=on,
            starts_at=time(9, 30),
            ends_at=time(13, 0),
            place="בית הספר, ירושלים",
        ),
        actor=actor,  # type: ignore[arg-type]
    )
    return meeting.id


def test_scheduling_invites_the_core_circle_with_the_meetings_ics(db: Session) -> None:
    c = circles(db)
    on = today() + timedelta(days=20)
    meeting_id = schedule(db, c, on=on, actor=as_official(c.coordinator))
    sent = messages(db, "meeting_invitation")
    assert sorted(m.recipient_email for m in sent) == sorted(o.email for o in c.core)  # not the wider, not silent
    assert all(m.state == "queued" and not m.optional for m in sent)
    method, uid, sequence, cal = event_of(sent[0])
    assert (method, sequence) == ("REQUEST", 0) and uid.startswith(f"community-meeting-{meeting_id}@")
    (event,) = cal.walk("VEVENT")
    start = event.decoded("DTSTART")
    assert start.utcoffset() == timedelta(0) and start.date() == on  # 09:30 in Jerusalem, written in UTC
    assert start.hour in (6, 7) and start.minute == 30
    assert "בית הספר, ירושלים" in str(event["LOCATION"])
    assert "למידת עמיתים" in sent[0].subject and f"/communities/meetings/{meeting_id}" in sent[0].body_text


def test_a_meeting_recorded_in_the_past_invites_no_one(db: Session) -> None:
    c = circles(db)
    schedule(db, c, on=today() - timedelta(days=30))
    assert messages(db, "meeting_invitation") == []


def test_a_move_sends_an_update_with_the_same_uid_and_a_higher_sequence(db: Session) -> None:
    c = circles(db)
    meeting_id = schedule(db, c, on=today() + timedelta(days=20))
    (_, uid, _, _) = event_of(messages(db, "meeting_invitation")[0])
    # The agenda is no move: nothing sent.
    service.update_meeting(db, meeting_id=meeting_id, data=MeetingUpdate(agenda="היכרות"), actor=ACTOR)
    assert messages(db, "meeting_changed") == []
    later = today() + timedelta(days=27)
    service.update_meeting(db, meeting_id=meeting_id, data=MeetingUpdate(date=later), actor=ACTOR)
    moved = messages(db, "meeting_changed")
    assert len(moved) == len(c.core)
    method, same_uid, sequence, _ = event_of(moved[0])
    assert (method, same_uid, sequence) == ("REQUEST", uid, 1)
    # The same change again is no change; a new place is a move.
    service.update_meeting(db, meeting_id=meeting_id, data=MeetingUpdate(date=later), actor=ACTOR)
    assert len(messages(db, "meeting_changed")) == len(c.core)
    service.update_meeting(db, meeting_id=meeting_id, data=MeetingUpdate(place="עיריית חיפה"), actor=ACTOR)
    assert sorted({event_of(m)[2] for m in messages(db, "meeting_changed")}) == [1, 2]


def test_a_cancelled_meeting_sends_a_cancel_stays_listed_and_takes_no_attendance(db: Session) -> None:
    c = circles(db)
    meeting_id = schedule(db, c, on=today() + timedelta(days=20))
    member = as_official(c.core[1])
    with pytest.raises(Forbidden):
        service.cancel_meeting(db, meeting_id=meeting_id, data=MeetingCancel(reason="מחלה"), actor=member)
    with pytest.raises(ValidationError) as refused:
        MeetingCancel(reason="  ")
    assert refused.value.errors()[0]["loc"] == ("reason",)
    service.cancel_meeting(
        db, meeting_id=meeting_id, data=MeetingCancel(reason="שביתה"), actor=as_official(c.coordinator)
    )
    cancels = messages(db, "meeting_changed")
    assert len(cancels) == len(c.core) and "שביתה" in cancels[0].body_text
    method, uid, sequence, cal = event_of(cancels[0])
    assert (method, sequence) == ("CANCEL", 1) and uid.startswith(f"community-meeting-{meeting_id}@")
    assert str(cal.walk("VEVENT")[0]["STATUS"]) == "CANCELLED"
    listed = selectors.list_meetings(db, community_id=c.community_id, actor=ACTOR)
    assert [(m.id, m.cancel_reason) for m in listed] == [(meeting_id, "שביתה")] and listed[0].cancelled_at
    assert selectors.upcoming_meetings_of(db, official_id=c.core[1].id, today=today()) == []
    with pytest.raises(Conflict) as twice:
        service.cancel_meeting(db, meeting_id=meeting_id, data=MeetingCancel(reason="שוב"), actor=ACTOR)
    assert twice.value.code == "meeting_cancelled"
    sheet = MeetingAttendanceSheet(records=[MeetingAttendanceIn(official_id=c.core[1].id, status="present")])
    with pytest.raises(Conflict):
        service.record_meeting_attendance(db, meeting_id=meeting_id, sheet=sheet, actor=ACTOR)
    with pytest.raises(Conflict):
        service.update_meeting(
            db, meeting_id=meeting_id, data=MeetingUpdate(date=today() + timedelta(days=30)), actor=ACTOR
        )
    service.update_meeting(db, meeting_id=meeting_id, data=MeetingUpdate(minutes="לא התקיים"), actor=ACTOR)
    trail = db.scalars(
        select(AuditEvent.action).where(
            AuditEvent.entity_type == "community_meeting", AuditEvent.entity_id == str(meeting_id)
        )
    ).all()
    assert "cancel" in trail
    # Nothing is reminded of it.
    report = queue_meeting_reminders(db, as_of=today() + timedelta(days=13))
    assert report.due["meeting_reminder"] == 0


def test_a_meeting_that_took_place_cannot_be_cancelled(db: Session) -> None:
    c = circles(db)
    meeting_id = schedule(db, c, on=today() - timedelta(days=3))
    sheet = MeetingAttendanceSheet(records=[MeetingAttendanceIn(official_id=c.core[1].id, status="present")])
    service.record_meeting_attendance(db, meeting_id=meeting_id, sheet=sheet, actor=ACTOR)
    with pytest.raises(Conflict) as refused:
        service.cancel_meeting(db, meeting_id=meeting_id, data=MeetingCancel(reason="טעות"), actor=ACTOR)
    assert refused.value.code == "meeting_has_attendance"


def test_meetings_are_reminded_a_week_and_a_day_before_once(db: Session) -> None:
    c = circles(db)
    on = today() + timedelta(days=30)
    meeting_id = schedule(db, c, on=on)
    for as_of, due in ((on - timedelta(days=8), 0), (on - timedelta(days=7), len(c.core))):
        report = queue_meeting_reminders(db, as_of=as_of)
        assert report.queued["meeting_reminder"] == due
        assert report.unreachable == ({c.silent.id} if due else set())  # a core member without an address
    again = run_reminders(db, as_of=on - timedelta(days=7))
    assert again.due["meeting_reminder"] == len(c.core) and again.queued["meeting_reminder"] == 0
    assert queue_meeting_reminders(db, as_of=on - timedelta(days=1)).queued["meeting_reminder"] == len(c.core)
    assert queue_meeting_reminders(db, as_of=on).due["meeting_reminder"] == 0
    sent = messages(db, "meeting_reminder")
    assert len(sent) == 2 * len(c.core) and all(m.optional for m in sent)
    assert {m.recipient_email for m in sent} == {o.email for o in c.core}
    method, uid, sequence, _ = event_of(sent[0])
    assert (method, sequence) == ("REQUEST", 0) and uid.startswith(f"community-meeting-{meeting_id}@")


def test_editing_a_community_is_audited_and_its_managers_only(db: Session) -> None:
    c = circles(db)
    with pytest.raises(Forbidden):
        service.update_community(
            db, community_id=c.community_id, data=CommunityUpdate(field="כלכלה"), actor=as_official(c.core[1])
        )
    service.update_community(
        db,
        community_id=c.community_id,
        data=CommunityUpdate(name_en="Heads of Education Departments", description="קהילה של מנהלי אגפים"),
        actor=as_official(c.coordinator),
    )
    read = selectors.read_community(db, community_id=c.community_id, actor=ACTOR)
    assert (read.name_en, read.description, read.name_he) == (
        "Heads of Education Departments",
        "קהילה של מנהלי אגפים",
        "מנהלי אגפי חינוך",
    )
    event = db.scalars(
        select(AuditEvent).where(AuditEvent.entity_type == "community", AuditEvent.action == "update")
    ).one()
    assert event.before["name_en"] == "Heads of education"
    assert event.after["name_en"] == "Heads of Education Departments"
    for bad in ({"name_he": " "}, {"field": None}, {"name_en": "x" * 301}):
        with pytest.raises(ValidationError) as refused:
            CommunityUpdate.model_validate(bad)
        assert refused.value.errors()[0]["loc"] == (next(iter(bad)),)


def test_the_api_edits_a_community_and_cancels_a_meeting(db: Session, client: TestClient) -> None:
    c = circles(db)
    coordinator = headers(make_user(db, "official", official=c.coordinator))
    member = headers(make_user(db, "official", official=c.core[1]))
    path = f"/api/v1/communities/{c.community_id}"
    assert client.patch(path, json={"field": "כלכלה"}, headers=member).status_code == 403
    bad = client.patch(path, json={"name_he": ""}, headers=coordinator)
    assert bad.status_code == 422 and bad.json()["field"] == "name_he"
    ok = client.patch(path, json={"field": "חינוך ורווחה", "description": None}, headers=coordinator)
    assert ok.status_code == 200 and ok.json()["field"] == "חינוך ורווחה"
    meeting_id = schedule(db, c, on=today() + timedelta(days=10))
    cancel = f"/api/v1/communities/meetings/{meeting_id}/cancel"
    assert client.post(cancel, json={}, headers=coordinator).status_code == 422
    done = client.post(cancel, json={"reason": "מזג אוויר"}, headers=coordinator)
    assert done.status_code == 200 and done.json()["cancel_reason"] == "מזג אוויר" and done.json()["cancelled_at"]
    again = client.post(cancel, json={"reason": "מזג אוויר"}, headers=coordinator)
    assert again.status_code == 409 and again.json()["error"] == "meeting_cancelled"


def test_the_pages_edit_a_community_and_cancel_a_meeting(db: Session, client: TestClient) -> None:
    c = circles(db)
    csrf = sign_in(db, client, make_user(db, "official", official=c.coordinator)).csrf_token
    page = client.get(f"/communities/{c.community_id}")
    assert f'href="/communities/{c.community_id}/edit"' in page.text
    form = client.get(f"/communities/{c.community_id}/edit")
    assert form.status_code == 200 and 'value="מנהלי אגפי חינוך"' in form.text
    bad = client.post(
        f"/communities/{c.community_id}/edit",
        data={"csrf_token": csrf, "name_he": "", "name_en": "Heads", "field": "חינוך"},
        headers=ORIGIN,
    )
    assert bad.status_code == 422 and 'href="#name_he"' in bad.text and "יש להזין שם בעברית" in bad.text
    saved = client.post(
        f"/communities/{c.community_id}/edit",
        data={"csrf_token": csrf, "name_he": "מנהלות ומנהלי אגפי חינוך", "name_en": "Heads", "field": "חינוך"},
        headers=ORIGIN,
    )
    assert saved.status_code == 200 and "פרטי הקהילה נשמרו" in saved.text and "מנהלות ומנהלי אגפי חינוך" in saved.text
    meeting_id = schedule(db, c, on=today() + timedelta(days=10))
    meeting = client.get(f"/communities/meetings/{meeting_id}")
    assert "data-cancel-meeting" in meeting.text
    empty = client.post(
        f"/communities/meetings/{meeting_id}/cancel", data={"csrf_token": csrf, "reason": ""}, headers=ORIGIN
    )
    assert empty.status_code == 422 and 'href="#reason"' in empty.text and "למה המפגש מבוטל?" in empty.text
    cancelled = client.post(
        f"/communities/meetings/{meeting_id}/cancel", data={"csrf_token": csrf, "reason": "שביתה"}, headers=ORIGIN
    )
    assert cancelled.status_code == 200 and "data-meeting-cancelled" in cancelled.text and "שביתה" in cancelled.text
    assert "data-cancel-meeting" not in cancelled.text and 'id="attendance"' not in cancelled.text
    listing = client.get(f"/communities/{c.community_id}?lang=en")
    assert "data-meeting-cancelled" in listing.text and "Cancelled" in listing.text
