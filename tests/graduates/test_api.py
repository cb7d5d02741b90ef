"""The graduates network's JSON API: who may search the directory (anonymous, an official who is no graduate, a
graduate who has not joined, one who has, a liaison, an auditor, an admin), the search's filters and pages, the
events, and a graduate's own profile (join, choose what is shown, leave)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from app.clock import today
from app.communities import service as communities
from app.communities.schemas import MeetingCreate
from tests.factories import ACTOR, headers, make_official, make_user
from tests.graduates.test_service import join, make_graduate, make_network

PROFILE = "/api/v1/me/graduate-profile"


@pytest.fixture
def people(db: Session) -> dict[str, dict[str, str]]:
    """The headers of each kind of caller; the joined graduate shows their email, the other hides it."""
    joined = make_graduate(db, first_name_he="רות", last_name_he="שמיר", email="ruth@example.org")
    join(db, joined, show_email=True)
    not_joined = make_graduate(db, first_name_he="אורי", last_name_he="גל")
    return {
        "anonymous": {},
        "non_graduate": headers(make_user(db, "official", official=make_official(db))),
        "not_joined": headers(make_user(db, "official", official=not_joined)),
        "joined": headers(make_user(db, "official", official=joined)),
        "liaison": headers(make_user(db, "liaison", authority="0031")),
        "auditor": headers(make_user(db, "auditor")),
        "admin": headers(make_user(db, "admin")),
    }


@pytest.mark.parametrize(
    ("who", "status", "error"),
    [
        ("anonymous", 401, "not_authenticated"),
        ("non_graduate", 403, "not_a_graduate"),
        ("not_joined", 403, "join_required"),
        ("joined", 200, None),
        ("liaison", 403, "forbidden"),
        ("auditor", 200, None),
        ("admin", 200, None),
    ],
)
def test_who_may_search_the_directory(
    client: TestClient, people: dict[str, dict[str, str]], who: str, status: int, error: str | None
) -> None:
    for url in ("/api/v1/graduates", "/api/v1/graduates/events"):
        r = client.get(url, headers=people[who])
        assert r.status_code == status, (url, r.text)
        if error:
            assert r.json()["error"] == error
    if status == 200:
        found = client.get("/api/v1/graduates?q=שמיר", headers=people[who]).json()
        assert found["total"] == 1
        [ruth] = found["items"]
        assert (ruth["name_he"], ruth["email"], ruth["phone"]) == ("רות שמיר", "ruth@example.org", None)
        assert ruth["posts"][0]["authority_code"] == "0031" and ruth["programmes"][0]["year"] == 2024
        assert client.get("/api/v1/graduates?q=גל", headers=people[who]).json()["total"] == 0  # never joined


def test_the_search_pages_and_refuses_bad_filters(db: Session, client: TestClient) -> None:
    admin = headers(make_user(db, "admin"))
    for i in range(3):
        join(db, make_graduate(db, on=date(2022, 5, 1 + i)))
    page = client.get("/api/v1/graduates?year=2022&limit=2&offset=0", headers=admin).json()
    rest = client.get("/api/v1/graduates?year=2022&limit=2&offset=2", headers=admin).json()
    assert page["total"] == rest["total"] == 3 and len(page["items"]) == 2 and len(rest["items"]) == 1
    assert client.get("/api/v1/graduates?year=abc", headers=admin).status_code == 422
    assert client.get("/api/v1/graduates?programme=a%20b", headers=admin).status_code == 422
    assert client.get("/api/v1/graduates?limit=501", headers=admin).status_code == 422


def test_a_graduate_joins_chooses_what_is_shown_and_leaves(db: Session, client: TestClient) -> None:
    network = make_network(db)
    communities.schedule_meeting(
        db,
        community_id=network.id,
        data=MeetingCreate(title="ערב בוגרים", kind="in_person", date=today() + timedelta(days=14)),
        actor=ACTOR,
    )
    graduate = make_graduate(db, email="me@example.org")
    me = headers(make_user(db, "official", official=graduate))
    before = client.get(PROFILE, headers=me).json()
    assert (before["is_graduate"], before["opted_in"], before["email_on_record"]) == (True, False, "me@example.org")
    bad = client.put(PROFILE, headers=me, json={"opted_in": True, "show_phone": True})
    assert bad.status_code == 422 and bad.json()["error"]
    bad_phone = client.put(PROFILE, headers=me, json={"opted_in": True, "phone": "123"})
    assert bad_phone.status_code == 422 and "phone" in bad_phone.text
    saved = client.put(
        PROFILE,
        headers=me,
        json={"opted_in": True, "show_phone": True, "phone": "054-6543210", "about": "תכנון ובנייה"},
    )
    assert saved.status_code == 200, saved.text
    assert (saved.json()["opted_in"], saved.json()["opted_in_on"], saved.json()["phone"]) == (
        True,
        today().isoformat(),
        "+972546543210",
    )
    listed = client.get("/api/v1/graduates", headers=me).json()["items"]
    [row] = [g for g in listed if g["official_id"] == graduate.id]
    assert (row["email"], row["phone"], row["about"]) == (None, "+972546543210", "תכנון ובנייה")
    assert [e["title"] for e in client.get("/api/v1/graduates/events", headers=me).json()["items"]] == ["ערב בוגרים"]
    # The event is on the graduate's home, as a meeting of their community.
    home = client.get(f"/api/v1/communities/{network.id}", headers=me).json()
    assert home["my_role"] == "member"
    left = client.put(PROFILE, headers=me, json={"opted_in": False})
    assert left.status_code == 200 and left.json()["opted_out_on"] == today().isoformat()
    assert client.get("/api/v1/graduates", headers=me).json()["error"] == "join_required"


@pytest.mark.parametrize("role", ["admin", "auditor", "liaison"])
def test_staff_have_no_profile(db: Session, client: TestClient, role: str) -> None:
    user = make_user(db, role, authority="0031" if role == "liaison" else None)
    got = client.get(PROFILE, headers=headers(user))
    assert got.status_code == 200 and got.json()["is_graduate"] is False
    assert client.put(PROFILE, headers=headers(user), json={"opted_in": True}).status_code == 403


def test_an_official_who_is_no_graduate_cannot_join(db: Session, client: TestClient) -> None:
    me = headers(make_user(db, "official", official=make_official(db)))
    assert client.get(PROFILE, headers=me).json()["is_graduate"] is False
    refused = client.put(PROFILE, headers=me, json={"opted_in": True})
    assert refused.status_code == 403 and refused.json()["error"] == "not_a_graduate"
