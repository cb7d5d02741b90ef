"""Fixtures of certificates: a closed cohort whose officials completed it, and an admin."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import date

import pytest
from sqlalchemy.orm import Session

from app.attendance.schemas import AttendanceIn
from app.attendance.service import close_cohort, record_attendance
from app.cohorts.models import Cohort, Enrolment
from app.cohorts.schemas import CohortCreate, SessionCreate
from app.cohorts.service import add_session, create_cohort, enrol_official
from app.officials.models import Official
from app.programmes.models import Programme
from app.programmes.schemas import ProgrammeCreate
from app.programmes.service import create_programme
from tests.factories import ACTOR, headers, make_appointment, make_official, make_user

_n = itertools.count(1)


@dataclass
class Closed:
    """A closed cohort: `completed` officials completed it, `failed` did not."""

    programme: Programme
    cohort: Cohort
    officials: list[Official]
    enrolments: list[Enrolment]
    failed: Enrolment


def make_closed_cohort(db: Session, *, people: int = 2, authority: str = "0031", actor=ACTOR) -> Closed:
    """A programme, a cohort of two sessions, `people` officials present at both and one absent; closed."""
    n = next(_n)
    programme = create_programme(
        db,
        data=ProgrammeCreate(
            code=f"CERT-{n}", kind="advanced", title_he="ניהול תקציב רשותי", title_en="Municipal budgeting", hours=24
        ),
        actor=actor,
    )
    cohort = create_cohort(
        db,
        data=CohortCreate(
            programme_code=programme.code,
            code=f"CERT-{n}-2025",
            start_date=date(2025, 1, 1),
            end_date=date(2025, 3, 31),
            capacity=people + 1,
        ),
        actor=actor,
    )
    sessions = [
        add_session(db, cohort_id=cohort.id, data=SessionCreate(date=d, hours=12), actor=actor).id
        for d in (date(2025, 1, 10), date(2025, 3, 20))
    ]
    officials = []
    for _ in range(people):
        o = make_official(db, first_name_he="נועה", last_name_he="ברק", first_name_en="Noa", last_name_en="Barak")
        make_appointment(db, o, authority=authority)
        officials.append(o)
    absent = make_official(db)
    enrolments = [enrol_official(db, cohort_id=cohort.id, official_id=o.id, actor=actor) for o in officials]
    failed = enrol_official(db, cohort_id=cohort.id, official_id=absent.id, actor=actor)
    for sid in sessions:
        records = [AttendanceIn(official_id=o.id, status="present") for o in officials]
        records.append(AttendanceIn(official_id=absent.id, status="absent"))
        record_attendance(db, session_id=sid, records=records, actor=actor)
    close_cohort(db, cohort_id=cohort.id, actor=actor)
    for e in [*enrolments, failed]:
        db.refresh(e)
    return Closed(programme=programme, cohort=cohort, officials=officials, enrolments=enrolments, failed=failed)


@pytest.fixture
def closed(db: Session) -> Closed:
    return make_closed_cohort(db)


@pytest.fixture
def admin(db: Session) -> dict[str, str]:
    return headers(make_user(db, "admin"))
