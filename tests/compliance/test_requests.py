"""Extension and exemption requests and the auditor's decisions (rule 4), through the API."""

from __future__ import annotations

import threading
import uuid
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import delete, select, update
from sqlalchemy.orm import sessionmaker

from app.auth import operator
from app.clock import now_utc, today
from app.compliance.models import RequirementRequest
from app.compliance.service import decide_request
from app.config import get_settings
from app.db import get_engine, get_sessionmaker, make_engine
from app.officials.models import Appointment, Official, Requirement
from app.officials.rules import add_months
from app.programmes.models import Programme, ProgrammeRole
from tests.factories import headers, make_appointment, make_official, make_programme, make_user, trail_removed


@pytest.fixture
def world(db):
    make_programme(db, code="TREAS")
    o = make_official(db)
    start = today() - timedelta(days=400)
    make_appointment(db, o, authority="0031", start=start)
    req = db.scalar(select(Requirement).join(Appointment).where(Appointment.official_id == o.id))
    return {
        "official": o,
        "requirement": req,
        "start": start,
        "admin": headers(make_user(db, "admin")),
        "auditor": headers(make_user(db, "auditor")),
        "liaison": headers(make_user(db, "liaison", authority="0031")),
        "other_liaison": headers(make_user(db, "liaison", authority="31")),
        "me": headers(make_user(db, "official", official=o)),
        "db": db,
    }


def _filed_on(db, request_id, day):
    """A request recorded as filed on the day (noon in Israel): what a past paper decision needs behind it."""
    at = datetime.combine(day, time(12), tzinfo=ZoneInfo("Asia/Jerusalem"))
    db.execute(update(RequirementRequest).where(RequirementRequest.id == request_id).values(requested_at=at))
    db.commit()


def _status(client, w, as_of):
    r = client.get(
        f"/api/v1/officials/{w['official'].id}/requirements", params={"as_of": str(as_of)}, headers=w["admin"]
    )
    return r.json()["items"][0]


def test_extension_flow(client, world):
    w = world
    due = w["requirement"].due_date
    new_due = due + timedelta(days=120)
    r = client.post(
        f"/api/v1/requirements/{w['requirement'].id}/extension-requests",
        headers=w["me"],
        json={"requested_due_date": str(new_due), "reason": "maternity leave"},
    )
    assert r.status_code == 201, r.text
    request = r.json()
    assert (request["state"], request["kind"], request["requested_due_date"]) == ("pending", "extension", str(new_due))
    dup = client.post(
        f"/api/v1/requirements/{w['requirement'].id}/extension-requests",
        headers=w["liaison"],
        json={"requested_due_date": str(new_due), "reason": "again"},
    )
    assert dup.status_code == 409 and dup.json()["error"] == "duplicate_request"
    # Only auditors decide.
    for who in ("admin", "liaison", "me"):
        assert (
            client.post(
                f"/api/v1/decisions/{request['id']}", headers=w[who], json={"approve": True, "note": "ok"}
            ).status_code
            == 403
        )
    decided_on = today() - timedelta(days=10)
    _filed_on(w["db"], request["id"], decided_on - timedelta(days=5))
    r = client.post(
        f"/api/v1/decisions/{request['id']}",
        headers=w["auditor"],
        json={"approve": True, "note": "approved on paper", "decided_on": str(decided_on)},
    )
    assert r.status_code == 200 and r.json()["state"] == "approved" and r.json()["decided_on"] == str(decided_on)
    again = client.post(
        f"/api/v1/decisions/{request['id']}", headers=w["auditor"], json={"approve": False, "note": "changed my mind"}
    )
    assert again.status_code == 409 and again.json()["error"] == "already_decided"
    assert _status(client, w, decided_on)["due_date"] == str(new_due)
    assert _status(client, w, decided_on - timedelta(days=1))["due_date"] == str(due)
    history = client.get(f"/api/v1/requirements/{w['requirement'].id}/requests", headers=w["liaison"]).json()
    assert [h["state"] for h in history["items"]] == ["approved"]
    trail = client.get(
        "/api/v1/audit", params={"entity_type": "requirement_request", "entity_id": request["id"]}, headers=w["auditor"]
    ).json()["items"]
    assert trail[0]["before"]["state"] == "pending" and trail[0]["after"]["state"] == "approved"


def test_exemption_makes_the_requirement_exempt_from_its_decision_date(client, world):
    w = world
    r = client.post(
        f"/api/v1/requirements/{w['requirement'].id}/exemption-requests",
        headers=w["liaison"],
        json={"reason_code": "acting_appointment", "reason": "acting director general for 6 months"},
    )
    assert r.status_code == 201, r.text
    bad = client.post(
        f"/api/v1/requirements/{w['requirement'].id}/exemption-requests",
        headers=w["admin"],
        json={"reason_code": "tired", "reason": "no"},
    )
    assert bad.status_code == 422 and bad.json()["field"] == "reason_code"
    on = today() - timedelta(days=3)
    _filed_on(w["db"], r.json()["id"], on)
    client.post(
        f"/api/v1/decisions/{r.json()['id']}",
        headers=w["auditor"],
        json={"approve": True, "note": "ok", "decided_on": str(on)},
    )
    assert _status(client, w, on)["status"] == "exempt"
    assert _status(client, w, on - timedelta(days=1))["status"] != "exempt"


def test_refusal_changes_nothing(client, world):
    w = world
    r = client.post(
        f"/api/v1/requirements/{w['requirement'].id}/exemption-requests",
        headers=w["me"],
        json={"reason_code": "other", "reason": "busy"},
    ).json()
    d = client.post(f"/api/v1/decisions/{r['id']}", headers=w["auditor"], json={"approve": False, "note": "no"})
    assert d.json()["state"] == "refused"
    assert _status(client, w, today())["status"] == "not_started"


def test_bad_requests_and_decisions(client, world):
    w = world
    due = w["requirement"].due_date
    early = client.post(
        f"/api/v1/requirements/{w['requirement'].id}/extension-requests",
        headers=w["admin"],
        json={"requested_due_date": str(due), "reason": "same day"},
    )
    assert early.status_code == 422 and early.json()["field"] == "requested_due_date"
    r = client.post(
        f"/api/v1/requirements/{w['requirement'].id}/extension-requests",
        headers=w["admin"],
        json={"requested_due_date": str(due + timedelta(days=30)), "reason": "sick leave"},
    ).json()
    future = client.post(
        f"/api/v1/decisions/{r['id']}",
        headers=w["auditor"],
        json={"approve": True, "note": "x", "decided_on": str(today() + timedelta(days=1))},
    )
    assert future.status_code == 422 and future.json()["field"] == "decided_on"
    assert (
        client.post("/api/v1/decisions/999999", headers=w["auditor"], json={"approve": True, "note": "x"}).status_code
        == 404
    )
    # Outside one's scope: 404, for the liaison of another authority and for another official.
    other = client.post(
        f"/api/v1/requirements/{w['requirement'].id}/exemption-requests",
        headers=w["other_liaison"],
        json={"reason_code": "other", "reason": "xyz"},
    )
    assert other.status_code == 404
    auditor_asks = client.post(
        f"/api/v1/requirements/{w['requirement'].id}/exemption-requests",
        headers=w["auditor"],
        json={"reason_code": "other", "reason": "xyz"},
    )
    assert auditor_asks.status_code == 403


def test_completed_requirement_takes_no_requests(client, world):
    w = world
    client.post(
        f"/api/v1/officials/{w['official'].id}/completions",
        headers=w["admin"],
        json={"programme_code": "TREAS", "completed_on": str(today()), "reason": "done"},
    )
    r = client.post(
        f"/api/v1/requirements/{w['requirement'].id}/exemption-requests",
        headers=w["admin"],
        json={"reason_code": "other", "reason": "xyz"},
    )
    assert r.status_code == 409 and r.json()["error"] == "requirement_done"


@pytest.mark.many_connections
def test_one_decision_per_request_under_concurrency(database):
    """Ten auditors decide the same request at once, each on its own connection: exactly one succeeds."""
    with trail_removed():
        tag = uuid.uuid4().hex[:8]
        with get_sessionmaker().begin() as s:
            programme = make_programme(s, code=f"DEC-{tag}", roles=["hr_manager"])
            official = make_official(s)
            appointment = make_appointment(s, official, role="hr_manager", start=today() - timedelta(days=30))
            requirement = s.scalar(select(Requirement).where(Requirement.appointment_id == appointment.id))
            request = RequirementRequest(
                requirement_id=requirement.id,
                kind="exemption",
                reason_code="other",
                reason="x",
                state="pending",
                requested_by_label="t",
                requested_at=now_utc(),
            )
            s.add(request)
            s.flush()
            ids = {
                "programme": programme.id,
                "official": official.id,
                "appointment": appointment.id,
                "requirement": requirement.id,
                "request": request.id,
            }
        engine = make_engine(get_engine().url.render_as_string(hide_password=False), pool_size=12, max_overflow=0)
        factory = sessionmaker(bind=engine)
        barrier = threading.Barrier(10)
        outcomes: list[str] = []

        def decide(i: int) -> None:
            barrier.wait()
            try:
                with factory.begin() as s:
                    decide_request(
                        s,
                        request_id=ids["request"],
                        approve=i % 2 == 0,
                        note=f"auditor {i}",
                        decided_on=None,
                        actor=operator(f"auditor-{i}"),
                    )
                outcomes.append("ok")
            except Exception as exc:
                outcomes.append(getattr(exc, "code", repr(exc)))

        threads = [threading.Thread(target=decide, args=(i,)) for i in range(10)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=60)
        engine.dispose()
        try:
            assert sorted(outcomes) == ["already_decided"] * 9 + ["ok"]
        finally:
            with get_sessionmaker().begin() as s:
                s.execute(delete(RequirementRequest).where(RequirementRequest.id == ids["request"]))
                s.execute(delete(Requirement).where(Requirement.id == ids["requirement"]))
                s.execute(delete(Appointment).where(Appointment.id == ids["appointment"]))
                s.execute(delete(Official).where(Official.id == ids["official"]))
                s.execute(delete(ProgrammeRole).where(ProgrammeRole.programme_id == ids["programme"]))
                s.execute(delete(Programme).where(Programme.id == ids["programme"]))


def test_an_auditor_made_or_promoted_by_the_filer_does_not_decide(client, db, world):
    from app.audit.service import record_event
    from app.auth import Principal

    w = world
    filer = make_user(db, "admin")
    r = client.post(
        f"/api/v1/requirements/{w['requirement'].id}/exemption-requests",
        headers=headers(filer),
        json={"reason_code": "acting_appointment", "reason": "acting until the tender closes"},
    )
    assert r.status_code == 201, r.text
    request_id = r.json()["id"]
    by_filer = Principal(user_id=filer.id, label=filer.email, role="admin")
    made, promoted = make_user(db, "auditor"), make_user(db, "auditor")
    # The trail says the filer made one auditor's account and promoted the other's (as a change of role does).
    record_event(db, actor=by_filer, action="create", entity_type="user", entity_id=made.id, after={"role": "auditor"})
    record_event(
        db,
        actor=by_filer,
        action="update",
        entity_type="user",
        entity_id=promoted.id,
        before={"role": "liaison"},
        after={"role": "auditor"},
    )
    for auditor in (made, promoted):
        refused = client.post(
            f"/api/v1/decisions/{request_id}", headers=headers(auditor), json={"approve": True, "note": "ok"}
        )
        assert refused.status_code == 403 and refused.json()["error"] == "separation_of_duties", refused.text
    decided = client.post(
        f"/api/v1/decisions/{request_id}", headers=w["auditor"], json={"approve": True, "note": "yes"}
    )
    assert decided.status_code == 200 and decided.json()["state"] == "approved"


def _extension(client, w, new_due, who="admin"):
    r = client.post(
        f"/api/v1/requirements/{w['requirement'].id}/extension-requests",
        headers=w[who],
        json={"requested_due_date": str(new_due), "reason": "long leave"},
    )
    return r


@pytest.mark.parametrize("decided_on", ["0001-01-01", "1948-05-14", "yesterday"])
def test_a_decision_cannot_predate_its_request_and_rewrite_past_reports(client, world, decided_on):
    w = world
    due = w["requirement"].due_date
    yesterday = today() - timedelta(days=1)
    before = _status(client, w, yesterday)
    r = _extension(client, w, due + timedelta(days=200))
    assert r.status_code == 201, r.text
    day = str(yesterday) if decided_on == "yesterday" else decided_on
    d = client.post(
        f"/api/v1/decisions/{r.json()['id']}",
        headers=w["auditor"],
        json={"approve": True, "note": "backdated", "decided_on": day},
    )
    assert d.status_code == 422, d.text
    assert d.json()["field"] == "decided_on"
    # The report as of yesterday is what it was; the request is still pending and may be decided today.
    assert _status(client, w, yesterday) == before
    ok = client.post(f"/api/v1/decisions/{r.json()['id']}", headers=w["auditor"], json={"approve": True, "note": "ok"})
    assert ok.status_code == 200 and ok.json()["decided_on"] == str(today())
    assert _status(client, w, yesterday) == before
    assert _status(client, w, today())["due_date"] == str(due + timedelta(days=200))


def test_a_decision_may_be_dated_the_day_its_request_was_filed(client, world):
    w = world
    r = _extension(client, w, w["requirement"].due_date + timedelta(days=30)).json()
    filed = today() - timedelta(days=7)
    _filed_on(w["db"], r["id"], filed)
    d = client.post(
        f"/api/v1/decisions/{r['id']}",
        headers=w["auditor"],
        json={"approve": True, "note": "on paper", "decided_on": str(filed)},
    )
    assert d.status_code == 200, d.text
    assert d.json()["decided_on"] == str(filed)


@pytest.fixture
def max_extension_months():
    settings = get_settings()
    saved = settings.max_extension_months
    yield settings
    settings.max_extension_months = saved


def test_an_extension_is_capped_beyond_the_due_date_it_extends(client, world, max_extension_months):
    w = world
    due = w["requirement"].due_date
    too_far = client.post(
        f"/api/v1/requirements/{w['requirement'].id}/extension-requests",
        headers=w["me"],
        json={"requested_due_date": str(add_months(due, 12) + timedelta(days=1)), "reason": "a long time"},
    )
    assert too_far.status_code == 422, too_far.text
    assert too_far.json()["field"] == "requested_due_date" and "12 months" in too_far.json()["detail"]
    r = _extension(client, w, add_months(due, 12), who="me")
    assert r.status_code == 201, r.text
    # The cap in force on the day of the decision applies: lowered since, the approval is refused.
    max_extension_months.max_extension_months = 6
    d = client.post(f"/api/v1/decisions/{r.json()['id']}", headers=w["auditor"], json={"approve": True, "note": "ok"})
    assert d.status_code == 409, d.text
    assert d.json()["error"] == "extension_too_long"
    assert _status(client, w, today())["due_date"] == str(due)
    # Refusing it is always possible.
    d = client.post(f"/api/v1/decisions/{r.json()['id']}", headers=w["auditor"], json={"approve": False, "note": "no"})
    assert d.status_code == 200 and d.json()["state"] == "refused"
