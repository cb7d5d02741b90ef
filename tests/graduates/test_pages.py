"""The graduates' pages: the directory with its search and the events, as a graduate who joined it, one who has not,
an official who is no graduate and the staff see it; joining, choosing what is shown and leaving by the form (errors
at their fields, what was typed kept); the link on /me; both languages; and as many statements for ten graduates as
for two."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from app.clock import today
from app.communities import service as communities
from app.communities.schemas import MeetingCreate
from tests.factories import ACTOR, counting_statements, make_official, make_user, sign_in
from tests.graduates.test_service import join, make_graduate, make_network

ORIGIN = {"Origin": "http://testserver"}


def test_a_graduate_who_joined_searches_the_directory_and_sees_the_events(db: Session, client: TestClient) -> None:
    network = make_network(db)
    communities.schedule_meeting(
        db,
        community_id=network.id,
        data=MeetingCreate(title="כנס הבוגרים השנתי", kind="seminar", date=today() + timedelta(days=30)),
        actor=ACTOR,
    )
    me = make_graduate(db, first_name_he="רות", last_name_he="שמיר")
    join(db, me)
    other = make_graduate(db, first_name_he="אבי", last_name_he="כץ", email="avi@example.org")
    join(db, other, show_email=True, show_phone=True, phone="052-5551234", about="התחדשות עירונית")
    sign_in(db, client, make_user(db, "official", official=me))
    page = client.get("/graduates")
    assert page.status_code == 200
    assert "כנס הבוגרים השנתי" in page.text and 'data-meeting-id="' in page.text
    assert f'data-graduate="{other.id}"' in page.text
    assert 'href="mailto:avi@example.org"' in page.text and "052-555-1234" in page.text
    assert "התחדשות עירונית" in page.text
    found = client.get("/graduates?q=כץ")
    assert f'data-graduate="{other.id}"' in found.text and f'data-graduate="{me.id}"' not in found.text
    assert 'data-total="1"' in found.text
    none = client.get("/graduates?q=אין+כזה")
    assert 'data-total="0"' in none.text and "אין בוגרים שמתאימים לחיפוש" in none.text
    english = client.get("/graduates?lang=en")
    assert 'lang="en"' in english.text and "Graduates directory" in english.text
    assert "Graduates network" in client.get(f"/communities/{network.id}").text  # the community's kind, in English
    home = client.get("/me?lang=he")
    assert 'data-graduate-standing="member"' in home.text and "כנס הבוגרים השנתי" in home.text


def test_a_graduate_joins_by_the_form_and_leaves(db: Session, client: TestClient) -> None:
    make_network(db)
    me = make_graduate(db, email=None)
    csrf = sign_in(db, client, make_user(db, "official", official=me)).csrf_token
    home = client.get("/me")
    assert 'data-graduate-standing="not_joined"' in home.text and "הצטרפות לרשת הבוגרים" in home.text
    outside = client.get("/graduates")
    assert outside.status_code == 403 and 'data-standing="not_joined"' in outside.text
    assert 'href="/graduates/me"' in outside.text
    form = client.get("/graduates/me")
    assert form.status_code == 200 and 'data-opted-in="false"' in form.text

    unchosen = client.post("/graduates/me", data={"csrf_token": csrf}, headers=ORIGIN)
    assert unchosen.status_code == 422 and "יש לבחור אם להופיע במדריך הבוגרים" in unchosen.text
    bad = {"csrf_token": csrf, "opted_in": "yes", "show_phone": "on", "phone": "12", "about": "רכש"}
    refused = client.post("/graduates/me", data=bad, headers=ORIGIN)
    assert refused.status_code == 422 and "יש להזין מספר טלפון תקין" in refused.text
    assert 'href="#phone"' in refused.text and 'value="12"' in refused.text and ">רכש</textarea>" in refused.text
    no_email = client.post(
        "/graduates/me", data={"csrf_token": csrf, "opted_in": "yes", "show_email": "on"}, headers=ORIGIN
    )
    assert no_email.status_code == 422 and 'href="#email"' in no_email.text

    good = {"csrf_token": csrf, "opted_in": "yes", "show_phone": "on", "phone": "054-6543210", "about": "רכש"}
    joined = client.post("/graduates/me", data=good, headers=ORIGIN, follow_redirects=False)
    assert joined.status_code == 303 and joined.headers["location"] == "/graduates/me?done=joined"
    again = client.get(joined.headers["location"])
    assert 'data-done="joined"' in again.text and 'data-opted-in="true"' in again.text
    assert 'value="054-654-3210"' in again.text
    assert client.get("/graduates").status_code == 200

    left = client.post("/graduates/me", data={"csrf_token": csrf, "opted_in": "no"}, headers=ORIGIN)
    assert left.status_code == 200 and 'data-done="left"' in left.text
    assert client.get("/graduates").status_code == 403


def test_who_else_sees_what(db: Session, client: TestClient) -> None:
    join(db, make_graduate(db, first_name_he="רות", last_name_he="שמיר"))
    sign_in(db, client, make_user(db, "official", official=make_official(db)))
    outside = client.get("/graduates")
    assert outside.status_code == 403 and 'data-standing="not_graduate"' in outside.text
    assert client.get("/graduates/me").status_code == 403
    assert "data-graduate-standing" not in client.get("/me").text
    client.cookies.clear()
    sign_in(db, client, make_user(db, "auditor"))
    staff = client.get("/graduates")
    assert staff.status_code == 200 and "רות שמיר" in staff.text and 'href="/graduates/me"' not in staff.text
    client.cookies.clear()
    sign_in(db, client, make_user(db, "liaison", authority="0031"))
    assert client.get("/graduates").status_code == 403


def test_the_directory_costs_the_same_for_ten_graduates_as_for_two(
    db: Session, client: TestClient, callers_read_each_time
) -> None:
    sign_in(db, client, make_user(db, "admin"))
    counts = []
    for n in (2, 8):
        for _ in range(n):
            join(db, make_graduate(db))
        with counting_statements(db) as statements:
            assert client.get("/graduates").status_code == 200
        counts.append(len(statements))
    assert counts[0] == counts[1]
