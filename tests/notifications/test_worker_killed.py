"""A worker killed in the middle of a batch (SIGKILL, while the mail server is slow): once its claim has run out, the
next run sends what it left, and each message arrives exactly once. Killed as `lms outbox send`, and as `lms worker`
consuming the job from Redis; on the test database (the embedded SQLite, or PostgreSQL)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import timedelta

import pytest
from huey import RedisHuey

from app import jobs
from app.clock import now_utc
from app.config import PROJECT_ROOT
from app.db import get_sessionmaker
from app.notifications.selectors import get_message
from app.notifications.sender import send_due
from tests.notifications.conftest import Outbox, ids_of
from tests.notifications.sink import Server, Sink

CLAIM_SECONDS = 10
REDIS_URL = "redis://127.0.0.1:6379/14"


def _environment(server: Server, **more: str) -> dict[str, str]:
    return {
        **os.environ,
        "LMS_SMTP_HOST": "127.0.0.1",
        "LMS_SMTP_PORT": str(server.port),
        "LMS_SMTP_SECURITY": "none",
        "LMS_SMTP_RATE_PER_MINUTE": "0",
        "LMS_OUTBOX_CLAIM_SECONDS": str(CLAIM_SECONDS),
        **more,
    }


def _lms(*args: str, env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "app.cli", *args],
        cwd=PROJECT_ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def _wait_for(condition: Callable[[], bool], *, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"waited {timeout} s for {what}")
        time.sleep(0.05)


def _wait_for_the_claim_to_run_out(box: Outbox) -> None:
    held = [r.claimed_until for r in box.rows() if r.state == "sending" and r.claimed_until is not None]
    assert held, "the killed worker held nothing"
    wait = (max(held) - now_utc()).total_seconds() + 0.2
    time.sleep(max(0.0, wait))


@pytest.fixture
def slow_server() -> Iterator[Server]:
    served = Server(Sink(delay=1.0)).start()
    yield served
    served.stop()


def test_lms_outbox_send_killed_mid_batch_then_run_again_sends_each_message_once(
    outbox: Outbox,
    slow_server: Server,
) -> None:
    keys = outbox.queue(8)
    sink = slow_server.sink
    env = _environment(slow_server)
    first = _lms("outbox", "send", env=env)
    try:
        # Three messages went; the fourth waits at the slow server when the worker is killed.
        _wait_for(lambda: sink.started >= 4, timeout=90, what="the fourth message to start")
    finally:
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=30)
    assert len(sink.ids()) == 3
    states = [r.state for r in outbox.rows()]
    assert states.count("sent") == 3 and states.count("sending") == 5

    # While the dead worker's claim holds, another run takes none of its messages.
    assert send_due(settings=slow_server.settings(outbox_claim_seconds=CLAIM_SECONDS)).claimed == 0

    _wait_for_the_claim_to_run_out(outbox)
    sink.delay = 0.0
    last = _lms("outbox", "send", env=env)
    assert last.wait(timeout=90) == 0
    assert last.stdout is not None
    assert "sent: 5," in last.stdout.read()
    ids = sink.ids()
    assert len(ids) == 8 and set(ids) == ids_of(keys)
    assert {r.state for r in outbox.rows()} == {"sent"}
    with get_sessionmaker()() as db:  # one try each: the killed worker's last one never finished
        assert {tuple(t.outcome for t in get_message(db, message_id=r.id).tries) for r in outbox.rows()} == {("sent",)}


def test_lms_worker_on_redis_killed_mid_batch_then_restarted_sends_each_message_once(
    outbox: Outbox,
    slow_server: Server,
) -> None:
    queue = RedisHuey("lms", url=REDIS_URL, results=False)
    queue.flush()
    send_outbox = jobs._bind(queue, jobs.declared()["notifications.send_outbox"])
    keys = outbox.queue(8)
    sink = slow_server.sink
    env = _environment(slow_server, LMS_QUEUE_URL=REDIS_URL)
    worker = _lms("worker", "--no-periodic", "--workers", "1", env=env)
    try:
        send_outbox()  # what queueing the messages asks for once they are committed
        _wait_for(lambda: sink.started >= 4, timeout=90, what="the fourth message to start")
    finally:
        worker.send_signal(signal.SIGKILL)
        worker.wait(timeout=30)
    assert len(sink.ids()) == 3

    _wait_for_the_claim_to_run_out(outbox)
    sink.delay = 0.0
    restarted = _lms("worker", "--no-periodic", "--workers", "1", env=env)
    try:
        send_outbox()  # what the schedule does every minute
        _wait_for(lambda: len(sink.ids()) >= 8, timeout=90, what="every message")
        time.sleep(1)  # anything sent twice would show now
    finally:
        restarted.send_signal(signal.SIGKILL)
        restarted.wait(timeout=30)
        queue.flush()
    ids = sink.ids()
    assert len(ids) == 8 and set(ids) == ids_of(keys)
    assert {r.state for r in outbox.rows()} == {"sent"}
    assert all(r.sent_at is not None and r.sent_at <= now_utc() + timedelta(seconds=1) for r in outbox.rows())
