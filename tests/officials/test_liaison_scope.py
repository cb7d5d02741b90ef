"""A liaison sees an official, and everything that hangs on the person, while the official serves in the
liaison's authority and for LMS_LIAISON_GRACE_DAYS (90) after that appointment ended; then nothing of them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from app.accounts.models import User
from app.clock import today
from app.cohorts.models import Cohort, CohortSession, Enrolment
from app.config import get_settings
from app.main import create_app
from app.officials.models import Official
from tests.factories import headers, make_appointment, make_certified, make_official, make_user

LIAISON_AUTHORITY = "0031"  # Ofakim
ELSEWHERE = "0070"  # Ashdod


@dataclass
class Career:
    official: Official
    cohort: Cohort
    meeting: CohortSession
    enrolment: Enrolment
    serial: str
    liaison: User


def _career(db: Session, *, ended_days_ago: int | None) -> Career:
    """An official who served in Ofakim (to `ended_days_ago` days ago, or still), trained and certified, who
    now serves in Ashdod; and Ofakim's liaison."""
    official = make_official(db, email="dana@example.org")
    end = None if ended_days_ago is None else today() - timedelta(days=ended_days_ago)
    make_appointment(db, official, authority=LIAISON_AUTHORITY, role="treasurer", start=date(2021, 1, 1), end=end)
    if end is not None:
        make_appointment(db, official, authority=ELSEWHERE, role="treasurer", start=end + timedelta(days=1))
    done = make_certified(db, official, start=date(2022, 1, 1), hours=4)
    liaison = make_user(db, "liaison", authority=LIAISON_AUTHORITY)
    enrolment = db.get_one(Enrolment, done.enrolment_id)
    return Career(official, done.cohort, done.meeting, enrolment, done.serial, liaison)


# Every route that reads the official, or a record of theirs, named in its path (the certificate's PDF is
# rendered only where it is refused: rendering is slow and proves nothing more here).
RECORD_ROUTES = (
    "/api/v1/officials/{official_id}",
    "/api/v1/officials/{official_id}/appointments",
    "/api/v1/officials/{official_id}/requirements",
    "/api/v1/officials/{official_id}/completions",
    "/api/v1/officials/{official_id}/enrolments",
    "/api/v1/officials/{official_id}/transcript",
    "/api/v1/officials/{official_id}/transcript.{fmt}",
    "/api/v1/officials/{official_id}/cpd",
    "/api/v1/officials/{official_id}/home",
    "/api/v1/enrolments/{enrolment_id}/progress",
    "/api/v1/enrolments/{enrolment_id}/assessments",
    "/api/v1/certificates/{serial}",
    "/api/v1/certificates/{serial}/credential",
    "/api/v1/certificates/{serial}/pdf",
)


def _record_routes(c: Career, *, with_pdf: bool = False) -> list[str]:
    """RECORD_ROUTES for this official's records (a file route in each of its formats)."""
    names = {"official_id": c.official.id, "enrolment_id": c.enrolment.id, "serial": c.serial}
    return [
        template.format(**names, fmt=fmt)
        for template in RECORD_ROUTES
        if with_pdf or not template.endswith("/pdf")
        for fmt in (("csv", "xlsx") if "{fmt}" in template else ("",))
    ]


def test_every_read_route_of_an_officials_records_is_walked() -> None:
    """A new GET route naming an official, an enrolment or a certificate must join RECORD_ROUTES."""
    paths = create_app().openapi()["paths"]
    served = {
        path
        for path, operations in paths.items()
        if "get" in operations and any(f"{{{name}}}" in path for name in ("official_id", "enrolment_id", "serial"))
    }
    assert served == set(RECORD_ROUTES)


def _listed(client: TestClient, c: Career) -> dict[str, bool]:
    """Whether the official shows in each list that a liaison reads (by ID search, by cohort, by certificate)."""
    auth = headers(c.liaison)
    o = c.official

    def ids(path: str, key: str = "official_id", **params: object) -> set[int]:
        response = client.get(path, headers=auth, params=params)
        assert response.status_code == 200, response.text
        body = response.json()
        items = body["items"] if isinstance(body, dict) and "items" in body else body
        return {item[key] for item in items}

    return {
        "search by national ID": o.id in ids("/api/v1/officials", key="id", q=o.national_id),
        "search by name": o.id in ids("/api/v1/officials", key="id", q=o.last_name_he, authority=LIAISON_AUTHORITY),
        "certificates of the official": o.id in ids("/api/v1/certificates", official_id=o.id),
        "enrolments of the cohort": o.id in ids(f"/api/v1/cohorts/{c.cohort.id}/enrolments"),
        "attendance of the session": o.id in ids(f"/api/v1/sessions/{c.meeting.id}/attendance"),
        "attendance matrix": o.id in ids(f"/api/v1/cohorts/{c.cohort.id}/attendance"),
    }


@pytest.mark.parametrize("ended_days_ago", [None, 0, 30, 90])
def test_a_liaison_reads_an_official_of_the_authority_and_for_90_days_after(
    db: Session, client: TestClient, ended_days_ago: int | None
) -> None:
    c = _career(db, ended_days_ago=ended_days_ago)
    auth = headers(c.liaison)
    for path in _record_routes(c):
        response = client.get(path, headers=auth)
        assert response.status_code == 200, f"{path}: {response.status_code} {response.text[:200]}"
    record = client.get(f"/api/v1/officials/{c.official.id}", headers=auth).json()
    assert (record["national_id"], record["email"]) == (c.official.national_id, "dana@example.org")
    transcript = client.get(f"/api/v1/officials/{c.official.id}/transcript", headers=auth).json()
    assert [row["result"] for row in transcript["items"]] == ["completed"]
    enrolments = client.get(f"/api/v1/officials/{c.official.id}/enrolments", headers=auth).json()["items"]
    assert [e["id"] for e in enrolments] == [c.enrolment.id]
    assert all(_listed(client, c).values()), _listed(client, c)


@pytest.mark.parametrize("ended_days_ago", [91, 400])
def test_past_the_grace_period_nothing_of_a_former_official_is_found(
    db: Session, client: TestClient, ended_days_ago: int
) -> None:
    c = _career(db, ended_days_ago=ended_days_ago)
    auth = headers(c.liaison)
    for path in _record_routes(c, with_pdf=True):
        response = client.get(path, headers=auth)
        assert response.status_code == 404, f"{path}: {response.status_code} {response.text[:200]}"
        assert c.official.national_id not in response.text
        assert "dana@example.org" not in response.text
    assert not any(_listed(client, c).values()), _listed(client, c)
    # Admins still see everything, and the authority's own appointment stays its record.
    admin = headers(make_user(db, "admin"))
    assert client.get(f"/api/v1/officials/{c.official.id}/transcript", headers=admin).status_code == 200


def test_the_grace_period_is_a_setting(db: Session, client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    c = _career(db, ended_days_ago=10)
    path = f"/api/v1/officials/{c.official.id}/transcript"
    assert client.get(path, headers=headers(c.liaison)).status_code == 200
    monkeypatch.setattr(get_settings(), "liaison_grace_days", 7)
    assert client.get(path, headers=headers(c.liaison)).status_code == 404
    monkeypatch.setattr(get_settings(), "liaison_grace_days", 0)
    c_today = _career(db, ended_days_ago=0)
    assert client.get(f"/api/v1/officials/{c_today.official.id}", headers=headers(c_today.liaison)).status_code == 200
