"""Storage of rendered PDFs (atomic, with their SHA-256, re-rendered when missing) and the jobs of certificates:
closing a cohort queues the issuing of its certificates once the close has committed, issuing queues the rendering,
the worker consumes them once each, and every hour the renders that failed are queued again."""

from __future__ import annotations

import signal
import time
import uuid
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from app import jobs
from app.auth import operator
from app.certificates import documents, tasks
from app.certificates.models import Certificate
from app.certificates.service import issue_certificate
from app.config import get_settings
from app.db import get_sessionmaker, open_read_db
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
    """Who closes a cohort whose close is committed, and the ids to clean up afterwards."""
    actor = operator(f"test-certs-{uuid.uuid4().hex[:8]}")
    out: dict[str, Any] = {"actor": actor}
    yield out
    if "ids" in out:
        _cleanup(*out["ids"], actor.label)


def _close_committed(big_cohort: dict[str, Any], people: int) -> int:
    """Close a cohort of `people` who completed (and one who did not) and commit; its id."""
    with get_sessionmaker().begin() as s:
        closed = make_closed_cohort(s, people=people, actor=big_cohort["actor"])
        big_cohort["ids"] = (
            closed.cohort.id,
            closed.programme.id,
            [e.official_id for e in [*closed.enrolments, closed.failed]],
        )
    return closed.cohort.id


def _rendered(cohort_id: int) -> int:
    with open_read_db() as s:
        stmt = select(func.count()).where(Certificate.cohort_id == cohort_id, Certificate.pdf_sha256.is_not(None))
        return s.scalar(stmt) or 0


def test_closing_a_cohort_of_forty_queues_its_certificates_and_the_worker_issues_and_renders_them_once(
    big_cohort, fake_render, queue
):
    with get_sessionmaker().begin() as s:
        closed = make_closed_cohort(s, people=BULK, actor=big_cohort["actor"])
        officials = [e.official_id for e in [*closed.enrolments, closed.failed]]
        big_cohort["ids"] = (closed.cohort.id, closed.programme.id, officials)
        assert queue.jobs() == []  # nothing is sent before the close commits
    cohort_id = closed.cohort.id
    assert queue.jobs() == [("certificates.issue_cohort", (cohort_id,))]
    assert queue.run() == 1 + BULK  # the issuing, then one render per certificate
    with get_sessionmaker().begin() as s:
        certs = s.scalars(select(Certificate).where(Certificate.cohort_id == cohort_id)).all()
    assert len(certs) == BULK and {c.status for c in certs} == {"valid"}
    assert len({c.serial for c in certs}) == BULK
    for c in certs:
        data = documents.stored_path(c).read_bytes()
        assert c.pdf_sha256 == documents.sha256(data)
    assert len(fake_render) == BULK
    # Running the job again (a retry, a second worker) issues and renders nothing new.
    assert sorted(tasks.issue_cohort(cohort_id)) == sorted(c.id for c in certs)
    assert queue.run() == BULK and len(fake_render) == BULK


def test_a_close_queues_the_issuing_only_when_it_commits(db, queue):
    make_closed_cohort(db)
    db.rollback()
    assert queue.jobs() == []  # a close rolled back queues nothing
    closed = make_closed_cohort(db)
    assert queue.jobs() == []
    db.commit()
    assert queue.jobs() == [("certificates.issue_cohort", (closed.cohort.id,))]


def test_issuing_and_reissuing_queue_the_render_after_commit_and_not_on_rollback(client, admin, db, closed, queue):
    db.commit()  # what the test set up: the close queues the issuing
    assert queue.jobs() == [("certificates.issue_cohort", (closed.cohort.id,))]
    queue.huey.flush()
    cert = _issue(client, admin, closed.enrolments[0].id)
    assert queue.jobs() == [("certificates.render", (cert["id"],))]
    new = client.post(f"/api/v1/certificates/{cert['serial']}/reissue", headers=admin).json()
    assert queue.jobs() == [("certificates.render", (cert["id"],)), ("certificates.render", (new["id"],))]
    queue.huey.flush()
    issue_certificate(db, enrolment_id=closed.enrolments[1].id, actor=operator("test"))
    db.rollback()
    assert queue.jobs() == []


def test_renders_that_failed_are_queued_again_every_hour(big_cohort, fake_render, queue, monkeypatch):
    cohort_id = _close_committed(big_cohort, people=2)

    def fail(cert: Certificate) -> bytes:
        raise OSError("no space left on device")

    with monkeypatch.context() as failing:
        failing.setattr(documents, "render_certificate", fail)
        with pytest.raises(OSError):
            queue.run()  # the issuing, then a render that fails (the worker retries it, then gives up)
    queue.huey.flush()
    assert _rendered(cohort_id) == 0
    assert tasks.render_missing() == []  # too recent: its render may still be waiting in the queue
    monkeypatch.setattr(tasks, "RENDER_GRACE", timedelta(0))
    ids = tasks.render_missing()
    assert len(ids) == 2 and queue.jobs() == [("certificates.render", (i,)) for i in ids]
    assert "certificates.render_missing" in jobs.periodic()
    queue.run()
    assert _rendered(cohort_id) == 2 and tasks.render_missing() == []


def test_lms_worker_consumes_the_jobs_a_close_queued(big_cohort, fake_render, queue, monkeypatch):
    """`lms worker` as run in production, on the tests' queue file: its threads issue and render."""
    from huey.consumer import Consumer
    from typer.testing import CliRunner

    from app.cli import cli

    cohort_id = _close_committed(big_cohort, people=3)
    started: list[str] = []

    def run_until_rendered(consumer: Consumer) -> None:
        assert consumer.workers == 3 and not consumer.periodic
        started.append("consumer")
        consumer.start()
        try:
            deadline = time.monotonic() + 60
            while _rendered(cohort_id) < 3 and time.monotonic() < deadline:
                time.sleep(0.05)
        finally:
            consumer.stop(graceful=True)

    monkeypatch.setattr(Consumer, "run", run_until_rendered)
    # The real warm-up renders and freezes the garbage collector's view of the process: not in the test process.
    monkeypatch.setattr(documents, "warm_up", lambda: started.append("warm-up"))
    handlers = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)}
    try:
        result = CliRunner().invoke(cli, ["worker", "--workers", "3", "--no-periodic"])
    finally:
        for signum, handler in handlers.items():
            signal.signal(signum, handler)
    assert result.exit_code == 0, result.output
    assert started == ["warm-up", "consumer"]
    assert _rendered(cohort_id) == 3 and queue.jobs() == []
