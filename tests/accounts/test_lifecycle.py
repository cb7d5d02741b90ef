"""The lifecycle of an account: deactivation and reactivation, a role or a liaison's authority changed, a password
reset by one-time link or by temporary password, and every user's change of their own password. Each ends the
account's old tokens and sessions where it should, keeps to the separation of duties, and is audited without
any hash."""

from __future__ import annotations

from contextlib import nullcontext
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

import app.cli as cli_module
from app.accounts.models import User
from app.audit.models import AuditEvent
from app.cli import cli
from app.clock import now_utc
from tests.factories import PASSWORD, headers, make_user, sign_in

NEW_PASSWORD = "a-new-long-passphrase-7"


def _login(client, email, password=PASSWORD):
    return client.post("/api/v1/auth/token", data={"username": email, "password": password})


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _me(client, h):
    return client.get("/api/v1/auth/me", headers=h)


def _events(db, user: User, action: str) -> list[AuditEvent]:
    return list(db.scalars(select(AuditEvent).where(AuditEvent.entity_id == str(user.id), AuditEvent.action == action)))


def _no_secrets(event: AuditEvent) -> None:
    for side in (event.before or {}, event.after or {}):
        assert not {"password_hash", "password_reset_hash", "token_key"} & set(side)


def test_a_deactivated_account_loses_every_token_and_session_and_cannot_log_in(client, db):
    admin = make_user(db, "admin")
    official = make_user(db, "official", email="leaving@school.example")
    old = _bearer(_login(client, "leaving@school.example").json()["access_token"])
    browser = client.__class__(client.app)
    sign_in(db, browser, official)
    db.commit()
    assert _me(client, old).status_code == 200 and browser.get("/api/v1/auth/me").status_code == 200

    r = client.post(f"/api/v1/users/{official.id}/deactivate", headers=headers(admin))
    assert r.status_code == 200 and r.json()["active"] is False
    assert _me(client, old).status_code == 401
    assert browser.get("/api/v1/auth/me").status_code == 401
    assert _login(client, "leaving@school.example").status_code == 401
    (event,) = _events(db, official, "deactivate")
    assert event.before["active"] is True and event.after["active"] is False and event.actor_user_id == admin.id
    _no_secrets(event)
    assert _events(db, official, "access_ended")

    r = client.post(f"/api/v1/users/{official.id}/reactivate", headers=headers(admin))
    assert r.status_code == 200 and r.json()["active"] is True
    assert _me(client, old).status_code == 401  # a token from before stays dead
    assert _login(client, "leaving@school.example").status_code == 200
    assert len(_events(db, official, "reactivate")) == 1


def test_a_liaison_moved_to_another_authority_loses_the_old_tokens(client, db):
    admin = make_user(db, "admin")
    liaison = make_user(db, "liaison", authority="0031")
    old = headers(liaison)
    r = client.put(
        f"/api/v1/users/{liaison.id}/role", json={"role": "liaison", "authority_code": "0070"}, headers=headers(admin)
    )
    assert r.status_code == 200 and r.json()["authority_code"] == "0070"
    assert _me(client, old).status_code == 401
    db.refresh(liaison)
    assert _me(client, headers(liaison)).json()["authority_code"] == "0070"
    (event,) = _events(db, liaison, "change_role")
    assert event.before["authority_code"] == "0031" and event.after["authority_code"] == "0070"
    _no_secrets(event)

    r = client.put(f"/api/v1/users/{liaison.id}/role", json={"role": "admin"}, headers=headers(admin))
    assert r.status_code == 200 and r.json() | {"role": "admin", "authority_code": None} == r.json()


def test_an_unknown_authority_or_a_liaison_without_one_is_refused(client, db):
    admin = make_user(db, "admin")
    liaison = make_user(db, "liaison")
    for body in ({"role": "liaison", "authority_code": "9999"}, {"role": "liaison"}, {"role": "admin", "x": 1}):
        r = client.put(f"/api/v1/users/{liaison.id}/role", json=body, headers=headers(admin))
        assert r.status_code in (404, 422), r.text
    db.refresh(liaison)
    assert liaison.authority_code == "0031" and liaison.token_version == 1


@pytest.mark.parametrize(
    ("actor_role", "target_role", "body", "allowed"),
    [
        ("admin", "liaison", {"role": "auditor"}, False),  # an admin never makes an auditor
        ("admin", "auditor", {"role": "admin"}, False),  # nor touches an auditor's account
        ("auditor", "liaison", {"role": "admin"}, False),  # an auditor manages auditors only
        ("auditor", "auditor", {"role": "admin"}, False),  # and they stay auditors
        ("admin", "liaison", {"role": "admin"}, True),
        ("admin", "admin", {"role": "liaison", "authority_code": "0031"}, True),
    ],
)
def test_role_changes_keep_the_separation_of_duties(client, db, actor_role, target_role, body, allowed):
    actor, target = make_user(db, actor_role), make_user(db, target_role)
    r = client.put(f"/api/v1/users/{target.id}/role", json=body, headers=headers(actor))
    if allowed:
        assert r.status_code == 200, r.text
    else:
        assert r.status_code == 403 and r.json()["error"] == "separation_of_duties", r.text
        db.refresh(target)
        assert target.role == target_role


def test_deactivation_and_resets_keep_the_separation_of_duties(client, db):
    admin, auditor, other_auditor, liaison = (make_user(db, r) for r in ("admin", "auditor", "auditor", "liaison"))
    for path in ("deactivate", "reactivate"):
        r = client.post(f"/api/v1/users/{auditor.id}/{path}", headers=headers(admin))
        assert r.status_code == 403 and r.json()["error"] == "separation_of_duties"
        r = client.post(f"/api/v1/users/{liaison.id}/{path}", headers=headers(auditor))
        assert r.status_code == 403 and r.json()["error"] == "separation_of_duties"
    r = client.post(f"/api/v1/users/{auditor.id}/password-reset", json={"method": "link"}, headers=headers(admin))
    assert r.status_code == 403 and r.json()["error"] == "separation_of_duties"
    # An auditor manages the other auditors' accounts.
    r = client.post(f"/api/v1/users/{other_auditor.id}/deactivate", headers=headers(auditor))
    assert r.status_code == 200 and r.json()["active"] is False


def test_no_one_deactivates_or_demotes_themselves_and_an_officials_account_keeps_its_person(client, db):
    admin, official = make_user(db, "admin"), make_user(db, "official")
    r = client.post(f"/api/v1/users/{admin.id}/deactivate", headers=headers(admin))
    assert r.status_code == 403 and r.json()["error"] == "own_account"
    r = client.put(f"/api/v1/users/{admin.id}/role", json={"role": "liaison", "authority_code": "0031"},
                   headers=headers(admin))  # fmt: skip
    assert r.status_code == 403 and r.json()["error"] == "own_account"
    r = client.put(f"/api/v1/users/{official.id}/role", json={"role": "admin"}, headers=headers(admin))
    assert r.status_code == 409 and r.json()["error"] == "official_account"
    r = client.post("/api/v1/users/987654321/deactivate", headers=headers(admin))
    assert r.status_code == 404


def test_a_reset_link_sets_a_new_password_once_and_ends_the_old_tokens(client, db):
    admin = make_user(db, "admin")
    user = make_user(db, "liaison", email="forgot@school.example")
    old = headers(user)
    r = client.post(f"/api/v1/users/{user.id}/password-reset", json={"method": "link"}, headers=headers(admin))
    assert r.status_code == 200, r.text
    token = r.json()["reset_token"]
    assert r.json()["expires_at"]
    assert r.json()["reset_url"].endswith(f"/password-reset/{token}")  # the page's link, to hand over
    assert client.get(urlsplit(r.json()["reset_url"]).path).status_code == 200  # the page opens
    db.refresh(user)
    assert user.password_reset_hash and token not in user.password_reset_hash  # kept hashed only
    assert _me(client, old).status_code == 200  # the old password and tokens hold until the link is used

    weak = client.post("/api/v1/auth/password-reset", json={"token": token, "new_password": "password1234"})
    assert weak.status_code == 422 and weak.json()["field"] == "new_password"
    assert (
        client.post("/api/v1/auth/password-reset", json={"token": token, "new_password": NEW_PASSWORD}).status_code
        == 204
    )
    assert _me(client, old).status_code == 401
    assert _login(client, "forgot@school.example").status_code == 401
    assert _login(client, "forgot@school.example", NEW_PASSWORD).status_code == 200
    again = client.post("/api/v1/auth/password-reset", json={"token": token, "new_password": "another-long-one-8"})
    assert again.status_code == 422 and again.json()["error"] == "invalid_reset_token"
    assert _login(client, "forgot@school.example", NEW_PASSWORD).status_code == 200
    assert [e.action for e in db.scalars(select(AuditEvent).where(AuditEvent.entity_id == str(user.id)))].count(
        "password_reset"
    ) == 1
    for action in ("password_reset_link", "password_reset"):
        for event in _events(db, user, action):
            _no_secrets(event)
            assert token not in str(event.after)


def test_an_expired_reset_link_is_refused(client, db):
    admin = make_user(db, "admin")
    user = make_user(db, "official")
    r = client.post(f"/api/v1/users/{user.id}/password-reset", json={}, headers=headers(admin))
    token = r.json()["reset_token"]
    db.refresh(user)
    user.password_reset_expires_at = now_utc() - timedelta(seconds=1)
    db.commit()
    r = client.post("/api/v1/auth/password-reset", json={"token": token, "new_password": NEW_PASSWORD})
    assert r.status_code == 422 and r.json()["error"] == "invalid_reset_token"
    r = client.post("/api/v1/auth/password-reset", json={"token": "made-up", "new_password": NEW_PASSWORD})
    assert r.status_code == 422 and r.json()["error"] == "invalid_reset_token"


def test_a_temporary_password_opens_only_the_change_of_password(client, db):
    admin = make_user(db, "admin")
    user = make_user(db, "liaison", email="temp@school.example")
    old = headers(user)
    r = client.post(f"/api/v1/users/{user.id}/password-reset", json={"method": "temporary"}, headers=headers(admin))
    temporary = r.json()["temporary_password"]
    assert r.status_code == 200 and len(temporary) >= 12
    assert _me(client, old).status_code == 401  # in force at once
    assert _login(client, "temp@school.example").status_code == 401

    login = _login(client, "temp@school.example", temporary)
    assert login.status_code == 200
    pending = _bearer(login.json()["access_token"])
    for response in (_me(client, pending), client.get("/api/v1/officials", headers=pending)):
        assert response.status_code == 403 and response.json()["error"] == "password_change_required"
    browser = client.__class__(client.app)
    db.refresh(user)
    sign_in(db, browser, user)
    db.commit()
    r = browser.get("/api/v1/officials")
    assert r.status_code == 403 and r.json()["error"] == "password_change_required"
    r = client.post(
        "/api/v1/auth/password", json={"current_password": temporary, "new_password": NEW_PASSWORD}, headers=pending
    )
    assert r.status_code == 200, r.text
    assert _me(client, pending).status_code == 401
    fresh = _bearer(r.json()["access_token"])
    assert _me(client, fresh).json()["must_change_password"] is False
    assert client.get("/api/v1/officials", headers=fresh).status_code == 200
    (event,) = _events(db, user, "password_reset_temporary")
    _no_secrets(event)
    assert event.after["must_change_password"] is True and temporary not in str(event.after)


def test_every_user_changes_their_own_password_with_the_current_one(client, db):
    user = make_user(db, "official", email="self@school.example")
    old = headers(user)
    wrong = client.post(
        "/api/v1/auth/password",
        json={"current_password": "not-the-password", "new_password": NEW_PASSWORD},
        headers=old,
    )
    assert wrong.status_code == 422 and wrong.json()["error"] == "wrong_password"
    for weak in ("short", "self@school.example", PASSWORD):
        r = client.post("/api/v1/auth/password", json={"current_password": PASSWORD, "new_password": weak}, headers=old)
        assert r.status_code == 422 and r.json()["field"] == "new_password", weak
    assert _me(client, old).status_code == 200

    r = client.post(
        "/api/v1/auth/password", json={"current_password": PASSWORD, "new_password": NEW_PASSWORD}, headers=old
    )
    assert r.status_code == 200
    assert _me(client, old).status_code == 401
    assert _me(client, _bearer(r.json()["access_token"])).status_code == 200
    assert _login(client, "self@school.example").status_code == 401
    assert _login(client, "self@school.example", NEW_PASSWORD).status_code == 200
    (event,) = _events(db, user, "password_changed")
    _no_secrets(event)
    assert event.actor_user_id == user.id


def test_the_operators_commands_manage_any_account(db, monkeypatch):
    monkeypatch.setattr(cli_module, "_in_transaction", lambda: nullcontext(db))
    auditor = make_user(db, "auditor", email="cli-auditor@school.example")
    run = CliRunner().invoke

    r = run(cli, ["users", "deactivate", "CLI-auditor@school.example"])
    assert r.exit_code == 0, r.output
    db.refresh(auditor)
    assert auditor.active is False and auditor.token_version == 2
    assert run(cli, ["users", "reactivate", "cli-auditor@school.example"]).exit_code == 0
    r = run(cli, ["users", "set-role", "cli-auditor@school.example", "--role", "liaison", "--authority", "0031"])
    assert r.exit_code == 0 and "liaison of 0031" in r.output
    r = run(cli, ["users", "reset-password", "cli-auditor@school.example", "--temporary"])
    assert r.exit_code == 0 and "temporary password" in r.output
    db.refresh(auditor)
    assert auditor.must_change_password is True
    r = run(cli, ["users", "reset-password", "cli-auditor@school.example"])
    assert r.exit_code == 0 and "/password-reset/" in r.output and "POST /api/v1/auth/password-reset" in r.output
    assert run(cli, ["users", "deactivate", "nobody@school.example"]).exit_code == 1
    r = run(cli, ["users", "set-role", "cli-auditor@school.example", "--role", "liaison"])
    assert r.exit_code == 2 and "authority_code" in r.output
    actions = [e.action for e in db.scalars(select(AuditEvent).where(AuditEvent.entity_id == str(auditor.id)))]
    assert {"deactivate", "reactivate", "change_role", "password_reset_temporary", "password_reset_link"} <= set(
        actions
    )


def test_wrong_current_passwords_are_limited_like_logins(client, db):
    user = make_user(db, "official", email="stolen@school.example")
    stolen = headers(user)
    body = {"current_password": "guess-number-0", "new_password": NEW_PASSWORD}
    answers = [client.post("/api/v1/auth/password", json=body, headers=stolen).status_code for _ in range(6)]
    assert answers[:5] == [422] * 5 and answers[5] == 429
    right = client.post(
        "/api/v1/auth/password", json={"current_password": PASSWORD, "new_password": NEW_PASSWORD}, headers=stolen
    )
    assert right.status_code == 429  # even the right one waits: the guesses cannot go on
    assert _login(client, "stolen@school.example").status_code == 429
    assert len(_events(db, user, "password_change_failed")) == 5
