"""A caller read a moment ago is kept a few seconds (app/web/callers.py): their next reads run no query for them and
cost one trip to a worker thread; a write reads them afresh; any change to the account or the session, in this
process, ends what was kept at once; one made elsewhere is seen within LMS_CALLER_CACHE_SECONDS."""

from __future__ import annotations

from datetime import timedelta

import anyio.to_thread
from sqlalchemy import text, update

from app.accounts.models import User
from app.accounts.service import deactivate_user
from app.auth import operator
from app.config import get_settings
from app.web.sessions import cookie_name
from tests.factories import counting_statements, headers, make_official, make_user, sign_in

ORIGIN = {"Origin": "http://testserver"}


def _reads_account(statements: list[str]) -> bool:
    return any("FROM users" in q or "JOIN users" in q for q in statements)


def test_a_callers_next_read_runs_no_query_for_them(client, db):
    h = headers(make_user(db, "admin"))
    with counting_statements(db) as first:
        assert client.get("/api/v1/roles", headers=h).status_code == 200
    with counting_statements(db) as again:
        assert client.get("/api/v1/roles", headers=h).status_code == 200
    assert _reads_account(first) and not _reads_account(again)


def test_a_write_reads_the_caller_afresh(client, db):
    h = headers(make_user(db, "admin"))
    assert client.get("/api/v1/roles", headers=h).status_code == 200
    with counting_statements(db) as write:
        assert client.post("/api/v1/programmes", headers=h, json={}).status_code == 422
    assert _reads_account(write)


def test_nothing_is_kept_when_the_setting_is_zero(client, db, monkeypatch):
    monkeypatch.setattr(get_settings(), "caller_cache_seconds", 0)
    h = headers(make_user(db, "admin"))
    assert client.get("/api/v1/roles", headers=h).status_code == 200
    with counting_statements(db) as again:
        assert client.get("/api/v1/roles", headers=h).status_code == 200
    assert _reads_account(again)


def test_deactivating_an_account_ends_its_access_at_once_though_it_was_kept(client, db):
    user = make_user(db, "admin")
    h = headers(user)
    assert client.get("/api/v1/roles", headers=h).status_code == 200
    deactivate_user(db, user_id=user.id, actor=operator("test"))
    db.commit()
    r = client.get("/api/v1/roles", headers=h)
    assert r.status_code == 401 and r.json()["error"] == "invalid_token"


def test_signing_out_ends_the_page_session_at_once_though_it_was_kept(client, db):
    record = sign_in(db, client, make_user(db, "official"))
    held = client.cookies.get(cookie_name())
    assert client.get("/api/v1/auth/me").status_code == 200
    r = client.post("/logout", data={"csrf_token": record.csrf_token}, headers=ORIGIN, follow_redirects=False)
    assert r.status_code == 303
    client.cookies.set(cookie_name(), held)  # a copy of the cookie, kept by someone else
    r = client.get("/api/v1/auth/me")
    assert r.status_code == 401 and r.json()["error"] == "session_ended"


def test_raw_sql_on_the_accounts_forgets_every_caller(client, db):
    user = make_user(db, "admin")
    h = headers(user)
    assert client.get("/api/v1/roles", headers=h).status_code == 200
    db.execute(text("UPDATE users SET active = :no WHERE id = :id"), {"no": False, "id": user.id})
    db.commit()
    assert client.get("/api/v1/roles", headers=h).status_code == 401


def test_a_change_made_elsewhere_is_seen_within_the_seconds_kept(client, db, clock_at):
    """As another process's deactivation: a write this process's sessions do not see (beside the session)."""
    user = make_user(db, "admin")
    h = headers(user)
    assert client.get("/api/v1/roles", headers=h).status_code == 200
    db.connection().execute(update(User).where(User.id == user.id).values(active=False))
    db.commit()
    clock_at(timedelta(seconds=get_settings().caller_cache_seconds - 1))
    assert client.get("/api/v1/roles", headers=h).status_code == 200  # still kept
    clock_at(timedelta(seconds=get_settings().caller_cache_seconds))
    assert client.get("/api/v1/roles", headers=h).status_code == 401


def test_a_read_costs_one_trip_to_a_worker_thread(client, db, monkeypatch):
    """The caller, the route and the commit: one trip, where FastAPI's own way took five."""
    official = make_official(db)
    user = make_user(db, "official", official=official)
    h = headers(user)
    sign_in(db, client, user)
    trips: list[object] = []
    run_sync = anyio.to_thread.run_sync

    async def counted(func, *args, **kwargs):
        trips.append(func)
        return await run_sync(func, *args, **kwargs)

    monkeypatch.setattr(anyio.to_thread, "run_sync", counted)
    for path, kw in (
        ("/api/v1/roles", {"headers": h}),
        (f"/api/v1/officials/{official.id}/requirements", {"headers": h}),
        ("/me", {}),
    ):
        assert client.get(path, **kw).status_code == 200  # the caller read, and kept
        trips.clear()
        assert client.get(path, **kw).status_code == 200
        assert len(trips) == 1, (path, trips)
