"""A coordinator's year with a community, in a real browser, over one seeded through the services (a coordinator and
three core members with email addresses, a meeting last month and one next month, an official asking to join): the
coordinator edits the community's description, adds a member, schedules a meeting (the core circle is invited by
mail with its .ics), moves it (they get the update), records last month's attendance and writes its minutes, cancels
next month's meeting with a reason (it stays listed as cancelled; they get the cancellation), and accepts the request
to join. Every page checked by axe-core in both languages and photographed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import time, timedelta

import pytest
from playwright.sync_api import expect
from sqlalchemy import create_engine, make_url, select
from sqlalchemy.orm import Session

from app.auth import OFFICIAL, Principal, operator
from app.clock import today
from app.communities import service
from app.communities.schemas import CommunityCreate, MeetingCreate, MemberCreate
from app.notifications.models import OutboxMessage
from tests.browser.conftest import check_in_both_languages, check_page
from tests.browser.test_journeys import _click, _sign_in
from tests.factories import make_appointment, make_official, make_user

pytestmark = pytest.mark.browser


@dataclass(frozen=True)
class Seeded:
    community_id: int
    coordinator_email: str
    past_meeting_id: int
    next_meeting_id: int
    newcomer: str
    asker: str


def _seed(database_url: str) -> Seeded:
    actor = operator("test")
    engine = create_engine(make_url(database_url))
    try:
        with Session(engine) as db, db.begin():
            community = service.create_community(
                db,
                data=CommunityCreate(
                    code="YEAR-ECO", name_he="מובילי פיתוח כלכלי", name_en="Economic development leads", field="כלכלה"
                ),
                actor=actor,
            )
            coordinator = make_official(
                db, first_name_he="רותם", last_name_he="רכזת", email="rotem.coordinator@browser.example"
            )
            make_appointment(db, coordinator, authority="0070")
            people = [(coordinator, "coordinator")]
            for i, name in enumerate(("אלון", "בתיה", "גיל")):
                o = make_official(db, first_name_he=name, last_name_he="כלכלן", email=f"core{i}@browser.example")
                make_appointment(db, o, authority="0031")
                people.append((o, "leading_team" if i == 0 else "member"))
            for o, role in people:
                service.add_member(
                    db,
                    community_id=community.id,
                    data=MemberCreate(official_id=o.id, role=role, joined_on=today() - timedelta(days=200)),
                    actor=actor,
                )
            past = service.schedule_meeting(
                db,
                community_id=community.id,
                data=MeetingCreate(
                    title="מפגש: מיזמי תעסוקה",
                    kind="in_person",
                    date=today() - timedelta(days=30),
                    starts_at=time(9, 30),
                    ends_at=time(13, 0),
                    place="בית העירייה, חיפה",
                ),
                actor=actor,
            )
            upcoming = service.schedule_meeting(
                db,
                community_id=community.id,
                data=MeetingCreate(
                    title="סיור לימודי: אזורי תעשייה",
                    kind="field_tour",
                    date=today() + timedelta(days=35),
                    place="פארק התעשייה, באר שבע",
                ),
                actor=actor,
            )
            newcomer = make_official(db, first_name_he="דורית", last_name_he="מצטרפת", first_name_en="Dorit")
            make_appointment(db, newcomer, authority="0070", role="economic_development_manager")
            asker = make_official(db, first_name_he="הילה", last_name_he="מבקשת")
            service.request_to_join(
                db,
                community_id=community.id,
                message="אשמח להצטרף",
                actor=Principal(user_id=None, label="asker", role=OFFICIAL, official_id=asker.id),
            )
            make_user(db, "official", official=coordinator, email="year-coordinator@browser.example")
            return Seeded(
                community_id=community.id,
                coordinator_email="year-coordinator@browser.example",
                past_meeting_id=past.id,
                next_meeting_id=upcoming.id,
                newcomer="דורית מצטרפת",
                asker="הילה מבקשת",
            )
    finally:
        engine.dispose()


def _outbox(database_url: str, kind: str) -> list[OutboxMessage]:
    engine = create_engine(make_url(database_url))
    try:
        with Session(engine) as db:
            return list(db.scalars(select(OutboxMessage).where(OutboxMessage.kind == kind)))
    finally:
        engine.dispose()


def test_a_coordinator_runs_a_community_for_a_year(page, server):
    seeded = _seed(server.database_url)
    page.goto("/login")
    _sign_in(page, seeded.coordinator_email)
    page.goto(f"/communities/{seeded.community_id}")
    check_in_both_languages(page, "year-community")

    # The community's details: a name left empty is refused at its field, then the description saved.
    _click(page, page.get_by_role("link", name="עריכת פרטי הקהילה"))
    check_in_both_languages(page, "year-community-edit")
    page.fill("#name_he", "")
    page.fill("#description", "מובילי הפיתוח הכלכלי ברשויות לומדים זה מזה: תעסוקה, אזורי תעשייה ומסחר.")
    _click(page, page.get_by_role("button", name="שמירת פרטי הקהילה"))
    expect(page.locator(".error-summary")).to_contain_text("יש להזין שם בעברית")
    check_page(page, "year-community-edit-errors")
    page.fill("#name_he", "מובילי פיתוח כלכלי ברשויות")
    _click(page, page.get_by_role("button", name="שמירת פרטי הקהילה"))
    expect(page.locator(".notice--success")).to_contain_text("פרטי הקהילה נשמרו")
    expect(page.locator("h1")).to_have_text("מובילי פיתוח כלכלי ברשויות")

    # A member added to the core circle.
    _click(page, page.get_by_role("link", name="ניהול החברים"))
    page.fill("#q", "מצטרפת")
    _click(page, page.get_by_role("button", name="חיפוש"))
    candidate = page.locator("tr[data-candidate]", has_text=seeded.newcomer)
    _click(page, candidate.get_by_role("button", name=f"הוספה {seeded.newcomer}"))
    expect(page.locator(".notice--success")).to_contain_text("החבר/ה נוסף/ה לקהילה")
    check_in_both_languages(page, "year-members")

    # A meeting scheduled three weeks ahead: the core circle is invited (four; the newcomer has no address).
    invited = len(_outbox(server.database_url, "meeting_invitation"))
    page.goto(f"/communities/{seeded.community_id}/meetings/new")
    page.fill("#title", "מפגש: תוכנית העבודה לשנה הבאה")
    page.select_option("#kind", "in_person")
    page.fill("#date", (today() + timedelta(days=21)).isoformat())
    page.fill("#starts_at", "09:30")
    page.fill("#ends_at", "13:00")
    page.fill("#place", "בית הספר לבכירים, ירושלים")
    _click(page, page.get_by_role("button", name="קביעת המפגש"))
    expect(page.locator(".notice--success")).to_contain_text("המפגש נקבע")
    assert len(_outbox(server.database_url, "meeting_invitation")) == invited + 4
    check_in_both_languages(page, "year-meeting-new")

    # Moved a week later: the update goes to the same four.
    page.fill("#date", (today() + timedelta(days=28)).isoformat())
    _click(page, page.get_by_role("button", name="שמירת פרטי המפגש"))
    expect(page.locator(".notice--success")).to_contain_text("פרטי המפגש נשמרו")
    assert len(_outbox(server.database_url, "meeting_changed")) == 4

    # Last month's meeting: everyone present but one, and its minutes.
    page.goto(f"/communities/meetings/{seeded.past_meeting_id}")
    page.get_by_role("button", name="כולם נוכחים").click()
    rows = page.locator("tr[data-official-id]")
    expect(rows).to_have_count(4)
    for i in range(4):
        expect(rows.nth(i).locator("[data-save-state]")).to_have_class("save-state save-state--saved")
    absent = rows.filter(has_text="גיל כלכלן")
    absent.locator("label", has_text="נעדר/ת").click()
    expect(absent).to_have_attribute("data-attendance-status", "absent")
    expect(absent.locator("[data-save-state]")).to_have_class("save-state save-state--saved")
    page.fill("#minutes", "הוצגו שלושה מיזמי תעסוקה; סוכם על צוות משותף.")
    _click(page, page.get_by_role("button", name="שמירת פרטי המפגש"))
    expect(page.locator("[data-minutes]")).to_contain_text("שלושה מיזמי תעסוקה")
    assert page.locator("tr[data-official-id]", has_text="גיל כלכלן").locator("input[value=absent]").is_checked()
    expect(page.locator("[data-cancel-meeting]")).to_have_count(0)  # it took place
    check_in_both_languages(page, "year-meeting-past")

    # Next month's field tour cancelled: a reason is needed; then it stays listed as cancelled.
    page.goto(f"/communities/meetings/{seeded.next_meeting_id}")
    _click(page, page.get_by_role("button", name="ביטול המפגש והודעה למוזמנים"))
    expect(page.locator(".error-summary")).to_contain_text("יש לכתוב את סיבת הביטול")
    check_page(page, "year-meeting-cancel-errors")
    page.fill("#reason", "המארחים ביקשו לדחות לאחר החגים")
    _click(page, page.get_by_role("button", name="ביטול המפגש והודעה למוזמנים"))
    expect(page.locator("[data-meeting-cancelled]")).to_contain_text("המארחים ביקשו לדחות")
    expect(page.locator("#attendance")).to_have_count(0)
    check_in_both_languages(page, "year-meeting-cancelled")
    cancels = [m for m in _outbox(server.database_url, "meeting_changed") if "CANCEL" in str(m.attachments)]
    assert len(cancels) == 4
    page.goto(f"/communities/{seeded.community_id}")
    expect(page.locator(f"tr[data-meeting-id='{seeded.next_meeting_id}'] [data-meeting-cancelled]")).to_be_visible()

    # The request to join, accepted into the wider circle.
    _click(page, page.get_by_role("link", name="בקשות להצטרפות"))
    check_in_both_languages(page, "year-requests")
    _click(page, page.get_by_role("button", name=f"שמירת ההחלטה {seeded.asker}"))
    expect(page.locator(".notice--success")).to_contain_text("הבקשה התקבלה")
    page.goto(f"/communities/{seeded.community_id}")
    expect(page.locator("tr[data-member-id]", has_text=seeded.asker)).to_have_attribute("data-circle", "wider")
    check_in_both_languages(page, "year-community-end")
