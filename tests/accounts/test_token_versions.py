"""A token holds only while its account's state does: ending a user's access ends every token at once, and a token
never names a later account that got the same id."""

from __future__ import annotations

from datetime import timedelta

import jwt
from sqlalchemy import select

from app.accounts.models import User
from app.accounts.service import end_access
from app.audit.models import AuditEvent
from app.auth import operator
from app.clock import now_utc
from app.config import get_settings
from tests.factories import PASSWORD, headers, make_user


def _me(client, h):
    return client.get("/api/v1/auth/me", headers=h)


def _login(client, email, password=PASSWORD):
    return client.post("/api/v1/auth/token", data={"username": email, "password": password})


def test_ending_access_ends_every_token_issued_before(client, db):
    user = make_user(db, "admin", totp_secret="", email="ended@school.example")
    first = {"Authorization": f"Bearer {_login(client, 'ended@school.example').json()['access_token']}"}
    second = headers(user)
    assert _me(client, first).status_code == 200 and _me(client, second).status_code == 200

    assert end_access(db, user=user, actor=operator("test"), reason="password_changed") == 2
    db.commit()
    for old in (first, second):
        r = _me(client, old)
        assert r.status_code == 401 and r.json()["error"] == "invalid_token"
    fresh = {"Authorization": f"Bearer {_login(client, 'ended@school.example').json()['access_token']}"}
    assert _me(client, fresh).status_code == 200
    event = db.scalars(select(AuditEvent).where(AuditEvent.action == "access_ended")).one()
    assert event.entity_id == str(user.id) and event.after == {"reason": "password_changed", "token_version": 2}


def test_a_reused_id_never_revives_a_deleted_users_token(client, db):
    gone = make_user(db, "admin", totp_secret="", email="gone@school.example")
    old = headers(gone)
    user_id = gone.id
    db.delete(gone)
    db.flush()
    # A new account given the same id (a restored backup, a reset sequence): the old token must not open it.
    newcomer = User(
        id=user_id,
        email="new@school.example",
        password_hash=gone.password_hash,
        role="admin",
        active=True,
        created_at=now_utc(),
    )
    db.add(newcomer)
    db.commit()
    assert newcomer.token_version == gone.token_version  # the version alone would not tell them apart
    r = _me(client, old)
    assert r.status_code == 401 and r.json()["error"] == "invalid_token"
    assert _me(client, headers(newcomer)).json()["email"] == "new@school.example"


def test_a_token_without_version_and_key_is_refused(client, db):
    user = make_user(db, "admin")
    now = now_utc()
    bare = jwt.encode(
        {"sub": str(user.id), "role": "admin", "iat": now, "exp": now + timedelta(hours=1)},
        get_settings().resolved_secret_key(),
        algorithm="HS256",
    )
    r = _me(client, {"Authorization": f"Bearer {bare}"})
    assert r.status_code == 401 and r.json()["error"] == "invalid_token"


def test_a_remembered_token_still_expires_and_still_ends_with_its_account(client, db, monkeypatch):
    """A token's signature is checked once and remembered; its expiry and its account's standing are not."""
    import time

    user = make_user(db, "admin", totp_secret="", email="remembered@school.example")
    h = headers(user)
    assert _me(client, h).status_code == 200 and _me(client, h).status_code == 200  # the second from memory
    ttl = get_settings().token_ttl_minutes * 60
    real = time.time
    monkeypatch.setattr(time, "time", lambda: real() + ttl + 1)
    r = _me(client, h)
    assert r.status_code == 401 and r.json()["error"] == "token_expired"
    monkeypatch.setattr(time, "time", real)
    assert _me(client, h).status_code == 200
    user.active = False
    db.commit()
    r = _me(client, h)
    assert r.status_code == 401 and r.json()["error"] == "invalid_token"
