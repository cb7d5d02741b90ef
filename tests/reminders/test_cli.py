"""`lms reminders run --as-of DATE`: decides and queues what the daily job would on that day, prints the counts by
kind, and a second run queues nothing new (the command commits on its own session, so the data is committed here
and removed after)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import date

import pytest
from sqlalchemy import delete, select
from typer.testing import CliRunner

from app.cli import cli
from app.db import get_sessionmaker
from app.notifications.models import OutboxMessage
from app.officials.models import Appointment, Official, Requirement
from app.programmes.models import Programme, ProgrammeRole
from tests.factories import make_appointment, make_official, make_programme, trail_removed


@pytest.fixture
def committed(database: str) -> Iterator[dict[str, int]]:
    """An official with an email address who owes a programme due on 1 January 2026, committed."""
    with trail_removed():
        tag = uuid.uuid4().hex[:8]
        with get_sessionmaker().begin() as s:
            programme = make_programme(s, code=f"CLI-{tag}", roles=["hr_manager"])
            official = make_official(s, email=f"cli-{tag}@example.org")
            appointment = make_appointment(s, official, role="hr_manager", start=date(2024, 1, 1))
            requirement = s.scalar(select(Requirement).where(Requirement.appointment_id == appointment.id))
            assert requirement is not None
            ids = {
                "programme": programme.id,
                "official": official.id,
                "appointment": appointment.id,
                "requirement": requirement.id,
            }
        yield ids
        with get_sessionmaker().begin() as s:
            s.execute(delete(OutboxMessage).where(OutboxMessage.official_id == ids["official"]))
            s.execute(delete(Requirement).where(Requirement.id == ids["requirement"]))
            s.execute(delete(Appointment).where(Appointment.id == ids["appointment"]))
            s.execute(delete(Official).where(Official.id == ids["official"]))
            s.execute(delete(ProgrammeRole).where(ProgrammeRole.programme_id == ids["programme"]))
            s.execute(delete(Programme).where(Programme.id == ids["programme"]))


def test_run_as_of_a_date_then_again(committed: dict[str, int]) -> None:
    first = CliRunner().invoke(cli, ["reminders", "run", "--as-of", "2025-10-02"])
    assert first.exit_code == 0, first.output
    assert "reminders as of 2025-10-02" in first.output
    assert any(line.split()[:5] == ["deadline", "due", "1", "queued", "1"] for line in first.output.splitlines())
    with get_sessionmaker()() as s:
        keys = list(s.scalars(select(OutboxMessage.key).where(OutboxMessage.official_id == committed["official"])))
    assert keys == [f"deadline:{committed['requirement']}:before-3m:2026-01-01"]
    second = CliRunner().invoke(cli, ["reminders", "run", "--as-of", "2025-10-02"])
    assert second.exit_code == 0, second.output
    assert "queued 0 new message(s)" in second.output


def test_a_bad_date_is_refused() -> None:
    result = CliRunner().invoke(cli, ["reminders", "run", "--as-of", "2025-13-40"])
    assert result.exit_code == 2 and "--as-of" in result.output


def test_the_daily_run_and_the_weekly_digests_are_scheduled_in_the_schools_morning() -> None:
    from datetime import datetime

    from app import jobs

    jobs.load()
    assert {"reminders.run", "reminders.digests"} <= set(jobs.periodic()) <= set(jobs.declared())
    queue = jobs.get_queue()
    # 07:00 in Jerusalem in winter is 05:00 UTC; 1 December 2024 was a Sunday, 2 December a Monday. (The outbox is
    # sent every minute.)

    def due(minute: datetime) -> set[str]:
        return {type(t).__name__ for t in queue.read_periodic(minute)} - {"notifications.send_outbox"}

    assert due(datetime(2024, 12, 2, 5, 0)) == {"reminders.run"}
    assert due(datetime(2024, 12, 1, 5, 30)) == {"reminders.digests"}
    assert due(datetime(2024, 12, 2, 5, 30)) == set()


def test_a_bad_schedule_in_the_settings_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    from app.config import get_settings

    monkeypatch.setattr(get_settings(), "reminder_months_before", "6,x")
    result = CliRunner().invoke(cli, ["reminders", "run", "--as-of", "2025-10-02"])
    assert result.exit_code == 2 and "LMS_REMINDER_MONTHS_BEFORE='6,x'" in result.output
