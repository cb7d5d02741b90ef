"""The school's home, `/admin`: each kind of work waiting (sessions without attendance today and in the past week,
cohorts to close, cohorts filling up or with a waitlist, requests pending for long, certificates whose rendering
failed) listed with its count and its link, in both languages; empty states in words; the same number of
statements for 1 or 10 items of each kind."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from app.certificates.models import Certificate
from app.clock import now_utc, today
from app.cohorts.schemas import CohortCreate, SessionCreate
from app.cohorts.service import add_session, create_cohort, enrol_official
from app.compliance.service import request_extension
from app.imports.service import check_officials_file
from app.officials.models import Requirement
from app.programmes.models import Programme
from tests.factories import (
    ACTOR,
    counting_statements,
    make_appointment,
    make_certified,
    make_official,
    make_programme,
    make_user,
    sign_in,
)

# The kinds of work the home lists (and the week's sessions without attendance, of which `_work` makes one each).
KINDS = ("sessions_today", "to_close", "filling", "pending", "failed_certificates", "refused_imports")


def _work(db: Session, n: int) -> None:
    """n items of each kind the home lists."""
    day = today()
    mandatory = db.scalar(select(Programme).where(Programme.code == "HOME-M")) or make_programme(db, code="HOME-M")
    for _ in range(n):
        programme = make_programme(db, kind="advanced")
        # A cohort of one seat with two officials (one waiting), a session today and one three days ago.
        full = create_cohort(
            db,
            data=CohortCreate(
                programme_code=programme.code,
                code=f"{programme.code}-F",
                start_date=day - timedelta(days=10),
                end_date=day + timedelta(days=30),
                capacity=1,
            ),
            actor=ACTOR,
        )
        add_session(db, cohort_id=full.id, data=SessionCreate(date=day, hours=3), actor=ACTOR)
        add_session(db, cohort_id=full.id, data=SessionCreate(date=day - timedelta(days=3), hours=2), actor=ACTOR)
        for _ in range(2):
            enrol_official(db, cohort_id=full.id, official_id=make_official(db).id, actor=ACTOR)
        # A cohort whose last session was a month ago, not closed.
        over = create_cohort(
            db,
            data=CohortCreate(
                programme_code=programme.code,
                code=f"{programme.code}-O",
                start_date=day - timedelta(days=60),
                end_date=day - timedelta(days=20),
                capacity=10,
            ),
            actor=ACTOR,
        )
        add_session(db, cohort_id=over.id, data=SessionCreate(date=day - timedelta(days=30), hours=2), actor=ACTOR)
        # A request for an extension sent three weeks ago, still pending.
        official = make_official(db)
        appointment = make_appointment(db, official, start=day - timedelta(days=100))
        requirement = db.scalars(
            select(Requirement).where(
                Requirement.appointment_id == appointment.id, Requirement.programme_id == mandatory.id
            )
        ).one()
        sent = request_extension(
            db,
            requirement_id=requirement.id,
            requested_due_date=requirement.due_date + timedelta(days=60),
            reason="מילואים",
            actor=ACTOR,
        )
        sent.requested_at = now_utc() - timedelta(days=21)
        # A certificate issued two hours ago whose PDF was never rendered.
        certified = make_certified(db, make_official(db), start=day - timedelta(days=90))
        db.execute(
            update(Certificate)
            .where(Certificate.serial == certified.serial)
            .values(issued_at=now_utc() - timedelta(hours=2), pdf_sha256=None)
        )
        # A file of officials checked with a refused row (an ID that fails its check digit), not fixed since.
        check_officials_file(db, content=b"national_id\n123456789\n", filename=f"{programme.code}.csv", actor=ACTOR)
    db.flush()


def _admin(db: Session, client: TestClient) -> None:
    sign_in(db, client, make_user(db, "admin"))


def test_the_home_lists_each_kind_of_work_with_its_count_and_link_in_both_languages(
    db: Session, client: TestClient
) -> None:
    _work(db, 1)
    _admin(db, client)
    page = client.get("/admin")
    assert page.status_code == 200, page.text
    html = page.text
    assert '<html lang="he" dir="rtl">' in html
    for kind in (
        "sessions_today",
        "sessions_past",
        "to_close",
        "filling",
        "pending",
        "failed_certificates",
        "refused_imports",
    ):
        section = html.split(f'data-todo="{kind}"')[1].split("</section>")[0]
        assert 'data-count="1"' in section, kind
    assert "/attendance" in html and "/close" in html and 'href="/admin/cohorts/' in html
    assert "ממתין/ה אחד/ת" in html  # the waitlist
    assert "בקשת הארכה" in html and "ממתינה 21 ימים" in html
    assert 'data-certificate-status="valid"' in html
    assert 'href="/admin/imports/' in html and "שורה אחת נדחתה" in html
    english = client.get("/admin?lang=en").text
    assert '<html lang="en" dir="ltr">' in english
    assert "What needs doing now" in english and "Cohorts to close" in english


def test_an_empty_home_says_so_in_words(db: Session, client: TestClient) -> None:
    _admin(db, client)
    html = client.get("/admin").text
    assert html.count('data-count="0"') == 8
    assert "אין מחזור שמחכה לסגירה." in html and "כל התעודות הופקו." in html


def test_the_home_answers_in_the_same_number_of_statements_for_1_or_10_of_each(
    db: Session, client: TestClient, callers_read_each_time
) -> None:
    _admin(db, client)
    _work(db, 1)
    with counting_statements(db) as one:
        assert client.get("/admin").status_code == 200
    _work(db, 9)
    with counting_statements(db) as ten:
        html = client.get("/admin").text
    for kind in KINDS:
        section = html.split(f'data-todo="{kind}"')[1].split("</section>")[0]
        assert 'data-count="10"' in section, kind
    assert len(ten) == len(one), (len(one), len(ten))
