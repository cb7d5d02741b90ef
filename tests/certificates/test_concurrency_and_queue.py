"""On committed data and real parallel connections: one certificate per enrolment whatever the concurrency, and
closing a cohort issues its certificates through the task queue once the close has committed."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session, sessionmaker

from app.attendance.models import AttendanceRecord
from app.audit.models import AuditEvent
from app.auth import operator
from app.certificates import documents
from app.certificates.models import Certificate
from app.certificates.service import issue_certificate
from app.cohorts.models import Cohort, CohortAssessment, CohortSession, Enrolment
from app.completions.models import Completion
from app.db import get_engine, get_sessionmaker, make_engine
from app.officials.models import Appointment, Official, Requirement
from app.programmes.models import Programme, ProgrammeRole
from tests.certificates.conftest import make_closed_cohort

PARALLEL = 4


def _cleanup(cohort_id: int, programme_id: int, official_ids: list[int], label: str) -> None:
    with get_sessionmaker().begin() as s:
        enrolments = select(Enrolment.id).where(Enrolment.cohort_id == cohort_id)
        certs = s.scalars(select(Certificate).where(Certificate.cohort_id == cohort_id)).all()
        for c in certs:
            documents.stored_path(c).unlink(missing_ok=True)
        s.execute(Certificate.__table__.update().where(Certificate.cohort_id == cohort_id).values(
            superseded_by_id=None, supersedes_id=None))  # fmt: skip
        s.execute(delete(Certificate).where(Certificate.cohort_id == cohort_id))
        s.execute(delete(Completion).where(Completion.enrolment_id.in_(enrolments)))
        s.execute(delete(AttendanceRecord).where(AttendanceRecord.enrolment_id.in_(enrolments)))
        s.execute(delete(Enrolment).where(Enrolment.cohort_id == cohort_id))
        s.execute(delete(CohortSession).where(CohortSession.cohort_id == cohort_id))
        s.execute(delete(CohortAssessment).where(CohortAssessment.cohort_id == cohort_id))
        s.execute(delete(Cohort).where(Cohort.id == cohort_id))
        appointments = select(Appointment.id).where(Appointment.official_id.in_(official_ids))
        # The factories record as their own operator: the trail of these people goes by what it is about.
        about = {
            "official": [str(i) for i in official_ids],
            "appointment": [str(i) for i in s.scalars(appointments)],
            "requirement": [
                str(i) for i in s.scalars(select(Requirement.id).where(Requirement.appointment_id.in_(appointments)))
            ],
        }
        for entity_type, ids in about.items():
            s.execute(delete(AuditEvent).where(AuditEvent.entity_type == entity_type, AuditEvent.entity_id.in_(ids)))
        s.execute(delete(Requirement).where(Requirement.appointment_id.in_(appointments)))
        s.execute(delete(Appointment).where(Appointment.official_id.in_(official_ids)))
        s.execute(delete(ProgrammeRole).where(ProgrammeRole.programme_id == programme_id))
        s.execute(delete(Programme).where(Programme.id == programme_id))
        s.execute(delete(Official).where(Official.id.in_(official_ids)))
        s.execute(delete(AuditEvent).where(AuditEvent.actor_label.in_((label, "certificates-worker"))))


@pytest.fixture
def committed(database: str) -> Iterator[Any]:
    """A closed cohort of two who completed and one who did not, committed so other connections see it."""
    actor = operator(f"test-certs-{uuid.uuid4().hex[:8]}")
    with get_sessionmaker().begin() as s:
        closed = make_closed_cohort(s, actor=actor)
        ids = (closed.cohort.id, closed.programme.id, [e.official_id for e in [*closed.enrolments, closed.failed]])
        enrolment_ids = [e.id for e in closed.enrolments]
    yield enrolment_ids
    _cleanup(*ids, actor.label)


@pytest.fixture(scope="module")
def parallel_sessions(database: str) -> Iterator[sessionmaker[Session]]:
    """A session factory whose pool gives every thread a connection of its own."""
    engine = make_engine(get_engine().url.render_as_string(hide_password=False), pool_size=PARALLEL + 2, max_overflow=0)
    yield sessionmaker(bind=engine, expire_on_commit=False)
    engine.dispose()


def test_parallel_requests_issue_exactly_one_certificate(committed, parallel_sessions):
    enrolment_id = committed[0]
    actor = operator("test-certs-parallel")
    barrier = threading.Barrier(PARALLEL)
    results: list[Any] = [None] * PARALLEL

    def work(i: int) -> None:
        barrier.wait()
        try:
            with parallel_sessions.begin() as s:
                cert, created = issue_certificate(s, enrolment_id=enrolment_id, actor=actor)
                results[i] = (cert.serial, created)
        except Exception as exc:  # pragma: no cover - shown by the assertion
            results[i] = exc

    threads = [threading.Thread(target=work, args=(i,)) for i in range(PARALLEL)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    try:
        assert not [r for r in results if isinstance(r, Exception)], results
        assert len({serial for serial, _ in results}) == 1
        assert sorted(created for _, created in results) == [False] * (PARALLEL - 1) + [True]
        with get_sessionmaker().begin() as s:
            count = s.scalar(
                select(func.count()).select_from(Certificate).where(Certificate.enrolment_id == enrolment_id)
            )
        assert count == 1
    finally:
        with get_sessionmaker().begin() as s:
            s.execute(delete(AuditEvent).where(AuditEvent.actor_label == actor.label))


def test_parallel_issues_of_different_enrolments_get_different_serials(committed, parallel_sessions):
    actor = operator("test-certs-parallel")
    barrier = threading.Barrier(len(committed))
    serials: list[Any] = [None] * len(committed)

    def work(i: int) -> None:
        barrier.wait()
        with parallel_sessions.begin() as s:
            serials[i] = issue_certificate(s, enrolment_id=committed[i], actor=actor)[0].serial

    threads = [threading.Thread(target=work, args=(i,)) for i in range(len(committed))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    try:
        assert None not in serials and len(set(serials)) == len(committed)
    finally:
        with get_sessionmaker().begin() as s:
            s.execute(delete(AuditEvent).where(AuditEvent.actor_label == actor.label))


def test_parallel_revocations_both_reach_the_status_list(committed, parallel_sessions):
    """Two certificates revoked at once: the status list is rewritten whole by each, one after the other (its row
    locked), so neither revocation is lost from what verifiers read."""
    import json

    from app.certificates import rules
    from app.certificates.models import StatusList
    from app.certificates.service import revoke_certificate, status_list_document

    actor = operator("test-certs-revoke")
    with get_sessionmaker().begin() as s:
        certs = [issue_certificate(s, enrolment_id=e, actor=actor)[0] for e in committed]
        status_list_document(s, list_number=1)  # the list exists before both revocations start
    barrier = threading.Barrier(len(certs))
    errors: list[Exception] = []

    def work(serial: str) -> None:
        barrier.wait()
        try:
            with parallel_sessions.begin() as s:
                revoke_certificate(s, serial=serial, reason="issued in error", actor=actor)
        except Exception as exc:  # pragma: no cover - shown by the assertion
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(c.serial,)) for c in certs]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    try:
        assert not errors, errors
        with get_sessionmaker().begin() as s:
            indexes = set(
                s.scalars(
                    select(Certificate.status_list_index).where(Certificate.serial.in_([c.serial for c in certs]))
                )
            )
            stored = json.loads(s.get(StatusList, 1).credential_json)  # type: ignore[union-attr]
        assert indexes <= rules.decode_status_list(stored["credentialSubject"]["encodedList"])
    finally:
        with get_sessionmaker().begin() as s:
            s.execute(delete(StatusList))
            s.execute(delete(AuditEvent).where(AuditEvent.actor_label == actor.label))
