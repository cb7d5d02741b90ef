"""The compliance trend (month by month, as of each month's end) and the data version that keeps its cache honest."""

from __future__ import annotations

import threading
from datetime import date, timedelta

import pytest
from sqlalchemy import select, update

from app.auth import Principal, operator
from app.authorities.models import Authority
from app.clock import today
from app.completions.rules import CompletionSource
from app.completions.service import record_completion
from app.compliance import selectors, trend
from app.compliance.models import RequirementRequest
from app.compliance.rules import RequirementStatus, on_time_rate
from app.compliance.selectors import Filters
from app.compliance.service import decide_request, request_exemption, request_extension
from app.data_version import CACHE, DataVersion, cached, current, touch
from app.db import get_sessionmaker
from app.officials.models import Appointment, Official, Requirement
from tests.factories import (
    counting_statements,
    make_appointment,
    make_completion,
    make_official,
    make_programme,
    make_user,
)

AUDITOR = Principal(user_id=None, label="auditor", role="auditor")
LIAISON = Principal(user_id=None, label="liaison", role="liaison", authority_code="0031")
ADMIN = operator("test")
AS_OF = date(2026, 1, 15)


@pytest.fixture(autouse=True)
def _empty_cache():
    CACHE.clear()
    yield
    CACHE.clear()


@pytest.fixture
def world(db):
    """Ofakim (0031, Southern) and Nahal Soreq (31, Central), treasurers and an internal auditor, over 2023-2025."""
    p = make_programme(db, code="TREAS")
    make_programme(db, code="AUD", roles=["internal_auditor"])
    people = {}

    def person(key, authority, start, end=None, done=None, role="treasurer"):
        o = make_official(db)
        make_appointment(db, o, authority=authority, start=start, end=end, role=role)
        if done:
            make_completion(db, o, p, done)
        people[key] = o

    person("on_time", "0031", date(2023, 1, 1), done=date(2024, 6, 1))
    person("late", "0031", date(2023, 1, 1), done=date(2025, 6, 1))
    person("overdue", "0031", date(2023, 6, 1))
    person("soon", "0031", date(2024, 2, 15))
    person("closed", "0031", date(2023, 1, 1), end=date(2024, 1, 1))
    person("soreq_overdue", "31", date(2023, 2, 1))
    person("soreq_new", "31", date(2025, 6, 1))
    person("auditor", "31", date(2023, 3, 1), role="internal_auditor")
    db.commit()
    people["programme"] = p
    return people


def _summary_total(db, day, filters, actor):
    rows = selectors.summary(db, as_of=day, group_by=[], filters=filters, actor=actor)
    counts = {k: getattr(rows[0], k) for k in selectors.COUNTS} if rows else dict.fromkeys(selectors.COUNTS, 0)
    return (day, counts["required"], counts["overdue"], counts["completed_on_time"], on_time_rate(counts))


def _figures(points):
    return [(p.as_of, p.required, p.overdue, p.completed_on_time, p.on_time_rate) for p in points]


def _requirement_of(db, official):
    return db.scalar(select(Requirement).join(Appointment).where(Appointment.official_id == official.id))


def test_the_dates_are_month_ends_then_the_day_itself():
    days = trend.trend_dates(date(2026, 3, 15))
    assert len(days) == 24
    assert days[0] == date(2024, 4, 30) and days[-2] == date(2026, 2, 28) and days[-1] == date(2026, 3, 15)
    assert days[:3] == [date(2024, 4, 30), date(2024, 5, 31), date(2024, 6, 30)]
    on_a_month_end = trend.trend_dates(date(2024, 2, 29), months=3)
    assert on_a_month_end == [date(2023, 12, 31), date(2024, 1, 31), date(2024, 2, 29)]


def test_on_time_rate_leaves_exempt_requirements_out():
    counts = {"required": 10, "exempt": 2, "completed_on_time": 6}
    assert on_time_rate(counts) == 0.75
    assert on_time_rate({"required": 2, "exempt": 2, "completed_on_time": 0}) is None
    assert on_time_rate({"required": 0, "exempt": 0, "completed_on_time": 0}) is None


@pytest.mark.parametrize(
    ("filters", "actor"),
    [
        (Filters(), AUDITOR),
        (Filters(district="Southern"), AUDITOR),
        (Filters(authority="31"), AUDITOR),
        (Filters(role="internal_auditor"), AUDITOR),
        (Filters(programme="TREAS", district="central"), AUDITOR),
        (Filters(), LIAISON),
        (Filters(authority="31"), LIAISON),
        (Filters(status=RequirementStatus.OVERDUE), AUDITOR),
        (Filters(late=True, district="Southern"), LIAISON),
    ],
)
def test_each_point_is_the_summary_as_of_its_date(db, world, filters, actor):
    points = trend.monthly(db, as_of=AS_OF, filters=filters, actor=actor)
    assert [p.as_of for p in points] == trend.trend_dates(AS_OF)
    assert _figures(points) == [_summary_total(db, p.as_of, filters, actor) for p in points]
    for day in (date(2023, 12, 31), date(2024, 6, 1), date(2025, 12, 31)):
        (one,) = trend.monthly(db, as_of=day, filters=filters, actor=actor, months=1)
        assert _figures([one]) == [_summary_total(db, day, filters, actor)]


def test_the_figures_move_as_the_months_pass(db, world):
    by_day = {p.as_of: p for p in trend.monthly(db, as_of=AS_OF, filters=Filters(), actor=AUDITOR)}
    early, late = by_day[date(2024, 2, 29)], by_day[AS_OF]
    # Feb 2024: six in force (the closed one ended on 1 Jan, one starts in 2025), nothing due yet.
    assert (early.required, early.overdue, early.completed_on_time) == (6, 0, 0)
    assert early.on_time_rate == 0.0
    # Jan 2026: seven in force; one on time, one late; overdue: two treasurers and the internal auditor.
    assert (late.required, late.overdue, late.completed_on_time) == (7, 3, 1)
    assert late.on_time_rate == round(1 / 7, 4)


def test_a_liaison_sees_only_their_authority(db, world):
    mine = trend.monthly(db, as_of=AS_OF, filters=Filters(), actor=LIAISON)[-1]
    ofakim = trend.monthly(db, as_of=AS_OF, filters=Filters(authority="0031"), actor=AUDITOR)[-1]
    assert _figures([mine]) == _figures([ofakim])
    assert trend.monthly(db, as_of=AS_OF, filters=Filters(authority="31"), actor=LIAISON)[-1].required == 0


def test_a_cached_trend_runs_one_statement(db, world, monkeypatch):
    first = trend.monthly(db, as_of=AS_OF, filters=Filters(), actor=AUDITOR)
    with counting_statements(db) as statements:
        again = trend.monthly(db, as_of=AS_OF, filters=Filters(), actor=AUDITOR)
    assert again == first
    assert len(statements) == 1 and "data_versions" in statements[0]
    # A month later, the 22 month-ends already computed are found; January's end and the day are computed together.
    computed = []
    real = trend.compute

    def spy(db, *, days, filters, actor):
        computed.append(days)
        return real(db, days=days, filters=filters, actor=actor)

    monkeypatch.setattr(trend, "compute", spy)
    with counting_statements(db) as statements:
        later = trend.monthly(db, as_of=AS_OF + timedelta(days=31), filters=Filters(), actor=AUDITOR)
    assert computed == [[date(2026, 1, 31), date(2026, 2, 15)]] and len(statements) == 2
    assert later[:22] == first[1:23]
    # Another scope, or other filters, is another entry: the 24 points in one statement.
    with counting_statements(db) as statements:
        trend.monthly(db, as_of=AS_OF, filters=Filters(), actor=LIAISON)
    assert len(computed[-1]) == 24 and len(statements) == 2


def test_cached_computes_once_for_each_version(db, world):
    calls = []

    def compute():
        calls.append(1)
        return len(calls)

    assert cached(db, "k", compute) == 1 and cached(db, "k", compute) == 1 and len(calls) == 1
    touch(db)
    assert cached(db, "k", compute) == 2  # uncommitted writes: computed afresh and not kept
    db.commit()
    assert cached(db, "k", compute) == 3 and cached(db, "k", compute) == 3


def _latest(db, filters=Filters(), actor=AUDITOR, as_of=AS_OF):
    return trend.monthly(db, as_of=as_of, filters=filters, actor=actor)


def _changes(db, write, *, as_of=AS_OF):
    """The trend before and after a committed write, and the fresh summaries after it."""
    before = _figures(_latest(db, as_of=as_of))
    assert _figures(_latest(db, as_of=as_of)) == before  # now cached
    version = current(db)
    write()
    db.commit()
    assert current(db)[0] == version[0] + 1 and current(db)[1] != version[1]
    after = _figures(_latest(db, as_of=as_of))
    assert after == [_summary_total(db, p[0], Filters(), AUDITOR) for p in after]
    assert after != before
    return before, after


def test_an_appointment_added_changes_the_next_answer(db, world):
    def write():
        make_appointment(db, make_official(db), authority="0031", start=date(2023, 1, 1))

    before, after = _changes(db, write)
    assert after[-1][1] == before[-1][1] + 1 and after[-1][2] == before[-1][2] + 1


def test_a_completion_recorded_changes_the_next_answer(db, world):
    def write():
        record_completion(
            db,
            official_id=world["overdue"].id,
            programme_id=world["programme"].id,
            completed_on=date(2024, 3, 1),
            source=CompletionSource.DECISION,
            reason="paper records",
            actor=ADMIN,
        )

    before, after = _changes(db, write)
    assert after[-1][2] == before[-1][2] - 1 and after[-1][3] == before[-1][3] + 1


def test_a_back_dated_extension_decision_changes_the_past(db, world):
    today_ = today()
    official = make_official(db)
    make_appointment(db, official, authority="0031", start=today_ - timedelta(days=750))  # due about 20 days ago
    db.commit()
    requirement = _requirement_of(db, official)
    assert requirement.due_date < today_ - timedelta(days=10)

    def write():
        r = request_extension(
            db,
            requirement_id=requirement.id,
            requested_due_date=requirement.due_date + timedelta(days=150),
            reason="surgery",
            actor=ADMIN,
        )
        filed = today_ - timedelta(days=40)
        db.execute(update(RequirementRequest).where(RequirementRequest.id == r.id).values(requested_at=_noon(filed)))
        decide_request(db, request_id=r.id, approve=True, note="", decided_on=filed, actor=ADMIN)

    as_of = today_
    before, after = _changes(db, write, as_of=as_of)
    assert after[-1][2] == before[-1][2] - 1


def test_an_exemption_and_an_official_changed_each_change_the_version(db, world):
    requirement = _requirement_of(db, world["soreq_overdue"])

    def write():
        r = request_exemption(db, requirement_id=requirement.id, reason_code="other", reason="x", actor=ADMIN)
        decide_request(db, request_id=r.id, approve=True, note="", decided_on=None, actor=ADMIN)

    before, after = _changes(db, write, as_of=today())
    assert after[-1][2] == before[-1][2] - 1
    version = current(db)
    official = db.get(Official, world["soon"].id)
    official.first_name_en = "Dina"
    db.commit()
    assert current(db)[0] == version[0] + 1


def test_writes_no_report_reads_leave_the_version(db, world):
    version = current(db)
    make_user(db, "auditor")  # an account: no figure of a report changes
    db.commit()
    assert current(db) == version
    db.commit()  # nothing written
    assert current(db) == version


def _noon(day):
    from datetime import datetime, time
    from zoneinfo import ZoneInfo

    return datetime.combine(day, time(12), tzinfo=ZoneInfo("Asia/Jerusalem"))


def test_parallel_bumps_on_their_own_connections_lose_none(database):
    """Two connections write and bump at once, each committing many transactions: every bump counts, and none
    deadlocks."""
    if database != "postgresql":
        pytest.skip("the row lock under parallel transactions is PostgreSQL's")
    factory = get_sessionmaker()
    with factory() as s:
        start = s.scalar(select(DataVersion.version))
    rounds, errors = 25, []
    barrier = threading.Barrier(2)

    def work(code):
        try:
            barrier.wait(timeout=10)
            for _ in range(rounds):
                with factory() as s:
                    s.execute(select(DataVersion.version))  # each reads first, then writes: the racing pattern
                    # A write of report data (an authority's row locked, its name left as it is), then the bump.
                    s.execute(update(Authority).where(Authority.code == code).values(name_en=Authority.name_en))
                    s.commit()
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(code,)) for code in ("0031", "31")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not errors and not any(t.is_alive() for t in threads)
    with factory() as s:
        assert s.scalar(select(DataVersion.version)) == start + 2 * rounds


def _bumps(db, write):
    db.commit()
    version = current(db)
    write()
    db.commit()
    return current(db)[0] - version[0]


def test_every_kind_of_record_a_report_reads_bumps_the_version(db, world):
    from app.attendance.models import AttendanceRecord
    from app.cohorts.models import Cohort, Enrolment
    from app.programmes.models import Programme
    from tests.factories import make_certified

    certified = make_certified(db, world["on_time"], start=date(2025, 1, 5))
    db.commit()
    enrolment = db.get(Enrolment, certified.enrolment_id)
    writes = {
        "authority renamed": lambda: setattr(db.get(Authority, "0031"), "name_en", "Ofakim!"),
        "programme changed": lambda: setattr(db.get(Programme, world["programme"].id), "validity_years", 4),
        "cohort moved": lambda: setattr(db.get(Cohort, certified.cohort.id), "end_date", date(2025, 3, 30)),
        "enrolment ended": lambda: setattr(enrolment, "ended_on", date(2025, 2, 1)),
        "attendance changed": lambda: setattr(
            db.scalar(select(AttendanceRecord).where(AttendanceRecord.session_id == certified.meeting.id)),
            "status",
            "absent",
        ),
        "requirement deleted": lambda: db.delete(_requirement_of(db, world["closed"])),
    }
    assert {name: _bumps(db, write) for name, write in writes.items()} == dict.fromkeys(writes, 1)
