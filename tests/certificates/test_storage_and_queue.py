"""Storage of rendered PDFs (atomic, with their SHA-256, re-rendered when missing) and the task queue: closing a
cohort issues and renders all its certificates once the close has committed."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import select

from app.auth import operator
from app.certificates import documents, tasks
from app.certificates.models import Certificate
from app.config import get_settings
from app.db import get_sessionmaker
from tests.certificates.conftest import make_closed_cohort
from tests.certificates.test_concurrency_and_queue import _cleanup

BULK = 40


@pytest.fixture
def fake_render(monkeypatch, tmp_path) -> list[list[str]]:
    """Rendering stands in as a deterministic fake (the real design is tested in test_pdf); renders are counted."""
    calls: list[list[str]] = []

    def render(certs: list[Certificate]) -> bytes:
        calls.append([c.serial for c in certs])
        return ("%PDF-1.7 fake " + " ".join(c.serial for c in certs)).encode()

    monkeypatch.setattr(documents, "render", render)
    monkeypatch.setattr(documents, "render_certificate", lambda cert: render([cert]))
    monkeypatch.setattr(get_settings(), "certificates_dir", tmp_path / "pdf")
    return calls


def _issue(client, admin, enrolment_id):
    r = client.post(f"/api/v1/enrolments/{enrolment_id}/certificate", headers=admin)
    assert r.status_code == 201, r.text
    return r.json()


def test_the_same_certificate_downloads_byte_identical_and_a_lost_file_comes_back(client, admin, closed, fake_render):
    cert = _issue(client, admin, closed.enrolments[0].id)
    first = client.get(f"/api/v1/certificates/{cert['serial']}/pdf", headers=admin)
    assert first.status_code == 200 and first.headers["content-type"] == "application/pdf"
    second = client.get(f"/api/v1/certificates/{cert['serial']}/pdf", headers=admin)
    assert second.content == first.content and len(fake_render) == 1  # stored, not rendered again
    stored = client.get(f"/api/v1/certificates/{cert['serial']}", headers=admin).json()["pdf_sha256"]
    assert stored == documents.sha256(first.content)
    path = get_settings().resolved_certificates_dir() / f"{cert['serial']}.pdf"
    path.unlink()
    third = client.get(f"/api/v1/certificates/{cert['serial']}/pdf", headers=admin)
    assert third.status_code == 200 and third.content == first.content and len(fake_render) == 2
    path.write_bytes(b"damaged")
    fourth = client.get(f"/api/v1/certificates/{cert['serial']}/pdf", headers=admin)
    assert fourth.content == first.content and path.read_bytes() == first.content


def test_a_write_killed_midway_leaves_no_file(tmp_path, monkeypatch):
    target = tmp_path / "MKM-2026-000001.pdf"

    def killed(_fd: int) -> None:
        raise KeyboardInterrupt  # the worker is stopped between writing and renaming

    monkeypatch.setattr(documents.os, "fsync", killed)
    with pytest.raises(KeyboardInterrupt):
        documents.write_atomically(target, b"%PDF half")
    assert list(tmp_path.iterdir()) == []
    monkeypatch.undo()
    documents.write_atomically(target, b"%PDF whole")
    assert target.read_bytes() == b"%PDF whole" and [p.name for p in tmp_path.iterdir()] == [target.name]


def test_cohort_download_as_zip(client, admin, closed, fake_render):
    import io
    import zipfile

    serials = {_issue(client, admin, e.id)["serial"] for e in closed.enrolments}
    r = client.get(f"/api/v1/cohorts/{closed.cohort.id}/certificates.zip", headers=admin)
    assert r.status_code == 200 and r.headers["content-type"] == "application/zip"
    names = set(zipfile.ZipFile(io.BytesIO(r.content)).namelist())
    assert names == {f"{s}.pdf" for s in serials}
    again = client.get(f"/api/v1/cohorts/{closed.cohort.id}/certificates.zip", headers=admin)
    assert again.content == r.content


def test_rerun_issues_what_is_missing(client, admin, closed):
    r = client.post(f"/api/v1/cohorts/{closed.cohort.id}/certificates", headers=admin)
    assert r.status_code == 200 and r.json()["total"] == 2
    again = client.post(f"/api/v1/cohorts/{closed.cohort.id}/certificates", headers=admin)
    assert again.json() == r.json()


@pytest.fixture
def big_cohort(database: str) -> Iterator[dict[str, Any]]:
    """Forty officials who completed a cohort, and the label of who closed it; cleaned up afterwards."""
    actor = operator(f"test-certs-{uuid.uuid4().hex[:8]}")
    out: dict[str, Any] = {"actor": actor}
    yield out
    if "ids" in out:
        _cleanup(*out["ids"], actor.label)


def test_closing_a_cohort_of_forty_issues_and_renders_all_through_the_queue(big_cohort, fake_render, immediate_queue):
    with get_sessionmaker().begin() as s:  # the close commits; then the queue takes over
        closed = make_closed_cohort(s, people=BULK, actor=big_cohort["actor"])
        cohort_id = closed.cohort.id
        big_cohort["ids"] = (
            cohort_id,
            closed.programme.id,
            [e.official_id for e in [*closed.enrolments, closed.failed]],
        )
    with get_sessionmaker().begin() as s:
        certs = s.scalars(select(Certificate).where(Certificate.cohort_id == cohort_id)).all()
    assert len(certs) == BULK and {c.status for c in certs} == {"valid"}
    assert len({c.serial for c in certs}) == BULK
    for c in certs:
        data = documents.stored_path(c).read_bytes()
        assert c.pdf_sha256 == documents.sha256(data)
    # Running the task again (a retry, a second worker) issues and renders nothing new.
    renders = len(fake_render)
    assert sorted(tasks.issue_cohort_now(cohort_id)) == sorted(c.id for c in certs)
    assert len(fake_render) == renders


def test_a_queued_task_survives_the_trip_through_the_queue(tmp_path, monkeypatch, closed, fake_render):
    """Not immediate: the message is stored, and a consumer (as `lms worker` runs) finds the task by name."""
    from huey import SqliteHuey

    queue = SqliteHuey("lms-test", filename=str(tmp_path / "queue.db"))
    monkeypatch.setattr(tasks, "_huey", lambda: queue)
    monkeypatch.setattr(tasks, "_tasks", {})
    ran: list[int] = []
    monkeypatch.setattr(tasks, "render_certificate_now", lambda certificate_id: ran.append(certificate_id))
    tasks.render_certificate(12345)
    assert queue.pending_count() == 1 and ran == []
    tasks.register_tasks()
    message = queue.dequeue()
    queue.execute(message)
    assert ran == [12345]


def _redis_up() -> bool:
    try:
        import redis

        return bool(redis.Redis.from_url("redis://127.0.0.1:6379/15", socket_connect_timeout=0.5).ping())
    except Exception:
        return False


@pytest.mark.skipif(not _redis_up(), reason="no Redis on 127.0.0.1:6379")
def test_lms_queue_url_redis_puts_the_queue_in_redis(monkeypatch):
    from huey import RedisHuey

    monkeypatch.setattr(get_settings(), "queue_url", "redis://127.0.0.1:6379/15")
    tasks._huey.cache_clear()
    monkeypatch.setattr(tasks, "_tasks", {})
    ran: list[int] = []
    monkeypatch.setattr(tasks, "render_certificate_now", lambda certificate_id: ran.append(certificate_id))
    try:
        queue = tasks._huey()
        assert isinstance(queue, RedisHuey)
        queue.flush()
        tasks.render_certificate(777)
        assert queue.pending_count() == 1
        tasks.register_tasks()
        queue.execute(queue.dequeue())
        assert ran == [777]
        queue.flush()
    finally:
        tasks._huey.cache_clear()


def test_lms_worker_runs_the_consumer(monkeypatch):
    from typer.testing import CliRunner

    from app.certificates import documents
    from app.cli import cli

    started: list[str] = []

    class Consumer:
        def run(self) -> None:
            started.append("consumer")

    class Queue:
        def create_consumer(self, **kw: object) -> Consumer:
            assert kw["workers"] == 3
            return Consumer()

        def task(self, **kw: object):  # registering the tasks, as huey does
            return lambda fn: fn

    monkeypatch.setattr(tasks, "_huey", lambda: Queue())
    monkeypatch.setattr(tasks, "huey", Queue())
    monkeypatch.setattr(tasks, "_tasks", {})
    # The real warm-up renders and freezes the garbage collector's view of the process: not in the test process.
    monkeypatch.setattr(documents, "warm_up", lambda: started.append("warm-up"))
    result = CliRunner().invoke(cli, ["worker", "--workers", "3"])
    assert result.exit_code == 0, result.output
    assert started == ["warm-up", "consumer"] and set(tasks._tasks) == {"render", "issue_cohort"}
