"""Login limits: per (email, address) pair with growing delays, so a stranger cannot lock the real user out, and per
address; counted and checked atomically, also by parallel connections; a refused attempt is recorded; an oversized
form is a 422 naming the field, counted like any attempt."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session, sessionmaker

from app.accounts import service
from app.accounts.models import LoginAttempt, LoginThrottle, User
from app.audit.models import AuditEvent
from app.clock import now_utc
from app.config import get_settings
from app.db import get_engine, get_sessionmaker, make_engine
from app.errors import InvalidLogin, LoginFailed, TooManyRequests
from tests.factories import PASSWORD, make_user


def _login(client, email, password=PASSWORD):
    return client.post("/api/v1/auth/token", data={"username": email, "password": password})


def _try(db, email, password=PASSWORD, address="203.0.113.1"):
    """The outcome of one login by the service: "ok", "wrong", "wait" or "invalid"."""
    savepoint = db.begin_nested()
    try:
        service.log_in(db, email=email, password=password, address=address)
    except (LoginFailed, TooManyRequests, InvalidLogin) as exc:
        savepoint.commit()  # as a request's unit of work does: the attempt is kept
        return {LoginFailed: "wrong", TooManyRequests: "wait", InvalidLogin: "invalid"}[type(exc)]
    savepoint.commit()
    return "ok"


@pytest.fixture
def clock(monkeypatch):
    """The login clock stopped now; clock(delta) moves it on."""
    start = now_utc()

    def move(delta: timedelta) -> None:
        monkeypatch.setattr(service, "now_utc", lambda: start + delta)

    move(timedelta(0))
    return move


def test_a_stranger_guessing_never_locks_the_real_user_out(client, db):
    make_user(db, "admin", totp_secret="", email="head@school.example")
    attacker = "198.51.100.7"
    for _ in range(12):
        assert _try(db, "head@school.example", "guess", address=attacker) in ("wrong", "wait")
    assert _try(db, "head@school.example", address=attacker) == "wait"  # the attacker's pair waits
    # The real user, at the office, signs in with the right password.
    assert _try(db, "head@school.example", address="192.0.2.10") == "ok"
    # And through the API (the test client's own address has no failures).
    assert _login(client, "head@school.example").status_code == 200


def test_delays_grow_with_each_failure_of_a_pair_and_a_success_clears_them(db, clock):
    make_user(db, "admin", totp_secret="", email="slow@school.example")
    s = get_settings()
    for _ in range(s.login_failures_before_delay - 1):
        assert _try(db, "slow@school.example", "guess") == "wrong"
    assert _try(db, "slow@school.example", "guess") == "wrong"  # the last free one: now the first delay
    waits = []
    elapsed = timedelta(0)
    for n in range(4):
        delay = service.pair_delay(s.login_failures_before_delay + n)
        assert _try(db, "slow@school.example") == "wait"  # even the right password waits, unchecked
        clock(elapsed + delay - timedelta(seconds=1))
        assert _try(db, "slow@school.example", "guess") == "wait"
        elapsed += delay
        clock(elapsed)
        assert _try(db, "slow@school.example", "guess") == "wrong"
        waits.append(delay)
    assert waits == [timedelta(seconds=s.login_first_delay_seconds * 2**i) for i in range(4)]
    assert service.pair_delay(1000) == timedelta(minutes=s.login_max_delay_minutes)
    clock(elapsed + service.pair_delay(s.login_failures_before_delay + 4))
    assert _try(db, "slow@school.example") == "ok"
    assert _try(db, "slow@school.example", "guess") == "wrong"  # counting starts again from nothing
    assert _try(db, "slow@school.example") == "ok"


def test_a_refused_attempt_is_recorded_with_its_wait(client, db, monkeypatch, clock):
    # The clock stands still, so a slow machine taking a second between the two attempts cannot shorten the wait.
    monkeypatch.setattr(get_settings(), "login_failures_before_delay", 1)
    make_user(db, "admin", totp_secret="", email="rec@school.example")
    assert _login(client, "rec@school.example", "guess").status_code == 401
    r = _login(client, "rec@school.example")
    assert r.status_code == 429 and int(r.headers["Retry-After"]) == get_settings().login_first_delay_seconds
    refused = db.scalars(select(AuditEvent).where(AuditEvent.action == "login_refused")).all()
    assert len(refused) == 1 and refused[0].actor_label == "rec@school.example"
    assert refused[0].address == "testclient" and refused[0].after["retry_after"] > 0


def test_an_oversized_username_is_422_naming_it_and_counted(client, db, monkeypatch):
    monkeypatch.setattr(get_settings(), "login_max_failures_per_address", 3)
    long_name = "a" * 300 + "@school.example"
    r = _login(client, long_name)
    assert r.status_code == 422 and r.json()["field"] == "username", r.text
    r = _login(client, "x@school.example", "p" * 5000)
    assert r.status_code == 422 and r.json()["field"] == "password"
    attempts = db.scalars(select(LoginAttempt).where(LoginAttempt.address == "testclient")).all()
    assert len(attempts) == 2 and not any(a.succeeded for a in attempts)
    assert _login(client, "y@school.example", "guess").status_code == 401
    make_user(db, "admin", totp_secret="", email="late@school.example")
    assert _login(client, "late@school.example").status_code == 429  # the address has used its three


def test_a_long_unknown_email_is_an_ordinary_failure(client, db):
    # Longer than the audit trail's columns for a name and an entity id, but a valid length for an email.
    email = "n" * 230 + "@school.example"
    r = _login(client, email, "guess")
    assert r.status_code == 401 and r.json()["error"] == "invalid_credentials"


# --- parallel connections ------------------------------------------------------------------------------------------


@pytest.fixture
def parallel(database: str) -> Iterator[tuple[sessionmaker[Session], str]]:
    """A session factory with a connection per thread, and an address of the test's own; what the logins left
    behind is deleted after."""
    engine = make_engine(get_engine().url.render_as_string(hide_password=False), pool_size=65, max_overflow=0)
    address = f"test-{uuid.uuid4().hex[:12]}"
    yield sessionmaker(bind=engine, expire_on_commit=False), address
    engine.dispose()
    with get_sessionmaker().begin() as s:
        s.execute(delete(AuditEvent).where(AuditEvent.address == address))
        s.execute(delete(LoginAttempt).where(LoginAttempt.address == address))
        s.execute(delete(LoginThrottle).where(LoginThrottle.kind == "address"))
        s.execute(delete(LoginThrottle).where(LoginThrottle.kind == "pair"))
        s.execute(delete(User).where(User.email.like(f"%@{address}.example")))


def _run_parallel(factory: sessionmaker[Session], logins: list[tuple[str, str]], address: str) -> list[str]:
    barrier = threading.Barrier(len(logins))
    results: list[str] = [""] * len(logins)

    def work(i: int) -> None:
        email, password = logins[i]
        barrier.wait()
        s = factory()
        try:
            try:
                service.log_in(s, email=email, password=password, address=address)
                s.commit()
                results[i] = "ok"
            except (LoginFailed, TooManyRequests) as exc:
                s.commit()  # as the request's unit of work does: the attempt is kept
                results[i] = "wrong" if isinstance(exc, LoginFailed) else "wait"
        except Exception as exc:  # any other outcome fails the test below
            s.rollback()
            results[i] = repr(exc)
        finally:
            s.close()

    threads = [threading.Thread(target=work, args=(i,)) for i in range(len(logins))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    return results


@pytest.mark.many_connections
def test_thirty_parallel_guesses_at_one_account_check_only_the_free_ones(parallel):
    factory, address = parallel
    email = f"victim@{address}.example"
    with get_sessionmaker().begin() as s:
        make_user(s, "admin", totp_secret="", email=email)
    results = _run_parallel(factory, [(email, "guess")] * 30, address)
    free = get_settings().login_failures_before_delay
    assert sorted(results) == ["wait"] * (30 - free) + ["wrong"] * free, results
    with get_sessionmaker().begin() as s:
        checked = s.scalar(select(func.count()).select_from(LoginAttempt).where(LoginAttempt.address == address))
        refused = s.scalar(
            select(func.count()).where(AuditEvent.address == address, AuditEvent.action == "login_refused")
        )
    assert (checked, refused) == (free, 30 - free)


@pytest.mark.many_connections
def test_sixty_parallel_guesses_from_one_address_check_only_its_limit(parallel, monkeypatch):
    factory, address = parallel
    sent = 60
    if factory.kw["bind"].dialect.name == "sqlite":
        # SQLite runs one writer at a time: each checked password holds the others up to its busy timeout (10 s),
        # so a smaller burst, with a smaller limit, shows the same on a loaded machine.
        sent = 20
        monkeypatch.setattr(get_settings(), "login_max_failures_per_address", 8)
    limit = get_settings().login_max_failures_per_address
    results = _run_parallel(factory, [(f"u{i}@{address}.example", "guess") for i in range(sent)], address)
    assert sorted(results) == ["wait"] * (sent - limit) + ["wrong"] * limit, results
    with get_sessionmaker().begin() as s:
        throttle = s.scalars(select(LoginThrottle).where(LoginThrottle.kind == "address")).all()
    assert [t.failures for t in throttle] == [limit]


def test_the_throttle_rows_are_those_operations_md_says_to_delete(db, monkeypatch):
    import hashlib

    monkeypatch.setattr(get_settings(), "login_failures_before_delay", 1)
    make_user(db, "admin", totp_secret="", email="dana@school.example")
    assert _try(db, "Dana@school.example", "guess", address="203.0.113.7") == "wrong"
    assert _try(db, "dana@school.example", address="203.0.113.7") == "wait"
    pair = hashlib.sha256(b"pair|dana@school.example|203.0.113.7").hexdigest()
    address = hashlib.sha256(b"address|203.0.113.7").hexdigest()
    assert {r.key: r.kind for r in db.scalars(select(LoginThrottle))} == {pair: "pair", address: "address"}
    db.execute(delete(LoginThrottle).where(LoginThrottle.key == pair))
    assert _try(db, "dana@school.example", address="203.0.113.7") == "ok"
