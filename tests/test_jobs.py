"""The task queue (app/jobs.py): a job is sent once the session's outermost transaction commits, never before and
never when it rolls back; a worker finds a job by its name; the periodic schedule is in the school's time; the
queue is the one the settings name."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

import pytest
from huey import RedisHuey, SqliteHuey

from app import jobs, schedule
from app.config import get_settings
from app.db import get_sessionmaker

_ran: list[Any] = []


@jobs.task("tests.note", retries=0)
def note(value: Any) -> None:
    """Note the value (a job of the tests)."""
    _ran.append(value)


@pytest.fixture
def ran() -> Iterator[list[Any]]:
    """The values the job `tests.note` ran with, in order."""
    _ran.clear()
    yield _ran
    _ran.clear()


def test_a_job_is_sent_when_the_outermost_transaction_commits_and_not_before(db, queue, ran):
    jobs.enqueue_after_commit(db, note, 1)
    db.flush()
    assert queue.jobs() == []
    with db.begin_nested():
        jobs.enqueue_after_commit(db, "tests.note", 2)
    assert queue.jobs() == []  # a savepoint released is not a commit
    assert ran == []
    db.commit()
    assert queue.jobs() == [("tests.note", (1,)), ("tests.note", (2,))]
    assert queue.run() == 2 and ran == [1, 2]


def test_a_session_of_its_own_sends_when_it_commits(queue):
    with get_sessionmaker()() as db:
        db.begin()
        jobs.enqueue_after_commit(db, note, 1)
        assert queue.jobs() == []
        db.commit()
    assert queue.jobs() == [("tests.note", (1,))]


def test_what_a_rolled_back_transaction_asked_for_is_forgotten(db, queue):
    jobs.enqueue_after_commit(db, note, "rolled back")
    db.rollback()
    jobs.enqueue_after_commit(db, note, "kept")
    with pytest.raises(RuntimeError), db.begin_nested():
        jobs.enqueue_after_commit(db, note, "in a savepoint rolled back")
        raise RuntimeError
    db.commit()
    db.commit()  # nothing is left to send twice
    assert queue.jobs() == [("tests.note", ("kept",))]


def test_the_same_job_is_sent_once_per_transaction(db, queue):
    for value in (7, 7, 8, 7):
        jobs.enqueue_after_commit(db, note, value)
    db.commit()
    assert queue.jobs() == [("tests.note", (7,)), ("tests.note", (8,))]


def test_an_unknown_job_is_refused_when_asked_for(db):
    with pytest.raises(LookupError, match=r"certificates\.no_such_job"):
        jobs.enqueue_after_commit(db, "certificates.no_such_job", 1)
    with pytest.raises(ValueError, match="two jobs"):
        jobs.task("tests.note")(lambda value: None)


def test_an_immediate_queue_runs_the_job_once_the_transaction_commits(db, ran, monkeypatch):
    monkeypatch.setattr(get_settings(), "queue_immediate", True)
    jobs.get_queue.cache_clear()
    try:
        jobs.enqueue_after_commit(db, note, 1)
        db.flush()
        assert ran == []
        db.commit()
        assert ran == [1]
    finally:
        jobs.get_queue.cache_clear()


def test_a_job_survives_the_trip_to_a_worker_of_its_own(db, queue, ran):
    """The message is stored by the job's name; another queue on the same file (as in `lms worker`) runs it."""
    jobs.enqueue_after_commit(db, note, 12345)
    db.commit()
    assert ran == []
    jobs.get_queue.cache_clear()
    worker = jobs.get_queue()
    assert worker is not queue.huey and worker.pending_count() == 1
    worker.execute(worker.dequeue())
    assert ran == [12345]


def test_the_default_queue_is_a_file_under_lms_var_dir():
    queue = jobs.make_queue()
    assert isinstance(queue, SqliteHuey) and not queue.immediate and not queue.results
    assert queue.storage.filename == str(get_settings().var_dir / "queue.db")


def _redis_up() -> bool:
    try:
        import redis

        return bool(redis.Redis.from_url("redis://127.0.0.1:6379/15", socket_connect_timeout=0.5).ping())
    except Exception:
        return False


@pytest.mark.skipif(not _redis_up(), reason="no Redis on 127.0.0.1:6379")
def test_lms_queue_url_redis_puts_the_queue_in_redis(db, ran, monkeypatch):
    monkeypatch.setattr(get_settings(), "queue_url", "redis://127.0.0.1:6379/15")
    jobs.get_queue.cache_clear()
    try:
        queue = jobs.get_queue()
        assert isinstance(queue, RedisHuey)
        queue.flush()
        jobs.enqueue_after_commit(db, note, 777)
        db.commit()
        assert queue.pending_count() == 1 and ran == []
        queue.execute(queue.dequeue())
        assert ran == [777]
        queue.flush()
    finally:
        jobs.get_queue.cache_clear()


@pytest.mark.parametrize(
    ("utc", "runs"),
    [
        (datetime(2025, 1, 15, 5, 0), True),  # 07:00 in Jerusalem in winter (UTC+2)
        (datetime(2025, 7, 15, 4, 0), True),  # 07:00 in summer (UTC+3)
        (datetime(2025, 7, 15, 5, 0), False),  # 08:00 in summer
        (datetime(2025, 1, 15, 7, 0), False),  # 07:00 UTC is not 07:00 in Jerusalem
        (datetime(2025, 1, 15, 5, 1), False),
    ],
)
def test_a_schedule_is_written_in_the_school_time(utc, runs):
    assert schedule.crontab(minute=0, hour=7)(utc) is runs


def test_every_periodic_job_is_declared_and_scheduled_on_the_queue():
    assert set(jobs.periodic()) <= set(jobs.declared())
    assert {"certificates.issue_cohort", "certificates.render", "certificates.render_missing"} <= set(jobs.declared())
    at_twenty_past = jobs.get_queue().read_periodic(datetime(2025, 1, 15, 18, 20))  # 20:20 in Jerusalem
    every_minute = {"notifications.send_outbox"}  # the outbox's retries
    assert {type(task).__name__ for task in at_twenty_past} == {"certificates.render_missing", *every_minute}
    at_twenty_one = jobs.get_queue().read_periodic(datetime(2025, 1, 15, 18, 21))
    assert {type(task).__name__ for task in at_twenty_one} == every_minute
