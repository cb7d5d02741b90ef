"""Logging in, tokens, login limits and account creation."""

from __future__ import annotations

from datetime import timedelta

import jwt
import pytest
from sqlalchemy import select

from app.audit.models import AuditEvent
from app.config import get_settings
from tests.factories import PASSWORD, headers, make_official, make_user


def _login(client, email, password=PASSWORD):
    return client.post("/api/v1/auth/token", data={"username": email, "password": password})


def test_login_returns_a_bearer_token_that_works(client, db):
    user = make_user(db, "auditor", totp_secret="", email="auditor@moin.gov.il")
    r = _login(client, "Auditor@moin.gov.il")
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["token_type"] == "bearer"
    me = client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {body['access_token']}"})
    assert me.status_code == 200 and me.json()["id"] == user.id and me.json()["role"] == "auditor"
    logins = db.scalars(
        select(AuditEvent).where(AuditEvent.action == "login", AuditEvent.actor_user_id == user.id)
    ).all()
    assert len(logins) == 1 and logins[0].at.tzinfo is not None


def test_wrong_password_is_401_and_recorded(client, db):
    make_user(db, "admin", totp_secret="", email="a@school.example")
    r = _login(client, "a@school.example", "wrong-password")
    assert r.status_code == 401 and r.json()["error"] == "invalid_credentials"
    assert _login(client, "nobody@school.example").status_code == 401
    failed = db.scalars(select(AuditEvent).where(AuditEvent.action == "login_failed")).all()
    assert {e.entity_id for e in failed} >= {"nobody@school.example"}


def test_login_is_limited_per_account(client, db):
    make_user(db, "admin", totp_secret="", email="target@school.example")
    limit = get_settings().login_failures_before_delay
    for _ in range(limit):
        assert _login(client, "target@school.example", "guess").status_code == 401
    r = _login(client, "target@school.example")  # even the right password waits now
    assert r.status_code == 429 and int(r.headers["Retry-After"]) > 0
    make_user(db, "admin", totp_secret="", email="other@school.example")
    assert _login(client, "other@school.example").status_code == 200


def test_login_is_limited_per_address(client, db, monkeypatch):
    # Every test request comes from the same address; a success in between does not reset the count.
    monkeypatch.setattr(get_settings(), "login_max_failures_per_address", 3)
    make_user(db, "admin", totp_secret="", email="mine@school.example")
    assert _login(client, "nobody@school.example", "guess").status_code == 401
    assert _login(client, "mine@school.example").status_code == 200
    for i in range(2):
        assert _login(client, f"nobody{i}@school.example", "guess").status_code == 401
    make_user(db, "admin", totp_secret="", email="real@school.example")
    assert _login(client, "real@school.example").status_code == 429


def test_a_success_resets_the_account_count(client, db, monkeypatch):
    monkeypatch.setattr(get_settings(), "login_failures_before_delay", 2)
    make_user(db, "admin", totp_secret="", email="typo@school.example")
    assert _login(client, "typo@school.example", "x").status_code == 401
    assert _login(client, "typo@school.example").status_code == 200
    assert _login(client, "typo@school.example", "x").status_code == 401
    assert _login(client, "typo@school.example").status_code == 200


def test_expired_or_forged_tokens_are_401(client, db):
    user = make_user(db, "admin")
    settings = get_settings()
    from app.clock import now_utc

    past = now_utc() - timedelta(hours=10)
    expired = jwt.encode(
        {"sub": str(user.id), "iat": past, "exp": past + timedelta(hours=1)},
        settings.resolved_secret_key(),
        algorithm="HS256",
    )
    r = client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {expired}"})
    assert r.status_code == 401 and r.json()["error"] == "token_expired"
    forged = jwt.encode(
        {"sub": str(user.id), "exp": now_utc() + timedelta(hours=1)}, "another-key-" * 4, algorithm="HS256"
    )
    assert client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {forged}"}).status_code == 401
    assert client.get("/api/v1/auth/me").status_code == 401


def test_deactivated_account_token_stops_working(client, db):
    user = make_user(db, "admin")
    h = headers(user)
    user.active = False
    db.flush()
    assert client.get("/api/v1/auth/me", headers=h).status_code == 401


def test_admin_creates_users_of_every_kind_but_auditors(client, db):
    admin = headers(make_user(db, "admin"))
    person = make_official(db)
    auditor = {"email": "aud@moin.gov.il", "role": "auditor", "password": "a-long-password"}
    assert client.post("/api/v1/users", json=auditor, headers=admin).status_code == 403
    assert client.post("/api/v1/users", json=auditor, headers=headers(make_user(db, "auditor"))).status_code == 201
    cases = [
        {"email": "admin2@school.example", "role": "admin"},
        {"email": "liaison@ofakim.muni.il", "role": "liaison", "authority_code": "0031"},
        {"email": "me@ofakim.muni.il", "role": "official", "official_national_id": person.national_id.lstrip("0")},
    ]
    for body in cases:
        r = client.post("/api/v1/users", json={**body, "password": "a-long-password"}, headers=admin)
        assert r.status_code == 201, r.text
        assert "password" not in r.json() and "password_hash" not in r.text and "a-long-password" not in r.text
    assert (
        client.post("/api/v1/users", json={**cases[0], "password": "a-long-password"}, headers=admin).status_code == 409
    )
    bad = client.post(
        "/api/v1/users", json={"email": "l2@x.il", "role": "liaison", "password": "a-long-password"}, headers=admin
    )
    assert bad.status_code == 422 and "authority_code" in bad.json()["detail"]
    short = client.post("/api/v1/users", json={"email": "s@x.il", "role": "admin", "password": "short"}, headers=admin)
    assert short.status_code == 422 and short.json()["field"] == "password"
    assert _login(client, "me@ofakim.muni.il", "a-long-password").status_code == 200


@pytest.mark.parametrize("role", ["auditor", "liaison", "official"])
def test_only_admins_create_users(client, db, role):
    h = headers(make_user(db, role))
    r = client.post(
        "/api/v1/users", json={"email": "x@x.il", "role": "admin", "password": "a-long-password"}, headers=h
    )
    assert r.status_code == 403
