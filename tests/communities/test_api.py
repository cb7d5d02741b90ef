"""The JSON API of communities, exactly as ../shared/API.md writes it (`POST /api/v1/communities`,
`POST /api/v1/communities/{id}/members`), and what users need beside it: the lists, leaving, requests to join and
their decisions, meetings and their attendance; each answer as the caller may see it."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from app.clock import today
from tests.communities.test_service import seed_community
from tests.factories import headers, make_official, make_user


def test_an_admin_creates_a_community_and_adds_members(db: Session, client: TestClient) -> None:
    admin = headers(make_user(db, "admin"))
    r = client.post(
        "/api/v1/communities",
        json={"code": "ECO-DEV", "name_he": "מובילי פיתוח כלכלי", "name_en": "Economic development", "field": "כלכלה"},
        headers=admin,
    )
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["id"] and (body["code"], body["kind"], body["core_members"]) == ("ECO-DEV", "community", 0)
    again = client.post(
        "/api/v1/communities",
        json={"code": "ECO-DEV", "name_he": "שוב", "name_en": "Again", "field": "כלכלה"},
        headers=admin,
    )
    assert again.status_code == 409 and again.json()["field"] == "code"
    official = make_official(db)
    added = client.post(
        f"/api/v1/communities/{body['id']}/members",
        json={"official_id": official.id, "circle": "core", "role": "coordinator", "joined_on": "2025-09-01"},
        headers=admin,
    )
    assert added.status_code == 201, added.text
    assert {k: added.json()[k] for k in ("official_id", "circle", "role", "joined_on", "left_on")} == {
        "official_id": official.id,
        "circle": "core",
        "role": "coordinator",
        "joined_on": "2025-09-01",
        "left_on": None,
    }
    bad = client.post(
        f"/api/v1/communities/{body['id']}/members",
        json={"official_id": make_official(db).id, "circle": "outer"},
        headers=admin,
    )
    assert bad.status_code == 422 and bad.json()["field"] == "circle"
    read = client.get(f"/api/v1/communities/{body['id']}", headers=admin).json()
    assert read["core_members"] == 1


def test_a_coordinator_runs_their_community_and_not_another(db: Session, client: TestClient) -> None:
    s = seed_community(db, members=2)
    other = seed_community(db, members=1)
    coordinator = headers(make_user(db, "official", official=s.coordinator))
    newcomer = make_official(db)
    url = f"/api/v1/communities/{s.community.id}"
    added = client.post(f"{url}/members", json={"official_id": newcomer.id, "circle": "wider"}, headers=coordinator)
    assert added.status_code == 201, added.text
    member_id = added.json()["id"]
    changed = client.patch(f"{url}/members/{member_id}", json={"role": "leading_team"}, headers=coordinator)
    assert changed.json()["role"] == "leading_team"
    left = client.post(f"{url}/members/{member_id}/leave", headers=coordinator)
    assert left.status_code == 200 and left.json()["left_on"] == today().isoformat()
    history = client.get(f"{url}/members", headers=coordinator).json()["items"]
    assert [m["left_on"] for m in history if m["official_id"] == newcomer.id] == [today().isoformat()]
    meeting = client.post(
        f"{url}/meetings",
        json={
            "title": "סיור בבית ספר",
            "kind": "field_tour",
            "date": (today() + timedelta(days=10)).isoformat(),
            "starts_at": "09:00",
            "ends_at": "15:00",
            "place": "באר שבע",
        },
        headers=coordinator,
    )
    assert meeting.status_code == 201, meeting.text
    taken = client.put(
        f"/api/v1/communities/meetings/{meeting.json()['id']}/attendance",
        json={"records": [{"official_id": s.members[0].id, "status": "present"}]},
        headers=coordinator,
    )
    assert taken.json()["rows"] == [
        {"official_id": s.members[0].id, "result": "created", "error": None, "detail": None}
    ]
    # Another community: readable in part, never managed.
    elsewhere = f"/api/v1/communities/{other.community.id}"
    assert client.get(elsewhere, headers=coordinator).status_code == 200
    assert client.get(f"{elsewhere}/members", headers=coordinator).status_code == 403
    assert client.get(f"{elsewhere}/meetings", headers=coordinator).status_code == 403
    refused = client.post(f"{elsewhere}/members", json={"official_id": newcomer.id}, headers=coordinator)
    assert refused.status_code == 403
    assert client.get(f"/api/v1/communities/meetings/{other.meeting.id}", headers=coordinator).status_code == 403


def test_a_member_reads_and_asks_others_to_decide(db: Session, client: TestClient) -> None:
    s = seed_community(db, members=1)
    member = headers(make_user(db, "official", official=s.members[0]))
    url = f"/api/v1/communities/{s.community.id}"
    members = client.get(f"{url}/members", headers=member).json()["items"]
    assert len(members) == 2 and all(m["national_id"] is None for m in members)
    assert client.get(f"{url}/meetings", headers=member).json()["total"] == 1
    assert client.get(f"{url}/join-requests", headers=member).status_code == 403
    assert client.get(f"/api/v1/communities/meetings/{s.meeting.id}/attendance", headers=member).status_code == 403
    stranger_user = make_user(db, "official", official=make_official(db))
    stranger = headers(stranger_user)
    asked = client.post(f"{url}/join-requests", json={"message": "אשמח להצטרף"}, headers=stranger)
    assert asked.status_code == 201 and asked.json()["state"] == "pending"
    assert client.post(f"{url}/join-requests", json={}, headers=stranger).json()["error"] == "request_pending"
    coordinator = headers(make_user(db, "official", official=s.coordinator))
    pending = client.get(f"{url}/join-requests", headers=coordinator).json()["items"]
    assert [p["state"] for p in pending] == ["pending"]
    no_reason = client.post(
        f"{url}/join-requests/{asked.json()['id']}/decision", json={"accept": False}, headers=coordinator
    )
    assert no_reason.status_code == 422
    accepted = client.post(
        f"{url}/join-requests/{asked.json()['id']}/decision",
        json={"accept": True, "circle": "wider"},
        headers=coordinator,
    )
    assert accepted.json()["state"] == "accepted"
    mine = client.get("/api/v1/communities", headers=stranger).json()["items"]
    assert mine[0]["id"] == s.community.id and mine[0]["my_role"] == "member"
    # Liaisons have no part in communities.
    liaison = headers(make_user(db, "liaison", authority="0031"))
    assert client.get("/api/v1/communities", headers=liaison).status_code == 403
