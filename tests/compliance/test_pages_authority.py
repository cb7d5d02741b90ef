"""The compliance lists in the browser: the requirements behind a figure (filters named and cleared one by one, sorted,
paged), one authority (heading, counts by status and by role, its officials' requirements, its requests pending
first, its files), officials at risk (days left, an open cohort's seat) and the seats programmes need; each in Hebrew
and English, with CSV and XLSX of the same rows in the page's language; a liaison sees their own authority only
(another is 404, seat demand 403); the pages run as many statements for 10 officials as for 1."""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from datetime import date, timedelta

import openpyxl
from dateutil.relativedelta import relativedelta
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.auth import operator
from app.clock import today
from app.cohorts.schemas import CohortCreate
from app.cohorts.service import create_cohort
from app.compliance import service as compliance
from app.officials.models import Official, Requirement
from app.programmes.models import Programme
from tests.factories import (
    counting_statements,
    make_appointment,
    make_completion,
    make_official,
    make_programme,
    make_user,
    sign_in,
)

ACTOR = operator("test")


@dataclass
class Seeded:
    programme: Programme
    overdue: list[Official]  # Ofakim's treasurers overdue (due a year ago)
    soon: Official  # Ofakim's treasurer due in about 30 days, not enrolled
    done: Official  # Ofakim's treasurer who completed
    elsewhere: Official  # Tel Aviv's treasurer, overdue


def _requirement_of(db: Session, appointment_id: int) -> Requirement:
    found = db.scalars(select(Requirement).where(Requirement.appointment_id == appointment_id)).first()
    assert found is not None
    return found


def seed(db: Session, *, overdue: int = 1, code: str = "TRE-PG") -> Seeded:
    """A treasurers' programme and officials of every standing in Ofakim (0031), and one overdue in Tel Aviv."""
    programme = make_programme(db, code=code)
    late = []
    for i in range(overdue):
        o = make_official(db, first_name_he="אבי", last_name_he=f"מאחר{'א' * i}")
        make_appointment(db, o, start=today() - relativedelta(years=3) + timedelta(days=i))
        late.append(o)
    soon = make_official(db, first_name_he="שירה", last_name_he="קרובה")
    make_appointment(db, soon, start=today() - relativedelta(months=24) + timedelta(days=30))
    done = make_official(db, first_name_he="גל", last_name_he="גומר")
    make_appointment(db, done, start=date(2024, 1, 1))
    make_completion(db, done, programme, date(2024, 6, 1))
    elsewhere = make_official(db, first_name_he="רון", last_name_he="תלאביבי")
    make_appointment(db, elsewhere, authority="5000", start=today() - relativedelta(years=3))
    db.flush()
    return Seeded(programme, late, soon, done, elsewhere)


def _auditor(db: Session, client: TestClient) -> None:
    sign_in(db, client, make_user(db, "auditor"))


def _rows(html: str) -> list[str]:
    """The official ids of a list's rows, in order."""
    return re.findall(r'<tr data-requirement-id="\d+" data-official-id="(\d+)"', html)


def test_smoke(db: Session, client: TestClient) -> None:
    s = seed(db)
    _auditor(db, client)
    for path in (
        "/compliance/requirements",
        "/compliance/requirements?status=overdue&district=Southern",
        "/compliance/authorities/0031",
        "/compliance/at-risk",
        "/compliance/seat-demand",
        "/compliance/requirements.csv?status=overdue",
        "/compliance/requirements.xlsx",
        "/compliance/at-risk.csv",
        "/compliance/seat-demand.csv",
    ):
        for lang in ("he", "en"):
            r = client.get(path + ("&" if "?" in path else "?") + f"lang={lang}")
            assert r.status_code == 200, (path, r.text[:3000])
