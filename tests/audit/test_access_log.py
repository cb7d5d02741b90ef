"""The access log: who read or exported which person's data, written with the read; read by auditors only; and,
on PostgreSQL, out of reach of the application's role for anything but reading and adding."""

from __future__ import annotations

import re
import secrets
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Connection, text
from sqlalchemy.exc import ProgrammingError
from sqlalchemy.orm import Session

from app.accounts.models import User
from app.officials.models import Official
from tests.factories import headers, make_appointment, make_certified, make_official, make_programme, make_user

OPERATIONS = Path(__file__).resolve().parents[2] / "docs" / "operations.md"


def _log(client: TestClient, auditor: User, **params: Any) -> list[dict[str, Any]]:
    response = client.get("/api/v1/audit/access-log", headers=headers(auditor), params=params)
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


def _certified(db: Session) -> tuple[Official, int, str]:
    """An official of Ofakim who completed an advanced course: (official, cohort id, certificate serial)."""
    official = make_official(db)
    make_appointment(db, official, authority="0031")
    done = make_certified(db, official, start=date(2025, 1, 1))
    return official, done.cohort.id, done.serial


def test_reads_of_a_persons_data_are_logged_with_who_what_and_whose(db: Session, client: TestClient) -> None:
    official, cohort_id, serial = _certified(db)
    admin, liaison, auditor = make_user(db, "admin"), make_user(db, "liaison"), make_user(db, "auditor")
    o = official.id
    reads = [
        (admin, f"/api/v1/officials/{o}", "official_record"),
        (liaison, f"/api/v1/officials/{o}/transcript", "transcript"),
        (liaison, f"/api/v1/officials/{o}/transcript.xlsx", "export"),
        (admin, f"/api/v1/certificates/{serial}/credential", "credential"),
        (liaison, f"/api/v1/cohorts/{cohort_id}/attendance.csv", "export"),
    ]
    for user, path, _ in reads:
        assert client.get(path, headers=headers(user)).status_code == 200, path
    found = client.get("/api/v1/officials", headers=headers(admin), params={"q": official.national_id})
    assert found.json()["total"] == 1

    rows = _log(client, auditor, official_id=o)
    got = sorted((r["actor_user_id"], r["subject"], r["kind"]) for r in rows)
    want = sorted([(u.id, p, k) for u, p, k in reads] + [(admin.id, "/api/v1/officials", "national_id_search")])
    assert got == want
    search = next(r for r in rows if r["kind"] == "national_id_search")
    assert search["detail"] == {"q": official.national_id, "found": 1}
    assert search["actor_role"] == "admin" and search["actor_label"] == admin.email
    assert all(r["at"].endswith(("+00:00", "Z")) for r in rows)
    # By user: everything the liaison read, and nothing of anyone else's reads.
    assert {r["subject"] for r in _log(client, auditor, user_id=liaison.id)} == {p for u, p, _ in reads if u is liaison}


def test_reads_of_an_officials_training_and_lists_naming_officials_are_logged(db: Session, client: TestClient) -> None:
    make_programme(db)  # mandatory for Ofakim's treasurers: both officials below owe it
    official, cohort_id, _ = _certified(db)
    other = make_official(db)
    make_appointment(db, other, authority="0031")
    admin, auditor = make_user(db, "admin"), make_user(db, "auditor")
    o = official.id
    [enrolment] = client.get(f"/api/v1/officials/{o}/enrolments", headers=headers(admin)).json()["items"]
    [session] = client.get(f"/api/v1/cohorts/{cohort_id}/sessions", headers=headers(admin)).json()["items"]
    one_official = [
        f"/api/v1/officials/{o}/appointments",
        f"/api/v1/officials/{o}/requirements",
        f"/api/v1/officials/{o}/completions",
        f"/api/v1/officials/{o}/cpd",
        f"/api/v1/enrolments/{enrolment['id']}/progress",
        f"/api/v1/enrolments/{enrolment['id']}/assessments",
    ]
    lists = [
        f"/api/v1/cohorts/{cohort_id}/enrolments",
        f"/api/v1/cohorts/{cohort_id}/attendance",
        f"/api/v1/sessions/{session['id']}/attendance",
        "/api/v1/compliance/requirements?authority=0031",
        "/api/v1/officials?authority=0031",
    ]
    for path in one_official + lists:
        assert client.get(path, headers=headers(admin)).status_code == 200, path

    rows = _log(client, auditor, user_id=admin.id, limit=200)
    got = {(r["subject"], r["kind"], r["official_id"]) for r in rows}
    want = {(f"/api/v1/officials/{o}/enrolments", "official_record", o)}
    want |= {(path, "official_record", o) for path in one_official}
    want |= {(path.split("?")[0], "list", o) for path in lists}
    # The registry and the requirement rows of the authority name the other official too; the cohort does not.
    want |= {("/api/v1/compliance/requirements", "list", other.id), ("/api/v1/officials", "list", other.id)}
    assert got == want


def test_an_official_reading_their_own_data_is_not_logged(db: Session, client: TestClient) -> None:
    official, cohort_id, _ = _certified(db)
    me, auditor = make_user(db, "official", official=official), make_user(db, "auditor")
    o = official.id
    for path in (
        f"/api/v1/officials/{o}",
        f"/api/v1/officials/{o}/requirements",
        f"/api/v1/officials/{o}/enrolments",
        f"/api/v1/officials/{o}/transcript",
        f"/api/v1/cohorts/{cohort_id}/attendance",
        "/api/v1/officials",
    ):
        assert client.get(path, headers=headers(me)).status_code == 200, path
    assert _log(client, auditor, user_id=me.id) == []


def test_an_export_of_many_is_logged_with_its_filters(db: Session, client: TestClient) -> None:
    liaison, auditor = make_user(db, "liaison"), make_user(db, "auditor")
    response = client.get(
        "/api/v1/compliance/export.csv", headers=headers(liaison), params={"as_of": "2026-01-01", "role": "treasurer"}
    )
    assert response.status_code == 200
    [row] = _log(client, auditor, user_id=liaison.id)
    assert (row["kind"], row["subject"], row["official_id"]) == ("export", "/api/v1/compliance/export.csv", None)
    assert row["detail"] == {"as_of": "2026-01-01", "role": "treasurer"}


def test_a_read_that_finds_nothing_and_a_read_outside_scope_log_nothing(db: Session, client: TestClient) -> None:
    liaison, auditor = make_user(db, "liaison"), make_user(db, "auditor")
    elsewhere = make_official(db)
    make_appointment(db, elsewhere, authority="0070")
    assert client.get(f"/api/v1/officials/{elsewhere.id}", headers=headers(liaison)).status_code == 404
    assert client.get(f"/api/v1/officials/{elsewhere.id}/transcript", headers=headers(liaison)).status_code == 404
    assert _log(client, auditor, user_id=liaison.id) == []


def test_only_auditors_read_the_access_log(db: Session, client: TestClient) -> None:
    admin = make_user(db, "admin")
    official = make_official(db)
    client.get(f"/api/v1/officials/{official.id}", headers=headers(admin))
    for role in ("admin", "liaison", "official"):
        response = client.get("/api/v1/audit/access-log", headers=headers(make_user(db, role)))
        assert response.status_code == 403, role
    assert client.get("/api/v1/audit/access-log").status_code == 401


def _documented_grants(role: str) -> list[str]:
    """The GRANT and REVOKE statements of docs/operations.md, for the given application role."""
    block = re.search(r"<!-- grants -->\s*```sql\n(.*?)```", OPERATIONS.read_text(), re.S)
    assert block, "docs/operations.md lost its grants"
    sql = re.sub(r"\blms_app\b", role, block.group(1))
    return [s.strip() for s in sql.split(";") if s.strip()]


def test_the_application_role_cannot_change_or_delete_the_trails(database: str, connection: Connection) -> None:
    """With the documented grants, the application's role reads and adds to audit_events and access_log, and
    its UPDATE and DELETE of either are refused. (Role and grants are rolled back with the test.)"""
    if database != "postgresql":
        pytest.skip("database roles and grants are PostgreSQL's")
    role = f"lms_app_test_{secrets.token_hex(4)}"
    connection.execute(text(f"CREATE ROLE {role} NOLOGIN"))
    for statement in _documented_grants(role):
        connection.execute(text(statement))
    connection.execute(text(f"SET LOCAL ROLE {role}"))
    connection.execute(
        text(
            "INSERT INTO access_log (at, actor_label, actor_role, kind, subject) "
            "VALUES (now(), 'test', 'admin', 'export', '/api/v1/compliance/export.csv')"
        )
    )
    connection.execute(
        text(
            "INSERT INTO audit_events (at, actor_label, action, entity_type, entity_id) "
            "VALUES (now(), 'test', 'create', 'official', '1')"
        )
    )
    assert connection.scalar(text("SELECT count(*) FROM access_log")) >= 1
    for statement in (
        "UPDATE audit_events SET actor_label = 'someone else'",
        "DELETE FROM audit_events",
        "UPDATE access_log SET official_id = NULL",
        "DELETE FROM access_log",
        "TRUNCATE access_log",
    ):
        savepoint = connection.begin_nested()
        with pytest.raises(ProgrammingError, match="permission denied"):
            connection.execute(text(statement))
        savepoint.rollback()
    # The other tables stay the application's to change.
    connection.execute(text("UPDATE officials SET updated_at = updated_at WHERE false"))
    connection.execute(text("RESET ROLE"))
