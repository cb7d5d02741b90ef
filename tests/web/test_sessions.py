"""Page sessions: a signed-in browser is a caller of the API and the only caller of pages; sessions run out by idle
and absolute time, end at sign-out and with the account; an unsafe request by cookie needs CSRF and our Origin;
the id is never stored in clear."""

from __future__ import annotations

import hashlib
from datetime import timedelta

from sqlalchemy import delete, select, text
from starlette.responses import Response

from app import jobs
from app.accounts.models import User
from app.config import get_settings
from app.db import get_sessionmaker
from app.web import sessions
from app.web.models import WebSession
from tests.factories import headers, make_user, sign_in

OWN = {"Origin": "http://testserver"}


def _me(client, **kw):
    return client.get("/api/v1/auth/me", **kw)


def test_a_session_makes_the_api_answer_the_signed_in_user(web, db):
    user = make_user(db, "auditor")
    sign_in(db, web, user)
    r = _me(web)
    assert r.status_code == 200, r.text
    assert r.json()["id"] == user.id and r.json()["role"] == "auditor"


def test_pages_take_the_caller_from_the_session_and_never_from_a_bearer_token(web, db):
    user = make_user(db, "liaison")
    r = web.get("/test-pages/mine", headers=headers(user), follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/login?next=")
    assert web.get("/test-pages/maybe", headers=headers(user)).text == "anonymous"
    sign_in(db, web, user)
    assert web.get("/test-pages/mine").text == f"liaison:{user.id}"
    assert web.get("/test-pages/maybe").text == "liaison"


def test_the_session_id_is_stored_only_as_its_hash(web, db):
    user = make_user(db, "admin")
    token, record = sessions.start_session(db, user_id=user.id)
    assert record.token_hash == hashlib.sha256(token.encode()).hexdigest() != token
    assert len(token) >= 43  # 256 random bits
    db.flush()
    row = db.execute(text("SELECT * FROM web_sessions WHERE id = :id"), {"id": record.id}).one()
    assert all(token not in str(value) for value in row)
    assert db.scalar(select(WebSession).where(WebSession.token_hash == token)) is None
    other, _ = sessions.start_session(db, user_id=user.id)
    assert other != token  # a new id at every sign-in


def test_reading_a_session_notes_the_request_and_idle_time_ends_it(web, db, clock_at):
    user = make_user(db, "admin")
    record = sign_in(db, web, user)
    started = record.created_at
    clock_at(timedelta(minutes=29))
    assert _me(web).status_code == 200
    db.refresh(record)
    assert record.last_seen_at - started >= timedelta(minutes=29)
    clock_at(timedelta(minutes=58))  # 29 minutes after the last request: still alive
    assert _me(web).status_code == 200
    clock_at(timedelta(minutes=58 + 31))  # 31 minutes without a request
    r = _me(web)
    assert r.status_code == 401 and r.json()["error"] == "session_ended"


def test_a_session_ends_eight_hours_after_sign_in_however_busy(web, db, clock_at):
    user = make_user(db, "admin")
    record = sign_in(db, web, user)
    for minutes in range(0, 8 * 60, 25):  # a request every 25 minutes for eight hours
        clock_at(timedelta(minutes=minutes))
        assert _me(web).status_code == 200, minutes
    db.refresh(record)
    assert record.last_seen_at - record.created_at == timedelta(minutes=475)  # the last request, at 7:55
    clock_at(timedelta(hours=8, minutes=1))  # six minutes later: not idle, but signed in too long ago
    assert _me(web).status_code == 401


def test_timeouts_come_from_the_settings(web, db, monkeypatch):
    monkeypatch.setattr(get_settings(), "session_idle_minutes", 5)
    monkeypatch.setattr(get_settings(), "session_absolute_hours", 1)
    user = make_user(db, "admin")
    record = sign_in(db, web, user)
    record.last_seen_at = record.created_at = record.created_at - timedelta(minutes=6)
    db.commit()
    assert _me(web).status_code == 401
    record = sign_in(db, web, user)
    record.created_at -= timedelta(minutes=61)
    db.commit()
    assert _me(web).status_code == 401


def test_an_ended_session_is_refused_and_a_page_forgets_its_cookie(web, db):
    user = make_user(db, "official")
    sign_in(db, web, user)
    token = web.cookies.get(sessions.cookie_name())
    sessions.end_session(db, token)
    db.commit()
    assert _me(web).status_code == 401
    r = web.get("/test-pages/mine", follow_redirects=False)
    assert r.status_code == 303
    assert f'{sessions.cookie_name()}=""' in r.headers["set-cookie"] and "Max-Age=0" in r.headers["set-cookie"]


def test_all_of_a_users_sessions_end_together_but_the_one_kept(web, db):
    user, other = make_user(db, "admin"), make_user(db, "admin")
    keep, _ = sessions.start_session(db, user_id=user.id)
    gone, _ = sessions.start_session(db, user_id=user.id)
    theirs, _ = sessions.start_session(db, user_id=other.id)
    assert sessions.end_user_sessions(db, user_id=user.id, keep=keep) == 1
    assert sessions.read_session(db, gone) is None
    assert sessions.read_session(db, keep) is not None and sessions.read_session(db, theirs) is not None
    assert sessions.end_user_sessions(db, user_id=user.id) == 1
    assert sessions.read_session(db, keep) is None


def test_signing_in_again_replaces_the_browsers_session(web, db):
    user = make_user(db, "admin")
    old, _ = sessions.start_session(db, user_id=user.id)
    new, _ = sessions.start_session(db, user_id=user.id, replacing=old)
    assert sessions.read_session(db, old) is None and sessions.read_session(db, new) is not None


def test_expired_sessions_are_purged(web, db, clock_at):
    user = make_user(db, "admin")
    stale, _ = sessions.start_session(db, user_id=user.id)
    clock_at(timedelta(minutes=31))
    fresh, _ = sessions.start_session(db, user_id=make_user(db, "admin").id)
    assert sessions.purge_expired_sessions(db) >= 1
    hashes = set(db.scalars(select(WebSession.token_hash)))
    assert sessions.hash_token(stale) not in hashes and sessions.hash_token(fresh) in hashes


def test_the_nightly_job_deletes_the_sessions_that_ran_out(database, clock_at):
    with get_sessionmaker().begin() as db:
        gone, stays = make_user(db, "admin"), make_user(db, "auditor")
        sessions.start_session(db, user_id=gone.id)
    users = (gone.id, stays.id)
    try:
        clock_at(timedelta(hours=9))
        with get_sessionmaker().begin() as db:
            fresh, _ = sessions.start_session(db, user_id=stays.id)
        assert "web.purge_expired_sessions" in jobs.periodic()
        assert jobs.declared()["web.purge_expired_sessions"]() >= 1
        with get_sessionmaker().begin() as db:
            left = set(db.scalars(select(WebSession.token_hash).where(WebSession.user_id.in_(users))))
        assert left == {sessions.hash_token(fresh)}
    finally:
        with get_sessionmaker().begin() as db:
            db.execute(delete(WebSession).where(WebSession.user_id.in_(users)))
            db.execute(delete(User).where(User.id.in_(users)))


def test_a_deactivated_user_is_refused(web, db):
    user = make_user(db, "admin")
    sign_in(db, web, user)
    user.active = False
    db.commit()
    assert _me(web).status_code == 401
    assert web.get("/test-pages/mine", follow_redirects=False).status_code == 303


def _new_user_body(n: int) -> dict[str, str]:
    return {"email": f"made{n}@school.example", "password": "long-enough-password", "role": "admin"}


def test_an_unsafe_request_by_cookie_needs_the_csrf_token_and_our_origin(web, db):
    admin = make_user(db, "admin")
    record = sign_in(db, web, admin)
    csrf = {"X-CSRF-Token": record.csrf_token}

    r = web.post("/api/v1/users", json=_new_user_body(1), headers=OWN)
    assert r.status_code == 403 and r.json()["error"] == "csrf_failed"
    r = web.post("/api/v1/users", json=_new_user_body(1), headers={**OWN, "X-CSRF-Token": "forged"})
    assert r.status_code == 403 and r.json()["error"] == "csrf_failed"
    for origin in ({"Origin": "https://evil.example"}, {"Origin": "null"}, {}, {"Referer": "https://evil.example/x"}):
        r = web.post("/api/v1/users", json=_new_user_body(1), headers={**csrf, **origin})
        assert r.status_code == 403 and r.json()["error"] == "bad_origin", origin

    assert web.post("/api/v1/users", json=_new_user_body(1), headers={**csrf, **OWN}).status_code == 201
    # The Referer stands for a missing Origin; the public address is our own too.
    referer = {"Referer": "http://testserver/admin/users"}
    assert web.post("/api/v1/users", json=_new_user_body(2), headers={**csrf, **referer}).status_code == 201
    public = {"Origin": get_settings().public_base_url}
    assert web.post("/api/v1/users", json=_new_user_body(3), headers={**csrf, **public}).status_code == 201
    # Reading needs neither.
    assert web.get("/api/v1/users").status_code == 200


def test_a_page_form_sends_the_csrf_token_as_a_field(web, db):
    user = make_user(db, "official")
    record = sign_in(db, web, user)
    form = web.get("/test-pages/form").text
    assert f'name="csrf_token" value="{record.csrf_token}"' in form
    assert f'<meta name="csrf-token" content="{record.csrf_token}">' in form
    r = web.post("/test-pages/mine", data={"csrf_token": record.csrf_token, "note": "hi"}, headers=OWN)
    assert r.status_code == 200 and r.text == f"official:{user.id}:hi"
    r = web.post("/test-pages/mine", data={"csrf_token": "forged", "note": "hi"}, headers=OWN)
    assert r.status_code == 403 and r.headers["content-type"].startswith("text/html")
    r = web.post("/test-pages/mine", data={"csrf_token": record.csrf_token}, headers={"Origin": "https://evil.example"})
    assert r.status_code == 403
    # A bearer token changes nothing for a page: the session and its form field decide.
    bearer = {**OWN, **headers(make_user(db, "admin"))}
    r = web.post("/test-pages/mine", data={"csrf_token": record.csrf_token, "note": "x"}, headers=bearer)
    assert r.status_code == 200 and r.text == f"official:{user.id}:x"


def test_a_bearer_token_works_as_before_and_needs_no_csrf(web, db):
    admin = make_user(db, "admin")
    someone = make_user(db, "official")
    sign_in(db, web, someone)  # a cookie of someone else in the same client: the token decides
    r = _me(web, headers=headers(admin))
    assert r.status_code == 200 and r.json()["id"] == admin.id
    assert web.post("/api/v1/users", json=_new_user_body(4), headers=headers(admin)).status_code == 201
    r = _me(web, headers={"Authorization": "Bearer not-a-token"})
    assert r.status_code == 401 and r.json()["error"] == "invalid_token"  # a bad token is not rescued by the cookie


def test_the_cookie_is_httponly_lax_and_secure_behind_https(monkeypatch):
    response = Response()
    sessions.set_session_cookie(response, "abc")
    cookie = response.headers["set-cookie"]
    assert cookie.startswith("lms_session=abc;")
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Path=/" in cookie and "Secure" not in cookie
    assert f"Max-Age={8 * 3600}" in cookie
    monkeypatch.setattr(get_settings(), "public_base_url", "https://lms.example.gov.il")
    response = Response()
    sessions.set_session_cookie(response, "abc")
    cookie = response.headers["set-cookie"]
    assert cookie.startswith("__Host-lms_session=abc;") and "Secure" in cookie and "Domain" not in cookie


def test_ending_a_users_access_ends_their_page_sessions(web, db):
    from app.accounts.service import end_access
    from app.auth import operator

    user = make_user(db, "admin")
    sign_in(db, web, user)
    assert _me(web).status_code == 200
    end_access(db, user=user, actor=operator("test"), reason="role_changed")
    db.commit()
    r = _me(web)
    assert r.status_code == 401 and r.json()["error"] == "session_ended"
    assert web.get("/test-pages/mine", follow_redirects=False).status_code == 303
    sign_in(db, web, user)  # signing in again, under the new version, works
    assert _me(web).status_code == 200
