"""The community pages: the list (mine first), one community's page as a member, a coordinator and a stranger see
it, asking to join and the coordinator's decision, adding members by name or ID number, scheduling a meeting,
editing its minutes and taking its attendance by the form; both languages; and the upcoming meetings on /me. The
community's page runs as many statements for ten members as for one."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.clock import today
from app.communities import service
from app.communities.models import CommunityAttendance, CommunityJoinRequest, CommunityMeeting
from app.communities.schemas import MemberCreate
from tests.communities.test_service import seed_community
from tests.factories import ACTOR, counting_statements, make_official, make_user, sign_in

ORIGIN = {"Origin": "http://testserver"}


def test_the_list_shows_my_communities_first(db: Session, client: TestClient) -> None:
    seed_community(db, members=0, name_he="א קהילה אחרת")
    s = seed_community(db, members=1)
    sign_in(db, client, make_user(db, "official", official=s.members[0]))
    r = client.get("/communities")
    assert r.status_code == 200
    assert r.text.index('id="mine"') < r.text.index("ראשי מחלקות חינוך") < r.text.index("א קהילה אחרת")
    assert 'data-my-role="member"' in r.text
    assert client.get("/communities?lang=en").text.count("Heads of education departments") >= 1


def test_a_stranger_sees_the_public_part_and_asks_to_join(db: Session, client: TestClient) -> None:
    s = seed_community(db, members=2)
    stranger = make_official(db)
    csrf = sign_in(db, client, make_user(db, "official", official=stranger)).csrf_token
    page = client.get(f"/communities/{s.community.id}")
    assert page.status_code == 200
    assert "מיכל רכזת" in page.text  # the coordinator is public
    assert s.members[0].last_name_he not in page.text  # the members are not
    assert "מפגש פתיחה" not in page.text
    assert client.get(f"/communities/meetings/{s.meeting.id}").status_code == 403
    long = client.post(
        f"/communities/{s.community.id}/join", data={"csrf_token": csrf, "message": "א" * 2001}, headers=ORIGIN
    )
    assert long.status_code == 422 and "ההודעה ארוכה מדי" in long.text
    sent = client.post(
        f"/communities/{s.community.id}/join",
        data={"csrf_token": csrf, "message": "אני מנהלת מחלקת חינוך"},
        headers=ORIGIN,
        follow_redirects=False,
    )
    assert sent.status_code == 303
    assert 'data-request-state="pending"' in client.get(sent.headers["location"]).text

    # The coordinator refuses without a reason (422), then accepts into the core.
    client.cookies.clear()
    csrf = sign_in(db, client, make_user(db, "official", official=s.coordinator)).csrf_token
    requests = client.get(f"/communities/{s.community.id}/requests")
    assert "אני מנהלת מחלקת חינוך" in requests.text
    request_id = db.scalars(
        select(CommunityJoinRequest.id).where(CommunityJoinRequest.official_id == stranger.id)
    ).one()
    url = f"/communities/{s.community.id}/requests/{request_id}"
    refused = client.post(url, data={"csrf_token": csrf, "decision": "refuse", "reason": ""}, headers=ORIGIN)
    assert refused.status_code == 422 and "כדי לדחות בקשה יש לכתוב את הסיבה" in refused.text
    accepted = client.post(
        url, data={"csrf_token": csrf, "decision": "accept", "circle": "core"}, headers=ORIGIN, follow_redirects=False
    )
    assert accepted.status_code == 303
    assert service.current_membership(db, community_id=s.community.id, official_id=stranger.id) is not None


def test_a_coordinator_adds_members_schedules_a_meeting_and_takes_attendance(db: Session, client: TestClient) -> None:
    s = seed_community(db, members=2)
    csrf = sign_in(db, client, make_user(db, "official", official=s.coordinator)).csrf_token
    newcomer = make_official(db, first_name_he="יעלי", last_name_he="מצטרפת")
    found = client.get(f"/communities/{s.community.id}/members", params={"q": newcomer.national_id})
    assert f'data-candidate="{newcomer.id}"' in found.text
    by_name = client.get(f"/communities/{s.community.id}/members", params={"q": "מצטרפת"})
    assert f'data-candidate="{newcomer.id}"' in by_name.text
    added = client.post(
        f"/communities/{s.community.id}/members",
        data={"csrf_token": csrf, "official_id": str(newcomer.id), "circle": "wider", "role": "member"},
        headers=ORIGIN,
        follow_redirects=False,
    )
    assert added.status_code == 303
    twice = client.post(
        f"/communities/{s.community.id}/members",
        data={"csrf_token": csrf, "official_id": str(newcomer.id), "circle": "wider", "role": "member"},
        headers=ORIGIN,
    )
    assert twice.status_code == 422 and "כבר חבר/ה בקהילה" in twice.text

    bad = client.post(
        f"/communities/{s.community.id}/meetings",
        data={"csrf_token": csrf, "title": "סמינר", "kind": "online", "date": "2027-01-10", "end_date": "2027-01-11"},
        headers=ORIGIN,
    )
    assert bad.status_code == 422 and "רק סמינר נמשך יותר מיום אחד" in bad.text
    on = today() + timedelta(days=14)
    made = client.post(
        f"/communities/{s.community.id}/meetings",
        data={
            "csrf_token": csrf,
            "title": "סמינר שנתי",
            "kind": "seminar",
            "date": on.isoformat(),
            "end_date": (on + timedelta(days=1)).isoformat(),
            "starts_at": "09:00",
            "place": "מלון בים המלח",
            "agenda": "יום א: היכרות\nיום ב: סדנאות",
        },
        headers=ORIGIN,
        follow_redirects=False,
    )
    assert made.status_code == 303, made.text
    meeting = db.scalars(select(CommunityMeeting).where(CommunityMeeting.title == "סמינר שנתי")).one()
    page = client.get(made.headers["location"])
    assert "סמינר דו־יומי" in page.text and "יום ב: סדנאות" in page.text
    # The roll of the meeting's day: the coordinator, the two members, and the newcomer.
    assert page.text.count("data-official-id=") == 4
    saved = client.post(
        f"/communities/meetings/{meeting.id}/attendance",
        data={"csrf_token": csrf, "all_present": "1", f"status-{s.members[0].id}": "excused"},
        headers=ORIGIN,
        follow_redirects=False,
    )
    assert saved.status_code == 303
    stmt = select(CommunityAttendance.official_id, CommunityAttendance.status)
    statuses = dict(db.execute(stmt.where(CommunityAttendance.meeting_id == meeting.id)).all())
    assert statuses == {
        s.members[0].id: "excused",
        s.members[1].id: "present",
        s.coordinator.id: "present",
        newcomer.id: "present",
    }
    minutes = client.post(
        f"/communities/meetings/{meeting.id}",
        data={
            "csrf_token": csrf,
            "title": "סמינר שנתי",
            "kind": "seminar",
            "date": on.isoformat(),
            "end_date": (on + timedelta(days=1)).isoformat(),
            "minutes": "סוכם: צוות משותף לתוכנית העבודה",
            "products": "מסמך המלצות",
        },
        headers=ORIGIN,
        follow_redirects=False,
    )
    assert minutes.status_code == 303
    english = client.get(f"/communities/meetings/{meeting.id}?lang=en")
    assert 'lang="en"' in english.text and "Two-day seminar" in english.text
    assert "סוכם: צוות משותף לתוכנית העבודה" in english.text


def test_a_member_sees_the_next_meeting_on_their_home_and_leaves(db: Session, client: TestClient) -> None:
    s = seed_community(db, members=1)
    csrf = sign_in(db, client, make_user(db, "official", official=s.members[0])).csrf_token
    home = client.get("/me")
    assert f'data-community-meeting="{s.meeting.id}"' in home.text and "מפגש פתיחה" in home.text
    left = client.post(
        f"/communities/{s.community.id}/leave", data={"csrf_token": csrf}, headers=ORIGIN, follow_redirects=False
    )
    assert left.headers["location"].endswith("?done=left")
    assert service.current_membership(db, community_id=s.community.id, official_id=s.members[0].id) is None
    assert "מפגש פתיחה" not in client.get("/me").text
    page = client.get(f"/communities/{s.community.id}")
    assert "בקשה להצטרף לקהילה" in page.text  # the public part again, and the way back in


def test_the_community_page_runs_as_many_statements_for_ten_members_as_for_one(
    db: Session, client: TestClient, callers_read_each_time
) -> None:
    s = seed_community(db, members=1)
    sign_in(db, client, make_user(db, "admin"))
    counts = []
    for extra in (0, 9):
        for _ in range(extra):
            service.add_member(
                db, community_id=s.community.id, data=MemberCreate(official_id=make_official(db).id), actor=ACTOR
            )
        db.commit()
        with counting_statements(db) as statements:
            assert client.get(f"/communities/{s.community.id}").status_code == 200
        counts.append(len(statements))
    assert counts[0] == counts[1]


def test_an_admin_creates_a_community_from_the_form(db: Session, client: TestClient) -> None:
    csrf = sign_in(db, client, make_user(db, "admin")).csrf_token
    assert "קהילה חדשה" in client.get("/communities").text
    form = {"csrf_token": csrf, "code": "bad code!", "name_he": "", "name_en": "Digital leads", "field": "דיגיטל"}
    refused = client.post("/communities/new", data=form, headers=ORIGIN)
    assert refused.status_code == 422
    assert "קוד הקהילה: אותיות לטיניות" in refused.text and "יש להזין שם בעברית" in refused.text
    assert 'value="Digital leads"' in refused.text  # what was typed is kept
    made = client.post(
        "/communities/new",
        data={**form, "code": "DIGITAL-1", "name_he": "מובילי דיגיטל", "kind": "network"},
        headers=ORIGIN,
        follow_redirects=False,
    )
    assert made.status_code == 303
    page = client.get(made.headers["location"])
    assert "מובילי דיגיטל" in page.text and "רשת רשויות" in page.text
    assert "הקהילה נוצרה" in page.text
