"""The set-based SQL status engine equals the pure rule applied one requirement at a time, on random histories."""

from __future__ import annotations

import os
from datetime import date, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from app.clock import now_utc
from app.cohorts.models import Cohort, Enrolment
from app.completions.models import Completion
from app.compliance.models import RequirementRequest
from app.compliance.queries import status_query
from app.compliance.rules import Decision, RequirementFacts, status_as_of
from app.officials.models import Appointment, Requirement
from app.officials.rules import due_date_for
from tests.factories import make_official, make_programme

days = st.integers(min_value=0, max_value=3650)
BASE = date(2019, 1, 1)


def _d(n: int) -> date:
    return BASE + timedelta(days=n)


history = st.fixed_dictionaries(
    {
        "start": st.one_of(days, st.sampled_from([424, 1154, 1885])),  # include 29 Feb 2020/2022-ish edges
        "length": st.one_of(st.none(), st.integers(min_value=0, max_value=1200)),
        "validity": st.one_of(st.none(), st.integers(min_value=1, max_value=4)),
        "completions": st.lists(days, max_size=3),
        "extensions": st.lists(st.tuples(st.integers(min_value=1, max_value=500), days), max_size=2),
        "exemptions": st.lists(days, max_size=1),
        "enrolments": st.lists(
            st.tuples(days, st.integers(min_value=0, max_value=400), st.one_of(st.none(), days)), max_size=2
        ),
        "as_of": st.lists(days, min_size=1, max_size=4),
    }
)


@settings(
    max_examples=int(os.environ.get("LMS_PROPERTY_EXAMPLES", "60")),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(h=history)
def test_sql_engine_equals_the_pure_rule(db, h):
    nested = db.begin_nested()
    try:
        programme = make_programme(db, validity_years=h["validity"])
        official = make_official(db)
        start = _d(h["start"])
        end = start + timedelta(days=h["length"]) if h["length"] is not None else None
        now = now_utc()
        appointment = Appointment(
            official_id=official.id,
            authority_code="0031",
            role_code="treasurer",
            start_date=start,
            end_date=end,
            created_at=now,
        )
        db.add(appointment)
        db.flush()
        base_due = due_date_for(start)
        requirement = Requirement(
            appointment_id=appointment.id, programme_id=programme.id, due_date=base_due, created_at=now
        )
        db.add(requirement)
        db.flush()
        for n in h["completions"]:
            db.add(
                Completion(
                    official_id=official.id,
                    programme_id=programme.id,
                    completed_on=_d(n),
                    source="decision",
                    reason="x",
                    created_at=now,
                )
            )
        extensions = []
        for extra, decided in h["extensions"]:
            to = base_due + timedelta(days=extra)
            extensions.append(Decision(decided_on=_d(decided), new_due_date=to))
            db.add(
                RequirementRequest(
                    requirement_id=requirement.id,
                    kind="extension",
                    requested_due_date=to,
                    reason="x",
                    state="approved",
                    requested_by_label="t",
                    requested_at=now,
                    decided_on=_d(decided),
                    decided_at=now,
                )
            )
        exemptions = []
        for decided in h["exemptions"]:
            exemptions.append(Decision(decided_on=_d(decided)))
            db.add(
                RequirementRequest(
                    requirement_id=requirement.id,
                    kind="exemption",
                    reason_code="other",
                    reason="x",
                    state="approved",
                    requested_by_label="t",
                    requested_at=now,
                    decided_on=_d(decided),
                    decided_at=now,
                )
            )
        spans = []
        for i, (cohort_start, length, ended) in enumerate(h["enrolments"]):
            c_start = _d(cohort_start)
            cohort = Cohort(
                programme_id=programme.id,
                code=f"H{programme.id}-{i}",
                start_date=c_start,
                end_date=c_start + timedelta(days=length),
                capacity=10,
                state="open",
                min_attendance_pct=80,
                late_credit_pct=50,
                created_at=now,
                updated_at=now,
            )
            db.add(cohort)
            db.flush()
            ended_on = _d(ended) if ended is not None and _d(ended) >= c_start else None
            db.add(
                Enrolment(
                    cohort_id=cohort.id,
                    official_id=official.id,
                    status="withdrawn" if ended_on else "enrolled",
                    enrolled_on=c_start,
                    seated_on=c_start,
                    ended_on=ended_on,
                    created_at=now,
                    updated_at=now,
                )
            )
            spans.append((c_start, ended_on, cohort.end_date))
        db.flush()
        for n in h["as_of"]:
            as_of = _d(n)
            q = status_query(as_of).subquery()
            row = db.execute(select(q).where(q.c.id == requirement.id)).first()
            facts = RequirementFacts(
                appointment_start=start,
                appointment_end=end,
                due_date=base_due,
                validity_years=h["validity"],
                completions=tuple(_d(c) for c in h["completions"]),
                extensions=tuple(extensions),
                exemptions=tuple(exemptions),
                enrolled_cohort_ends=tuple(
                    e for s, ended_on, e in spans if s <= as_of and (ended_on is None or ended_on > as_of)
                ),
            )
            expected = status_as_of(facts, as_of)
            if not expected.exists:
                assert row is None
                continue
            got = (row.status, row.due_date, bool(row.due_soon), bool(row.late), row.completed_on)
            want = (expected.status, expected.due_date, expected.due_soon, expected.late, expected.completed_on)
            assert got == want, f"as of {as_of}: {h}"
    finally:
        nested.rollback()
