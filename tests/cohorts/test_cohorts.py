"""Cohorts, sessions, enrolment, the waitlist, moving and withdrawing, through the API."""

from __future__ import annotations

from datetime import date

import pytest

from tests.factories import headers, make_appointment, make_official, make_programme, make_user


@pytest.fixture
def admin(db):
    return headers(make_user(db, "admin"))


def _cohort(client, admin, programme_code, code="C1", **kw):
    body = {
        "programme_code": programme_code,
        "code": code,
        "start_date": "2026-01-10",
        "end_date": "2026-06-30",
        "capacity": 2,
        **kw,
    }
    r = client.post("/api/v1/cohorts", json=body, headers=admin)
    assert r.status_code == 201, r.text
    return r.json()


def _enrol(client, admin, cohort_id, official_id):
    return client.post(f"/api/v1/cohorts/{cohort_id}/enrolments", json={"official_id": official_id}, headers=admin)


def test_cohort_is_open_by_default_or_planned(client, db, admin):
    p = make_programme(db, kind="advanced")
    c = _cohort(client, admin, p.code)
    assert (c["state"], c["capacity"], c["enrolled"], c["scheduled_hours"]) == ("open", 2, 0, 0)
    planned = _cohort(client, admin, p.code, code="C2", state="planned")
    assert planned["state"] == "planned"
    r = _enrol(client, admin, planned["id"], make_official(db).id)
    assert r.status_code == 409 and r.json()["error"] == "cohort_not_open"


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ({"programme_code": "NOPE"}, 422, "programme_code"),
        ({"end_date": "2025-01-01"}, 422, None),
        ({"capacity": 0}, 422, "capacity"),
        ({"state": "closed"}, 422, "state"),
        ({"code": "has space"}, 422, "code"),
    ],
)
def test_bad_cohorts_are_refused(client, db, admin, body, status, field):
    p = make_programme(db, kind="advanced")
    full = {
        "programme_code": p.code,
        "code": "BAD",
        "start_date": "2026-01-10",
        "end_date": "2026-06-30",
        "capacity": 5,
        **body,
    }
    r = client.post("/api/v1/cohorts", json=full, headers=admin)
    assert r.status_code == status
    if field:
        assert r.json()["field"] == field


def test_duplicate_cohort_code_is_409(client, db, admin):
    p = make_programme(db, kind="advanced")
    _cohort(client, admin, p.code)
    r = client.post(
        "/api/v1/cohorts",
        headers=admin,
        json={
            "programme_code": p.code,
            "code": "C1",
            "start_date": "2026-01-10",
            "end_date": "2026-06-30",
            "capacity": 2,
        },
    )
    assert r.status_code == 409


def test_sessions_sum_to_scheduled_hours_and_stay_within_dates(client, db, admin):
    p = make_programme(db, kind="advanced")
    c = _cohort(client, admin, p.code)
    for d, h in (("2026-01-10", 6), ("2026-02-01", 4.5)):
        r = client.post(
            f"/api/v1/cohorts/{c['id']}/sessions", json={"date": d, "hours": h, "title": "מפגש"}, headers=admin
        )
        assert r.status_code == 201, r.text
    assert client.get(f"/api/v1/cohorts/{c['id']}", headers=admin).json()["scheduled_hours"] == 10.5
    out = client.post(f"/api/v1/cohorts/{c['id']}/sessions", json={"date": "2026-07-01", "hours": 3}, headers=admin)
    assert out.status_code == 422 and out.json()["field"] == "date"
    for hours in (0, -2):
        bad = client.post(
            f"/api/v1/cohorts/{c['id']}/sessions", json={"date": "2026-03-01", "hours": hours}, headers=admin
        )
        assert bad.status_code == 422 and bad.json()["field"] == "hours"
    listed = client.get(f"/api/v1/cohorts/{c['id']}/sessions", headers=admin).json()
    assert [s["date"] for s in listed["items"]] == ["2026-01-10", "2026-02-01"]


def test_waitlist_in_order_and_withdrawal_promotes_the_first(client, db, admin):
    p = make_programme(db, kind="advanced")
    c = _cohort(client, admin, p.code, capacity=2)
    people = [make_official(db) for _ in range(5)]
    answers = [_enrol(client, admin, c["id"], o.id).json() for o in people]
    assert [(a["status"], a["waitlist_position"]) for a in answers] == [
        ("enrolled", None),
        ("enrolled", None),
        ("waitlisted", 1),
        ("waitlisted", 2),
        ("waitlisted", 3),
    ]
    again = _enrol(client, admin, c["id"], people[0].id)
    assert again.status_code == 409 and again.json()["error"] == "already_enrolled"
    r = client.post(f"/api/v1/enrolments/{answers[0]['id']}/withdraw", headers=admin)
    assert r.status_code == 200 and r.json()["status"] == "withdrawn"
    listed = {
        e["official_id"]: e for e in client.get(f"/api/v1/cohorts/{c['id']}/enrolments", headers=admin).json()["items"]
    }
    assert listed[people[2].id]["status"] == "enrolled"
    assert (listed[people[3].id]["waitlist_position"], listed[people[4].id]["waitlist_position"]) == (1, 2)
    assert client.post(f"/api/v1/enrolments/{answers[0]['id']}/withdraw", headers=admin).status_code == 409
    # A waitlisted official who withdraws closes the gap behind them.
    client.post(f"/api/v1/enrolments/{answers[3]['id']}/withdraw", headers=admin)
    listed = {
        e["official_id"]: e for e in client.get(f"/api/v1/cohorts/{c['id']}/enrolments", headers=admin).json()["items"]
    }
    assert listed[people[4].id]["waitlist_position"] == 1


def test_capacity_never_below_enrolled_and_more_seats_promote(client, db, admin):
    p = make_programme(db, kind="advanced")
    c = _cohort(client, admin, p.code, capacity=2)
    people = [make_official(db) for _ in range(4)]
    for o in people:
        _enrol(client, admin, c["id"], o.id)
    r = client.patch(f"/api/v1/cohorts/{c['id']}", json={"capacity": 1}, headers=admin)
    assert r.status_code == 409 and r.json()["error"] == "capacity_below_enrolled"
    r = client.patch(f"/api/v1/cohorts/{c['id']}", json={"capacity": 3}, headers=admin)
    assert r.status_code == 200 and (r.json()["enrolled"], r.json()["waitlisted"]) == (3, 1)


def test_cancelled_cohort_refuses_enrolment(client, db, admin):
    p = make_programme(db, kind="advanced")
    c = _cohort(client, admin, p.code)
    o = make_official(db)
    _enrol(client, admin, c["id"], o.id)
    r = client.patch(f"/api/v1/cohorts/{c['id']}", json={"state": "cancelled"}, headers=admin)
    assert r.status_code == 200 and r.json()["enrolled"] == 0
    r = _enrol(client, admin, c["id"], make_official(db).id)
    assert r.status_code == 409 and "cancelled" in r.json()["detail"]
    assert client.patch(f"/api/v1/cohorts/{c['id']}", json={"state": "open"}, headers=admin).status_code == 409


def test_enrolling_links_the_requirement_which_turns_in_progress(client, db, admin):
    make_programme(db, code="TREAS")
    o = make_official(db)
    make_appointment(db, o, start=date(2025, 1, 1))
    c = _cohort(client, admin, "TREAS", start_date="2025-03-01", end_date="2026-12-31")
    e = _enrol(client, admin, c["id"], o.id).json()
    [req] = client.get(f"/api/v1/officials/{o.id}/requirements", params={"as_of": "2025-06-01"}, headers=admin).json()[
        "items"
    ]
    assert e["requirement_id"] == req["id"]
    assert req["status"] == "in_progress"
    before = client.get(f"/api/v1/officials/{o.id}/requirements", params={"as_of": "2025-02-01"}, headers=admin)
    assert before.json()["items"][0]["status"] == "not_started"


def test_official_with_a_valid_completion_gets_409(client, db, admin):
    make_programme(db, code="TREAS")
    o = make_official(db)
    client.post(
        f"/api/v1/officials/{o.id}/completions",
        headers=admin,
        json={"programme_code": "TREAS", "completed_on": "2024-05-01", "reason": "completed in 2024"},
    )
    c = _cohort(client, admin, "TREAS")
    r = _enrol(client, admin, c["id"], o.id)
    assert r.status_code == 409 and r.json()["error"] == "already_completed" and "2024-05-01" in r.json()["detail"]


def test_one_active_enrolment_per_programme(client, db, admin):
    p = make_programme(db, kind="advanced")
    a = _cohort(client, admin, p.code, code="A")
    b = _cohort(client, admin, p.code, code="B")
    o = make_official(db)
    assert _enrol(client, admin, a["id"], o.id).status_code == 201
    r = _enrol(client, admin, b["id"], o.id)
    assert r.status_code == 409 and "A" in r.json()["detail"]


def test_move_between_cohorts_of_the_same_programme(client, db, admin):
    p = make_programme(db, kind="advanced")
    other = make_programme(db, kind="advanced")
    a = _cohort(client, admin, p.code, code="A", capacity=1)
    b = _cohort(client, admin, p.code, code="B", capacity=5)
    x = _cohort(client, admin, other.code, code="X")
    first, second = make_official(db), make_official(db)
    e1 = _enrol(client, admin, a["id"], first.id).json()
    e2 = _enrol(client, admin, a["id"], second.id).json()
    assert e2["status"] == "waitlisted"
    r = client.post(f"/api/v1/enrolments/{e1['id']}/move", json={"cohort_id": x["id"]}, headers=admin)
    assert r.status_code == 409 and r.json()["error"] == "other_programme"
    r = client.post(f"/api/v1/enrolments/{e1['id']}/move", json={"cohort_id": b["id"]}, headers=admin)
    assert r.status_code == 200 and (r.json()["cohort_code"], r.json()["status"]) == ("B", "enrolled")
    in_a = {
        e["official_id"]: e["status"]
        for e in client.get(f"/api/v1/cohorts/{a['id']}/enrolments", headers=admin).json()["items"]
    }
    assert in_a == {first.id: "withdrawn", second.id: "enrolled"}
    history = client.get(f"/api/v1/officials/{first.id}/enrolments", headers=admin).json()["items"]
    assert {(e["cohort_code"], e["status"]) for e in history} == {("A", "withdrawn"), ("B", "enrolled")}


def test_bulk_enrolment_reports_every_row(client, db, admin):
    p = make_programme(db, kind="advanced")
    c = _cohort(client, admin, p.code, capacity=2)
    people = [make_official(db) for _ in range(3)]
    ids = [
        people[0].national_id.lstrip("0"),
        people[1].national_id,
        "123456789",
        "000000018",
        people[2].national_id,
        people[0].national_id,
    ]
    r = client.post(f"/api/v1/cohorts/{c['id']}/enrolments/bulk", json={"national_ids": ids}, headers=admin)
    assert r.status_code == 200, r.text
    body = r.json()
    assert [row["result"] for row in body["rows"]] == [
        "enrolled",
        "enrolled",
        "refused",
        "refused",
        "waitlisted",
        "refused",
    ]
    assert "check digit" in body["rows"][2]["detail"]
    assert body["rows"][3]["error"] == "unknown_official"
    assert body["rows"][5]["error"] == "already_enrolled"
    assert (body["enrolled"], body["waitlisted"], body["refused"]) == (2, 1, 3)


def test_unknown_official_or_cohort(client, db, admin):
    p = make_programme(db, kind="advanced")
    c = _cohort(client, admin, p.code)
    r = _enrol(client, admin, c["id"], 987654)
    assert r.status_code == 422 and r.json()["field"] == "official_id"
    assert _enrol(client, admin, 987654, make_official(db).id).status_code == 404


def test_a_waitlist_place_is_not_in_progress_even_after_withdrawal(client, db, admin):
    make_programme(db, code="TREAS")
    seated, waiting = make_official(db), make_official(db)
    for o in (seated, waiting):
        make_appointment(db, o, start=date(2025, 1, 1))
    c = _cohort(client, admin, "TREAS", capacity=1, start_date="2025-03-01", end_date="2026-12-31")
    _enrol(client, admin, c["id"], seated.id)
    w = _enrol(client, admin, c["id"], waiting.id).json()
    assert w["status"] == "waitlisted"

    def status(o):
        r = client.get(f"/api/v1/officials/{o.id}/requirements", params={"as_of": "2025-06-01"}, headers=admin)
        return r.json()["items"][0]["status"]

    assert (status(seated), status(waiting)) == ("in_progress", "not_started")
    client.post(f"/api/v1/enrolments/{w['id']}/withdraw", headers=admin)
    assert status(waiting) == "not_started"


def test_an_official_enrols_themselves_in_an_open_cohort_of_a_programme_they_owe(client, db, admin):
    make_programme(db, code="TREAS")  # mandatory for treasurers
    engineers = make_programme(db, code="ENG", roles=["city_engineer"])
    o = make_official(db)
    make_appointment(db, o, start=date(2025, 1, 1))  # treasurer
    me = headers(make_user(db, "official", official=o))
    owed = _cohort(client, admin, "TREAS", start_date="2027-01-10", end_date="2027-03-31")
    r = _enrol(client, me, owed["id"], o.id)
    assert r.status_code == 201 and r.json()["status"] == "enrolled", r.text
    # Not someone else, not a mandatory programme they do not owe, not a cohort that is not open.
    other = make_official(db)
    r = _enrol(client, me, owed["id"], other.id)
    assert r.status_code == 403 and r.json()["error"] == "not_yourself"
    theirs = _cohort(client, admin, engineers.code, code="C-ENG", start_date="2027-01-10", end_date="2027-03-31")
    r = _enrol(client, me, theirs["id"], o.id)
    assert r.status_code == 403 and r.json()["error"] == "not_required"
    advanced = make_programme(db, kind="advanced")
    later = _cohort(client, admin, advanced.code, code="C-ADV", state="planned")
    r = _enrol(client, me, later["id"], o.id)
    assert r.status_code == 409 and r.json()["error"] == "cohort_not_open"
    assert client.get(f"/api/v1/cohorts/{theirs['id']}/enrolments", headers=admin).json()["total"] == 0
    # An advanced programme's open cohort takes anyone who asks.
    open_advanced = _cohort(client, admin, advanced.code, code="C-ADV2", start_date="2027-01-10", end_date="2027-03-31")
    assert _enrol(client, me, open_advanced["id"], o.id).status_code == 201


def test_promotion_by_hand_only_into_a_free_seat_and_the_waitlist_closes_up(client, db, admin):
    from sqlalchemy import update

    from app.cohorts.models import Cohort

    p = make_programme(db, kind="advanced")
    c = _cohort(client, admin, p.code, capacity=1)
    first, second, third = (_enrol(client, admin, c["id"], make_official(db).id).json() for _ in range(3))
    assert (second["status"], third["status"]) == ("waitlisted", "waitlisted")
    full = client.post(f"/api/v1/enrolments/{third['id']}/promote", headers=admin)
    assert full.status_code == 409 and full.json()["error"] == "cohort_full"
    # A seat appears without anyone being promoted (as an import or a correction might leave it): the admin picks.
    db.execute(update(Cohort).where(Cohort.id == c["id"]).values(capacity=2))
    r = client.post(f"/api/v1/enrolments/{third['id']}/promote", headers=admin)
    assert r.status_code == 200 and r.json()["status"] == "enrolled"
    listed = {e["id"]: e for e in client.get(f"/api/v1/cohorts/{c['id']}/enrolments", headers=admin).json()["items"]}
    assert (listed[second["id"]]["status"], listed[second["id"]]["waitlist_position"]) == ("waitlisted", 1)
    assert client.post(f"/api/v1/enrolments/{third['id']}/promote", headers=admin).status_code == 200  # no change
    client.post(f"/api/v1/enrolments/{first['id']}/withdraw", headers=admin)
    gone = client.post(f"/api/v1/enrolments/{first['id']}/promote", headers=admin)
    assert gone.status_code == 409 and gone.json()["error"] == "wrong_state"
