"""The second factor: TOTP codes (an authenticator app), required for admins and auditors, optional for others,
with one-time recovery codes; a code is never accepted twice, a wrong or missing one is a failed login."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from datetime import timedelta

import pyotp
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import delete, select
from sqlalchemy.orm import sessionmaker
from typer.testing import CliRunner

from app.accounts.models import LoginAttempt, LoginThrottle, User
from app.accounts.totp import decrypt_secret
from app.audit.models import AccessRecord, AuditEvent
from app.cli import cli
from app.clock import now_utc
from app.config import get_settings
from app.db import get_engine, get_sessionmaker
from app.errors import LoginFailed
from app.main import create_app
from tests.factories import PASSWORD, TEST_TOTP_SECRET, headers, make_user

TOTP = pyotp.TOTP(TEST_TOTP_SECRET)


def _login(client, email, totp=None, password=PASSWORD):
    data = {"username": email, "password": password}
    if totp is not None:
        data["totp"] = totp
    return client.post("/api/v1/auth/token", data=data)


def _actions(db, user_id):
    return [e.action for e in db.scalars(select(AuditEvent).where(AuditEvent.entity_id == str(user_id)))]


def test_a_code_is_required_checked_within_one_step_and_never_accepted_twice(client, db, monkeypatch):
    # The server's clock stands still for the test, so that no step boundary passes between a code and its check.
    now = now_utc()
    monkeypatch.setattr("app.accounts.service.now_utc", lambda: now)
    make_user(db, "liaison", email="two@school.example", totp_secret=TEST_TOTP_SECRET)
    r = _login(client, "two@school.example")
    assert r.status_code == 401 and r.json()["error"] == "totp_required"
    wrong = f"{(int(TOTP.at(now)) + 1) % 1_000_000:06d}"
    r = _login(client, "two@school.example", wrong)
    assert r.status_code == 401 and r.json()["error"] == "invalid_totp"
    two_steps_ago = TOTP.at(now - timedelta(seconds=75))
    if two_steps_ago not in {TOTP.at(now - timedelta(seconds=30)), TOTP.at(now), TOTP.at(now + timedelta(seconds=30))}:
        assert _login(client, "two@school.example", two_steps_ago).json()["error"] == "invalid_totp"

    # The previous step's code still holds (a slow typist, a clock a little off), once.
    previous = TOTP.at(now - timedelta(seconds=30))
    r = _login(client, "two@school.example", previous)
    assert r.status_code == 200, r.text
    assert client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {r.json()['access_token']}"}).is_success
    again = _login(client, "two@school.example", previous)
    assert again.status_code == 401 and again.json()["error"] == "invalid_totp"
    # A later step's code is accepted; a replay of it, or of any step before it, is not.
    current = TOTP.at(now)
    if current != previous:  # two steps' codes are the same one time in a million
        assert _login(client, "two@school.example", current).status_code == 200
        assert _login(client, "two@school.example", current).json()["error"] == "invalid_totp"


def test_a_wrong_or_missing_code_is_a_failed_login_for_the_limits(client, db):
    make_user(db, "official", email="slowpoke@school.example", totp_secret=TEST_TOTP_SECRET)
    statuses = [_login(client, "slowpoke@school.example").status_code for _ in range(3)]
    statuses += [_login(client, "slowpoke@school.example", "000000").status_code for _ in range(3)]
    assert statuses[:3] == [401, 401, 401]
    # The pair is throttled like any other run of failures: the right code is then refused too, unchecked.
    assert 429 in statuses
    r = _login(client, "slowpoke@school.example", TOTP.now())
    assert r.status_code == 429
    pair = db.scalars(select(LoginThrottle).where(LoginThrottle.kind == "pair")).all()
    assert max(row.failures for row in pair) >= 5
    reasons = [
        (e.after or {}).get("reason")
        for e in db.scalars(select(AuditEvent).where(AuditEvent.action == "login_failed"))
        if e.actor_label == "slowpoke@school.example"
    ]
    assert reasons.count("totp_required") == 3 and "invalid_totp" in reasons


def test_enrolment_gives_a_secret_a_code_confirms_it_and_ten_recovery_codes_each_work_once(client, db):
    user = make_user(db, "liaison", email="enrol@school.example")
    h = headers(user)
    offered = client.post("/api/v1/auth/totp", headers=h).json()
    secret = offered["secret"]
    assert offered["provisioning_uri"].startswith("otpauth://totp/") and secret in offered["provisioning_uri"]
    # Until confirmed, the account signs in with its password alone.
    assert _login(client, "enrol@school.example").status_code == 200

    r = client.post("/api/v1/auth/totp/confirm", headers=h, json={"totp": "123456"})
    if pyotp.TOTP(secret).verify("123456", valid_window=1):  # pragma: no cover - one chance in a third of a million
        return
    assert r.status_code == 422 and r.json()["error"] == "invalid_totp"
    r = client.post("/api/v1/auth/totp/confirm", headers=h, json={"totp": pyotp.TOTP(secret).now()})
    assert r.status_code == 200, r.text
    codes = r.json()["recovery_codes"]
    assert len(codes) == 10 and len(set(codes)) == 10
    # Enrolling ended every token of the account: the one used here is refused now.
    assert client.get("/api/v1/auth/me", headers=h).status_code == 401
    assert _login(client, "enrol@school.example").json()["error"] == "totp_required"

    # A recovery code stands in for a TOTP code, once.
    assert _login(client, "enrol@school.example", codes[0]).status_code == 200
    used = _login(client, "enrol@school.example", codes[0])
    assert used.status_code == 401 and used.json()["error"] == "invalid_totp"
    assert _login(client, "enrol@school.example", codes[1].upper()).status_code == 200

    # Nothing readable is stored: the secret is encrypted, the recovery codes are hashes.
    db.expire_all()
    stored = db.get(User, user.id)
    assert stored.totp_secret and secret not in stored.totp_secret and decrypt_secret(stored.totp_secret) == secret
    assert len(stored.totp_recovery_hashes) == 8 and not set(codes) & set(stored.totp_recovery_hashes)
    actions = _actions(db, user.id)
    assert {"totp_enrolment_started", "totp_enrolled"} <= set(actions)
    assert actions.count("totp_recovery_code_used") == 2


def test_an_admin_without_a_second_factor_can_only_enrol_one(client, db):
    admin = make_user(db, "admin", email="fresh-admin@school.example", totp_secret="")
    r = _login(client, "fresh-admin@school.example")
    assert r.status_code == 200 and r.json()["totp_enrolment_required"] is True
    h = {"Authorization": f"Bearer {r.json()['access_token']}"}
    refused = client.get("/api/v1/officials", headers=h)
    assert refused.status_code == 403 and refused.json()["error"] == "totp_enrolment_required"
    assert client.get("/api/v1/users", headers=headers(admin)).json()["error"] == "totp_enrolment_required"
    assert client.get("/api/v1/auth/me", headers=h).status_code == 200

    secret = client.post("/api/v1/auth/totp", headers=h).json()["secret"]
    assert client.post("/api/v1/auth/totp/confirm", headers=h, json={"totp": pyotp.TOTP(secret).now()}).is_success
    # The password-only token is gone with the enrolment; a new login needs a code, then everything is open.
    assert client.get("/api/v1/officials", headers=h).status_code == 401
    assert _login(client, "fresh-admin@school.example").json()["error"] == "totp_required"
    db.expire_all()
    assert client.get("/api/v1/officials", headers=headers(db.get(User, admin.id))).status_code == 200


def test_an_admin_resets_a_second_factor_but_never_an_auditors(client, db):
    admin = make_user(db, "admin")
    auditor = make_user(db, "auditor")
    other_auditor = make_user(db, "auditor")
    liaison = make_user(db, "liaison", email="lost-phone@school.example", totp_secret=TEST_TOTP_SECRET)
    old = headers(liaison)

    r = client.post(f"/api/v1/users/{auditor.id}/totp/reset", headers=headers(admin))
    assert r.status_code == 403 and r.json()["error"] == "separation_of_duties"
    r = client.post(f"/api/v1/users/{liaison.id}/totp/reset", headers=headers(auditor))
    assert r.status_code == 403 and r.json()["error"] == "separation_of_duties"

    r = client.post(f"/api/v1/users/{liaison.id}/totp/reset", headers=headers(admin))
    assert r.status_code == 200 and r.json()["totp_enrolled_at"] is None
    assert client.get("/api/v1/auth/me", headers=old).status_code == 401
    assert _login(client, "lost-phone@school.example").status_code == 200
    assert "totp_reset" in _actions(db, liaison.id)

    assert client.post(f"/api/v1/users/{other_auditor.id}/totp/reset", headers=headers(auditor)).status_code == 200


@pytest.fixture
def committed(database: str) -> Iterator[None]:
    """For a test whose command line and app commit on their own: what they committed is deleted after it (the
    other tests run in transactions that are rolled back, and must not see these logins, throttles or events)."""
    start = now_utc()
    yield
    with get_sessionmaker().begin() as s:
        ids = list(s.scalars(select(User.id).where(User.email.like("%ops-%@school.example"))))
        s.execute(delete(AuditEvent).where(AuditEvent.at >= start))
        s.execute(delete(AccessRecord).where(AccessRecord.at >= start))
        s.execute(delete(LoginAttempt).where(LoginAttempt.at >= start))
        s.execute(delete(LoginThrottle).where(LoginThrottle.window_started_at >= start))
        s.execute(delete(User).where(User.id.in_(ids)))


def test_the_command_line_creates_an_admin_with_a_second_factor(committed):
    # The command line commits on its own: so does this app, without the test transaction.
    client = TestClient(create_app())
    email = f"ops-{uuid.uuid4().hex[:8]}@school.example"
    secret = pyotp.random_base32()
    args = ["users", "create", "--email", email, "--password", "a-long-operator-password", "--role", "admin"]
    result = CliRunner().invoke(cli, [*args, "--totp-secret", secret])
    assert result.exit_code == 0, result.output
    assert "recovery codes" in result.output
    refused = _login(client, email, password="a-long-operator-password")
    assert refused.status_code == 401 and refused.json()["error"] == "totp_required"
    r = _login(client, email, pyotp.TOTP(secret).now(), password="a-long-operator-password")
    assert r.status_code == 200 and r.json()["totp_enrolment_required"] is False
    assert client.get("/api/v1/users", headers={"Authorization": f"Bearer {r.json()['access_token']}"}).is_success

    bad = CliRunner().invoke(cli, [*args[:3], "x" + email, *args[4:], "--totp-secret", "not base32!"])
    assert bad.exit_code != 0
    with get_sessionmaker()() as s:
        assert s.scalar(select(User.id).where(User.email == "x" + email)) is None


def test_an_operator_resets_a_second_factor_and_a_changed_key_is_no_server_error(committed, monkeypatch):
    client = TestClient(create_app())
    email = f"ops-{uuid.uuid4().hex[:8]}@school.example"
    args = ["users", "create", "--email", email, "--password", "a-long-operator-password", "--role", "auditor"]
    assert CliRunner().invoke(cli, [*args, "--totp-secret", pyotp.random_base32()]).exit_code == 0
    # LMS_SECRET_KEY changed since enrolment: the secret cannot be read, the code is refused (not a 500).
    monkeypatch.setattr(get_settings(), "secret_key", "another-key-" + uuid.uuid4().hex)
    r = _login(client, email, "123456", password="a-long-operator-password")
    assert r.status_code == 401 and r.json()["error"] == "invalid_totp"
    result = CliRunner().invoke(cli, ["users", "reset-totp", "--email", email])
    assert result.exit_code == 0, result.output
    r = _login(client, email, password="a-long-operator-password")
    assert r.status_code == 200 and r.json()["totp_enrolment_required"] is True
    assert CliRunner().invoke(cli, ["users", "reset-totp", "--email", "nobody@x.example"]).exit_code == 1


@pytest.mark.many_connections
@pytest.mark.parametrize("kind", ["totp", "recovery"])
def test_one_code_sent_at_once_from_many_places_signs_in_once(database, kind):
    """Real parallel connections (on PostgreSQL, each its own): the user row is locked while a code is checked, so
    the same code (the current TOTP code, or one recovery code) is accepted once, however many send it at once."""
    from app.accounts import service, totp
    from app.db import make_engine

    tag = uuid.uuid4().hex[:10]
    email = f"ops-{tag}@school.example"
    engine = make_engine(get_engine().url.render_as_string(hide_password=False), pool_size=10, max_overflow=0)
    factory = sessionmaker(bind=engine, expire_on_commit=False)
    start = now_utc()
    recovery_codes = totp.new_recovery_codes()
    with get_sessionmaker().begin() as s:
        user = make_user(s, "liaison", email=email, totp_secret=TEST_TOTP_SECRET)
        user.totp_recovery_hashes = [totp.hash_recovery_code(c) for c in recovery_codes]
    code = TOTP.now() if kind == "totp" else recovery_codes[3]
    n = 8 if engine.dialect.name == "postgresql" else 4
    barrier = threading.Barrier(n)
    results = [""] * n

    def work(i: int) -> None:
        barrier.wait()
        s = factory()
        try:
            service.log_in(s, email=email, password=PASSWORD, address=f"par-{tag}-{i}", code=code)
            s.commit()
            results[i] = "ok"
        except LoginFailed as exc:
            s.commit()
            results[i] = exc.code
        except Exception as exc:  # any other outcome fails the test below
            s.rollback()
            results[i] = repr(exc)
        finally:
            s.close()

    try:
        threads = [threading.Thread(target=work, args=(i,)) for i in range(n)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=120)
        assert sorted(results) == ["invalid_totp"] * (n - 1) + ["ok"], results
    finally:
        engine.dispose()
        with get_sessionmaker().begin() as s:
            s.execute(delete(AuditEvent).where(AuditEvent.at >= start))
            s.execute(delete(LoginAttempt).where(LoginAttempt.at >= start))
            s.execute(delete(LoginThrottle).where(LoginThrottle.window_started_at >= start))
            s.execute(delete(User).where(User.email == email))
