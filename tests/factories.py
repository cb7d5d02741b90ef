"""Small typed factories of test data, bearer headers for a user, and a signed-in browser."""

from __future__ import annotations

import itertools
import random
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from fastapi.testclient import TestClient
from pwdlib import PasswordHash
from sqlalchemy import event, select
from sqlalchemy.orm import Session

from app.accounts.models import User
from app.accounts.totp import encrypt_secret
from app.auth import Principal, create_token, operator
from app.clock import now_utc
from app.cohorts.models import Cohort, CohortSession
from app.completions.models import Completion
from app.notifications.models import OutboxMessage
from app.notifications.service import Attachment, NewMessage, Recipient, queue_message
from app.officials.models import Appointment, Official
from app.officials.rules import check_digit
from app.officials.schemas import AppointmentCreate, OfficialCreate
from app.officials.service import add_requirements_for_programme, create_appointment, create_official
from app.programmes.models import Programme
from app.programmes.schemas import ProgrammeCreate
from app.programmes.service import create_programme
from app.web.models import WebSession
from app.web.sessions import cookie_name, start_session

PASSWORD = "correct-horse-battery"
_HASH = PasswordHash.recommended().hash(PASSWORD)
_counter = itertools.count(1)
ACTOR: Principal = operator("test")


def national_id(seed: int | None = None) -> str:
    """A valid, unique-enough Israeli ID."""
    n = seed if seed is not None else random.randrange(10_000_000, 99_999_999)
    eight = f"{n:08d}"
    return eight + check_digit(eight)


def make_official(db: Session, **kw: object) -> Official:
    """An official with Hebrew names and a fresh valid ID."""
    n = next(_counter)
    data = {
        "national_id": national_id(),
        "first_name_he": "דנה",
        "last_name_he": f"כהן{'א' * (n % 5)}",
        "first_name_en": "Dana",
        "last_name_en": "Cohen",
        **kw,
    }
    return create_official(db, data=OfficialCreate(**data), actor=ACTOR)  # type: ignore[arg-type]


def make_appointment(
    db: Session,
    official: Official,
    *,
    authority: str = "0031",
    role: str = "treasurer",
    start: date = date(2024, 1, 1),
    end: date | None = None,
) -> Appointment:
    """An appointment of the official (Ofakim's treasurer from 1 Jan 2024 unless told otherwise)."""
    data = AppointmentCreate(authority_code=authority, role_code=role, start_date=start, end_date=end)
    return create_appointment(db, official_id=official.id, data=data, actor=ACTOR)


def make_programme(
    db: Session,
    *,
    code: str | None = None,
    kind: str = "mandatory",
    roles: list[str] | None = None,
    validity_years: int | None = None,
) -> Programme:
    """A programme; mandatory for the treasurer unless told otherwise."""
    data = ProgrammeCreate(
        code=code or f"P{next(_counter)}",
        kind=kind,
        title_he="הכשרת גזברים",  # type: ignore[arg-type]
        title_en="Treasurers' entry training",
        hours=120,
        role_codes=roles if roles is not None else (["treasurer"] if kind == "mandatory" else []),
        validity_years=validity_years,
    )
    programme = create_programme(db, data=data, actor=ACTOR)
    add_requirements_for_programme(db, programme_id=programme.id, actor=ACTOR)
    return programme


def make_completion(db: Session, official: Official, programme: Programme, on: date) -> Completion:
    """A completion recorded by decision."""
    c = Completion(
        official_id=official.id,
        programme_id=programme.id,
        completed_on=on,
        source="decision",
        reason="test",
        created_at=now_utc(),
    )
    db.add(c)
    db.flush()
    return c


TEST_TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


def make_user(
    db: Session,
    role: str,
    *,
    authority: str | None = None,
    official: Official | None = None,
    email: str | None = None,
    totp_secret: str | None = None,
) -> User:
    """A login of the role (a liaison of Ofakim, an official of a fresh person, unless told otherwise). An admin or
    an auditor has a second factor (TEST_TOTP_SECRET unless told otherwise), as their roles must; pass
    `totp_secret=""` for one without."""
    if role == "liaison" and authority is None:
        authority = "0031"
    if role == "official" and official is None:
        official = make_official(db)
    user = User(
        email=email or f"{role}{next(_counter)}@test.example",
        password_hash=_HASH,
        role=role,
        authority_code=authority if role == "liaison" else None,
        official_id=official.id if role == "official" and official else None,
        active=True,
        created_at=now_utc(),
    )
    if totp_secret is None and role in ("admin", "auditor"):
        totp_secret = TEST_TOTP_SECRET
    if totp_secret:
        user.totp_secret = encrypt_secret(totp_secret)
        user.totp_enrolled_at = now_utc()
        user.totp_recovery_hashes = []
    db.add(user)
    db.flush()
    return user


def headers(user: User) -> dict[str, str]:
    """Bearer headers for the user."""
    return {"Authorization": f"Bearer {token_for(user)}"}


def token_for(user: User) -> str:
    """A bearer token for the user as the account is now."""
    return create_token(user_id=user.id, role=user.role, version=user.token_version, key=user.token_key)


def sign_in(db: Session, client: TestClient, user: User) -> WebSession:
    """Sign the user in on the client's browser: a page session started, its id in the client's cookie jar."""
    token, record = start_session(db, user_id=user.id)
    client.cookies.set(cookie_name(), token)
    return record


@dataclass(frozen=True)
class Certified:
    """An official who attended the one session of a cohort, closed and certified."""

    cohort: Cohort
    meeting: CohortSession
    enrolment_id: int
    serial: str


def make_certified(db: Session, official: Official, *, start: date, hours: float = 3) -> Certified:
    """The official completes a cohort of a new advanced programme that starts on `start` (one session of `hours`
    ten days in, attended), the cohort is closed, and the certificate issued."""
    from app.attendance.schemas import AttendanceIn
    from app.attendance.service import close_cohort, record_attendance
    from app.certificates.service import issue_certificate
    from app.cohorts.schemas import CohortCreate, SessionCreate
    from app.cohorts.service import add_session, create_cohort, enrol_official

    programme = make_programme(db, kind="advanced")
    cohort = create_cohort(
        db,
        data=CohortCreate(
            programme_code=programme.code,
            code=f"{programme.code}-A",
            start_date=start,
            end_date=start + timedelta(days=58),
            capacity=10,
        ),
        actor=ACTOR,
    )
    meeting = add_session(
        db, cohort_id=cohort.id, data=SessionCreate(date=start + timedelta(days=9), hours=hours), actor=ACTOR
    )
    enrolment = enrol_official(db, cohort_id=cohort.id, official_id=official.id, actor=ACTOR)
    present = [AttendanceIn(official_id=official.id, status="present")]
    record_attendance(db, session_id=meeting.id, records=present, actor=ACTOR)
    close_cohort(db, cohort_id=cohort.id, actor=ACTOR)
    serial = issue_certificate(db, enrolment_id=enrolment.id, actor=ACTOR)[0].serial
    return Certified(cohort, meeting, enrolment.id, serial)


@contextmanager
def counting_statements(db: Session) -> Iterator[list[str]]:
    """The SQL statements the session's engine runs inside the block, in order."""
    statements: list[str] = []

    def _count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement)

    engine = db.get_bind()
    event.listen(engine, "before_cursor_execute", _count)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", _count)


# What an enrolment message is written from (templates/email/enrolment.*).
ENROLMENT_MAIL = {
    "programme": "הכשרת גזברים",
    "cohort": "מחזור א׳",
    "starts_on": date(2027, 1, 10),
    "status": "enrolled",
}
MAIL_ERROR = "550 5.1.1 mailbox unavailable"


def make_message(
    db: Session,
    *,
    key: str,
    email: str = "dana@example.org",
    name: str = "דנה כהן",
    state: str = "queued",
    official_id: int | None = None,
    attachments: tuple[Attachment, ...] = (),
    **context: object,
) -> OutboxMessage:
    """An enrolment message queued to the address, then put in the state: `sent` once, or `failed` after eight tries
    with MAIL_ERROR."""
    to = Recipient(email=email, name=name, official_id=official_id)
    message = NewMessage(kind="enrolment", key=key, to=to, context=ENROLMENT_MAIL | context, attachments=attachments)
    queue_message(db, message)
    row = db.scalars(select(OutboxMessage).where(OutboxMessage.key == key)).one()
    if state == "sent":
        row.state, row.attempts, row.sent_at = "sent", 1, row.created_at
    elif state == "failed":
        row.state, row.attempts, row.last_error = "failed", 8, MAIL_ERROR
    db.flush()
    return row


@contextmanager
def trail_removed() -> Iterator[None]:
    """The audit trail written while the block runs, deleted after it: for a test that commits records on
    connections of its own and deletes them after. A deleted record's id is given again, and its trail must not
    follow the next record that gets it. (Each parallel worker has a database of its own.)"""
    from sqlalchemy import delete, func

    from app.audit.models import AuditEvent
    from app.db import get_sessionmaker

    with get_sessionmaker().begin() as s:
        before = s.scalar(select(func.max(AuditEvent.id))) or 0
    try:
        yield
    finally:
        with get_sessionmaker().begin() as s:
            s.execute(delete(AuditEvent).where(AuditEvent.id > before))
