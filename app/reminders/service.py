"""The reminders' writes: deciding, on a run as of a date, which reminders are due (rule 9) and queueing them in bulk
(requirements' deadlines, cohorts' sessions, communities' meetings); the weekly digests; and the announcement of a
cohort that opens. Sending is the outbox's (app/notifications): everything here only queues, and every message has a
key, so a second run, a second worker or a retried job queues nothing twice."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from itertools import islice
from typing import Any, Protocol, TypeVar

from sqlalchemy.orm import Session

from app.clock import now_utc, today
from app.cohorts.rules import CohortState
from app.cohorts.service import get_cohort, session_meeting
from app.compliance.rules import RequirementStatus
from app.config import get_settings
from app.notifications.calendar import REQUEST, ics_attachment
from app.notifications.service import Attachment, NewMessage, Recipient, absolute_link, queue_messages
from app.reminders import selectors
from app.reminders.rules import (
    SESSION_DAYS_BEFORE,
    Milestone,
    Schedule,
    deadline_key,
    deadline_reminder,
    parse_months,
    session_reminder,
)
from app.school.selectors import school_home

# Messages are queued this many at a time: one queue_messages call (a few statements) per chunk.
CHUNK = 1000
# The digests list this many items of each kind (the count says how many there are in all).
DIGEST_SHOWN = 20
# The weekly digests go on this day of the week (Monday 0 ... Sunday 6): Sunday, the first working day in Israel.
DIGEST_WEEKDAY = 6


@dataclass
class RunReport:
    """What a run decided: the messages due by kind, those of them queued now (the rest were queued before), and
    the officials owed a reminder who have no email address (by id)."""

    as_of: date
    due: Counter[str] = field(default_factory=Counter)
    queued: Counter[str] = field(default_factory=Counter)
    unreachable: set[int] = field(default_factory=set)

    @property
    def without_email(self) -> int:
        """How many officials were owed a reminder but have no email address."""
        return len(self.unreachable)

    def add(self, other: RunReport) -> None:
        self.due.update(other.due)
        self.queued.update(other.queued)
        self.unreachable |= other.unreachable


def current_schedule() -> Schedule:
    """The reminder schedule of the settings (LMS_REMINDER_MONTHS_BEFORE, _OVERDUE_EVERY_MONTHS, _GRACE_DAYS)."""
    settings = get_settings()
    try:
        months_before = parse_months(settings.reminder_months_before)
    except ValueError as exc:
        raise ValueError(f"LMS_REMINDER_MONTHS_BEFORE={settings.reminder_months_before!r}: {exc}") from exc
    return Schedule(
        months_before=months_before,
        overdue_every_months=settings.reminder_overdue_every_months,
        grace_days=settings.reminder_grace_days,
    )


def _chunks(items: Iterable[NewMessage]) -> Iterator[list[NewMessage]]:
    it = iter(items)
    while chunk := list(islice(it, CHUNK)):
        yield chunk


def _queue(db: Session, report: RunReport, messages: list[NewMessage]) -> None:
    """Queue the messages in chunks, counting them by kind: all of them as due, the new ones as queued."""
    by_kind: dict[str, list[NewMessage]] = defaultdict(list)
    for m in messages:
        by_kind[m.kind].append(m)
    for kind, batch in sorted(by_kind.items()):
        report.due[kind] += len(batch)
        for chunk in _chunks(batch):
            report.queued[kind] += queue_messages(db, chunk)


def _milestone_context(milestone: Milestone) -> dict[str, Any]:
    """What a deadline reminder says of its milestone: before the due date (how many months), the day it became
    overdue, or still overdue."""
    if not milestone.overdue:
        return {"milestone": "before", "months": milestone.months_before}
    return {"milestone": "overdue" if milestone.name == "overdue" else "still_overdue", "months": 0}


def queue_deadline_reminders(db: Session, *, as_of: date, schedule: Schedule | None = None) -> RunReport:
    """The deadline reminders due on a run as of the date (rule 9), to each official with an email address, and
    the overdue ones copied to the liaisons of the official's authority."""
    schedule = schedule or current_schedule()
    report = RunReport(as_of=as_of)
    due: list[tuple[selectors.OpenRequirement, Milestone]] = []
    for row in selectors.open_requirements(db, as_of=as_of):
        milestone = deadline_reminder(row.due_date, as_of=as_of, schedule=schedule)
        if milestone is not None:
            due.append((row, milestone))
    overdue_codes = {row.authority_code for row, m in due if m.overdue}
    liaisons = selectors.liaisons_of(db, authority_codes=overdue_codes)
    names = selectors.authority_names(db, codes=overdue_codes)
    messages: list[NewMessage] = []
    for row, milestone in due:
        key = deadline_key(row.requirement_id, milestone, row.due_date)
        context = {
            "programme": row.programme.both(),
            "due_on": row.due_date,
            "link": absolute_link("/me"),
            **_milestone_context(milestone),
        }
        to = row.recipient()
        if to is None:
            report.unreachable.add(row.official_id)
        else:
            messages.append(NewMessage(kind="deadline", key=key, to=to, context=context))
        if not milestone.overdue:
            continue
        copy = {
            **context,
            "official": row.official_name,
            "authority": names[row.authority_code].both(),
            "link": absolute_link(f"/compliance/authorities/{row.authority_code}"),
        }
        for user_id, liaison in liaisons.get(row.authority_code, []):
            messages.append(
                NewMessage(kind="deadline_liaison", key=f"{key}:liaison:{user_id}", to=liaison, context=copy)
            )
    _queue(db, report, messages)
    return report


class _Reminded(Protocol):
    """A person at something dated (a seat at a session, an invitee at a meeting), reminded of it by rule 9."""

    @property
    def on(self) -> date: ...
    @property
    def official_id(self) -> int: ...
    @property
    def recipient(self) -> Recipient | None: ...


_R = TypeVar("_R", bound=_Reminded)


def _reminder_window(as_of: date) -> dict[str, date]:
    """The days whose sessions and meetings a run as of the date may remind of: from tomorrow to a week ahead."""
    return {"first": as_of + timedelta(days=1), "last": as_of + timedelta(days=max(SESSION_DAYS_BEFORE))}


def _due_reminders(
    rows: Iterable[_R], *, as_of: date, grace_days: int | None, report: RunReport
) -> Iterator[tuple[_R, Milestone, Recipient]]:
    """The rows whose reminder a run as of the date sends (a week and a day before, rule 9), with its milestone and
    recipient; those owed one without an email address are counted as unreachable."""
    grace = get_settings().reminder_grace_days if grace_days is None else grace_days
    for row in rows:
        milestone = session_reminder(row.on, as_of=as_of, grace_days=grace)
        if milestone is None:
            continue
        if row.recipient is None:
            report.unreachable.add(row.official_id)
            continue
        yield row, milestone, row.recipient


def queue_session_reminders(db: Session, *, as_of: date, grace_days: int | None = None) -> RunReport:
    """The reminders of sessions due on a run as of the date: a week and a day before each, to every official
    seated in its cohort, with the session as a calendar event (.ics)."""
    report = RunReport(as_of=as_of)
    stamp = now_utc()
    messages: list[NewMessage] = []
    invites: dict[int, Attachment] = {}
    seats = selectors.seats_at_sessions(db, **_reminder_window(as_of))
    for seat, milestone, to in _due_reminders(seats, as_of=as_of, grace_days=grace_days, report=report):
        if seat.session_id not in invites:  # the same calendar file for everyone at the session
            meeting = session_meeting(
                session_id=seat.session_id,
                sequence=seat.sequence,
                on=seat.on,
                place=seat.place,
                title=seat.title,
                cohort_code=seat.cohort_code,
                programme_he=seat.programme.he,
                programme_en=seat.programme.en,
            )
            invites[seat.session_id] = ics_attachment(meeting, method=REQUEST, stamp=stamp)
        messages.append(
            NewMessage(
                kind="session_reminder",
                key=f"session:{seat.session_id}:{milestone.name}:{seat.on.isoformat()}:{seat.official_id}",
                to=to,
                context={
                    "programme": seat.programme.both(),
                    "cohort": seat.cohort_code,
                    "on": seat.on,
                    "hours": seat.hours,
                    "place": seat.place,
                    "online": seat.online,
                },
                attachments=[invites[seat.session_id]],
            )
        )
    _queue(db, report, messages)
    return report


def queue_meeting_reminders(db: Session, *, as_of: date, grace_days: int | None = None) -> RunReport:
    """The reminders of communities' meetings due on a run as of the date: a week and a day before each meeting not
    cancelled (the sessions' rule), to each member it invites (`communities.rules.INVITED_CIRCLES`), with the
    meeting as a calendar event (.ics) at its current sequence."""
    report = RunReport(as_of=as_of)
    stamp = now_utc()
    messages: list[NewMessage] = []
    invites: dict[int, tuple[Attachment, dict[str, Any]]] = {}
    rows = selectors.invitees_at_meetings(db, **_reminder_window(as_of))
    for row, milestone, to in _due_reminders(rows, as_of=as_of, grace_days=grace_days, report=report):
        if row.facts.meeting_id not in invites:  # the same calendar file for everyone invited
            attachment = ics_attachment(row.facts.event(), method=REQUEST, stamp=stamp)
            invites[row.facts.meeting_id] = (attachment, row.facts.context())
        attachment, context = invites[row.facts.meeting_id]
        messages.append(
            NewMessage(
                kind="meeting_reminder",
                key=f"meeting:{row.facts.meeting_id}:{milestone.name}:{row.on.isoformat()}:{row.official_id}",
                to=to,
                context=context,
                attachments=[attachment],
            )
        )
    _queue(db, report, messages)
    return report


def _week_of(day: date) -> str:
    """The week a day is in, named by its first day (the digests' day, Sunday, on or before it)."""
    return (day - timedelta(days=(day.weekday() - DIGEST_WEEKDAY) % 7)).isoformat()


def _listing(items: list[dict[str, Any]]) -> dict[str, Any]:
    return {"total": len(items), "items": items[:DIGEST_SHOWN]}


def queue_digests(db: Session, *, as_of: date) -> RunReport:
    """The weekly digests of the week of the date: to each liaison, their authority's overdue requirements, those
    due within 90 days and the requests pending; to each admin, what the school's home lists as needing doing
    (sessions without attendance, cohorts to close) and the messages that failed. One of each per week."""
    report = RunReport(as_of=as_of)
    week = _week_of(as_of)
    messages: list[NewMessage] = []
    liaisons = selectors.all_liaisons(db)
    if liaisons:
        rows = selectors.open_requirements(db, as_of=as_of, authority_codes=liaisons.keys())
        names = selectors.authority_names(db, codes=liaisons.keys())
        by_authority: dict[str, list[selectors.OpenRequirement]] = defaultdict(list)
        for row in rows:
            by_authority[row.authority_code].append(row)
        for code, accounts in liaisons.items():
            mine = sorted(by_authority.get(code, []), key=lambda r: (r.due_date, r.requirement_id))

            def item(r: selectors.OpenRequirement) -> dict[str, Any]:
                return {"official": r.official_name, "programme": r.programme.both(), "due_on": r.due_date}

            context = {
                "authority": names[code].both() if code in names else {"he": code, "en": code},
                "overdue": _listing([item(r) for r in mine if r.status == RequirementStatus.OVERDUE]),
                "due_soon": _listing([item(r) for r in mine if r.due_soon]),
                "pending": _listing([item(r) for r in mine if r.pending_requests]),
                "link": absolute_link(f"/compliance/authorities/{code}"),
            }
            for user_id, to in accounts:
                messages.append(
                    NewMessage(kind="digest_liaison", key=f"digest_liaison:{week}:{user_id}", to=to, context=context)
                )
    admins = selectors.admins(db)
    if admins:
        home = school_home(db, today=as_of, now=now_utc())
        sessions = [*home.sessions_today.items, *home.sessions_past.items]
        summary: dict[str, Any] = {
            "sessions": {
                "total": home.sessions_today.total + home.sessions_past.total,
                "items": [
                    {"programme": {"he": s.programme.he, "en": s.programme.en}, "cohort": s.cohort_code, "on": s.on}
                    for s in sessions
                ],
            },
            "to_close": {
                "total": home.to_close.total,
                "items": [
                    {
                        "programme": {"he": c.programme.he, "en": c.programme.en},
                        "cohort": c.cohort_code,
                        "last_session": c.last_session,
                    }
                    for c in home.to_close.items
                ],
            },
            "failed_messages": selectors.failed_messages(db),
            "link": absolute_link("/admin"),
        }
        for user_id, to in admins:
            messages.append(
                NewMessage(kind="digest_admin", key=f"digest_admin:{week}:{user_id}", to=to, context=summary)
            )
    _queue(db, report, messages)
    return report


def run_reminders(db: Session, *, as_of: date) -> RunReport:
    """What the daily job queues on the date: the deadline reminders, the sessions' and the communities' meetings'
    reminders due then, and, on
    the digests' day of the week, the weekly digests."""
    report = queue_deadline_reminders(db, as_of=as_of)
    report.add(queue_session_reminders(db, as_of=as_of))
    report.add(queue_meeting_reminders(db, as_of=as_of))
    if as_of.weekday() == DIGEST_WEEKDAY:
        report.add(queue_digests(db, as_of=as_of))
    return report


def announce_if_opened(db: Session, *, cohort_id: int, was: str | None) -> int:
    """After a cohort was created (`was` None) or changed from the state `was`: announce it when it has just become
    open for enrolment (CohortState.OPEN); how many messages were queued."""
    cohort = get_cohort(db, cohort_id=cohort_id)
    if cohort.state != CohortState.OPEN or was == CohortState.OPEN:
        return 0
    return announce_cohort(db, cohort_id=cohort_id, as_of=today())


def announce_cohort(db: Session, *, cohort_id: int, as_of: date) -> int:
    """Tell the officials who owe the programme of a cohort that just opened, and hold no place in any of its
    cohorts, that they may enrol in it; how many messages were queued (once per cohort and official)."""
    cohort = get_cohort(db, cohort_id=cohort_id)
    owing = selectors.owing_not_enrolled(db, programme_id=cohort.programme_id, as_of=as_of)
    messages = []
    for row in owing:
        to = row.recipient()
        if to is None:
            continue
        context = {
            "programme": row.programme.both(),
            "cohort": cohort.code,
            "starts_on": cohort.start_date,
            "ends_on": cohort.end_date,
            "due_on": row.due_date,
            "link": absolute_link("/me"),
        }
        messages.append(
            NewMessage(kind="cohort_open", key=f"cohort_open:{cohort.id}:{row.official_id}", to=to, context=context)
        )
    report = RunReport(as_of=as_of)
    _queue(db, report, messages)
    return report.queued["cohort_open"]
