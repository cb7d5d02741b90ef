"""Use cases of cohorts: opening them, scheduling sessions, enrolling, the waitlist, moving and withdrawing."""

from __future__ import annotations

from collections.abc import Collection
from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.audit.service import add_and_record, record_change, record_event, snapshot
from app.auth import OFFICIAL, Principal
from app.clock import now_utc, today
from app.cohorts.models import Cohort, CohortAssessment, CohortSession, Enrolment
from app.cohorts.rules import (
    ACTIVE_ENROLMENT,
    ENROLLING_STATES,
    FINISHED_STATES,
    HOLDING_SEAT,
    CohortState,
    EnrolmentStatus,
    can_move,
    enrolment_counts_from,
)
from app.cohorts.schemas import (
    BulkReport,
    BulkRow,
    CohortCreate,
    CohortUpdate,
    SessionCreate,
    SessionMove,
)
from app.completions.selectors import last_valid_completion
from app.errors import Conflict, DomainError, Forbidden, Invalid, NotFound
from app.notifications.calendar import CANCEL, REQUEST, Meeting, ics_attachment, meeting_uid
from app.notifications.service import NewMessage, absolute_link, queue_messages
from app.officials.models import Official
from app.officials.rules import normalise_national_id
from app.officials.scoping import scope_officials, visible_official
from app.officials.selectors import latest_requirement_id, recipients_of
from app.officials.service import find_official_by_national_id, get_official
from app.programmes.rules import ProgrammeKind
from app.programmes.schemas import ProgrammeRead
from app.programmes.selectors import read_programme
from app.programmes.service import require_programme

# --- cohorts -------------------------------------------------------------------------------------------


def create_cohort(db: Session, *, data: CohortCreate, actor: Principal) -> Cohort:
    """Open a cohort of a programme; it keeps the programme's completion rules as they are today."""
    programme = require_programme(db, code=data.programme_code, offered=True)
    if db.scalar(select(Cohort.id).where(Cohort.code == data.code)) is not None:
        raise Conflict(f"a cohort with code {data.code!r} already exists", code="duplicate_cohort", field="code")
    now = now_utc()
    cohort = Cohort(
        **data.model_dump(exclude={"programme_code"}),
        programme_id=programme.id,
        min_attendance_pct=programme.min_attendance_pct,
        late_credit_pct=programme.late_credit_pct,
        created_at=now,
        updated_at=now,
    )
    db.add(cohort)
    db.flush()
    required = [a for a in read_programme(db, programme_id=programme.id).assessments if a.required]
    db.add_all(
        CohortAssessment(cohort_id=cohort.id, code=a.code, title_he=a.title_he, title_en=a.title_en) for a in required
    )
    db.flush()
    record_event(db, actor=actor, action="create", entity_type="cohort", entity_id=cohort.id, after=snapshot(cohort))
    return cohort


def get_cohort(db: Session, *, cohort_id: int) -> Cohort:
    """One cohort; 404 when there is none."""
    cohort = db.get(Cohort, cohort_id)
    if cohort is None:
        raise NotFound(f"no cohort with id {cohort_id}")
    return cohort


def get_session(db: Session, *, session_id: int) -> CohortSession:
    """One session of a cohort, to write its attendance; 404 when there is none."""
    item = db.get(CohortSession, session_id)
    if item is None:
        raise NotFound(f"no session with id {session_id}")
    return item


def sessions_of(db: Session, *, cohort_id: int) -> list[CohortSession]:
    """A cohort's sessions in date order, to write their attendance."""
    stmt = select(CohortSession).where(CohortSession.cohort_id == cohort_id)
    return list(db.scalars(stmt.order_by(CohortSession.date, CohortSession.id)))


def enrolments_of(
    db: Session, *, cohort_id: int, statuses: Collection[EnrolmentStatus] | None = None
) -> list[Enrolment]:
    """A cohort's enrolments (maybe of some statuses only), by id, read past anything this session held: after the
    cohort's lock, seats decided by others count."""
    stmt = select(Enrolment).where(Enrolment.cohort_id == cohort_id)
    if statuses is not None:
        stmt = stmt.where(Enrolment.status.in_(statuses))
    return list(db.scalars(stmt.order_by(Enrolment.id).execution_options(populate_existing=True)))


def cohort_assessment(db: Session, *, cohort_id: int, code: str) -> CohortAssessment | None:
    """The required assessment of the cohort with this code, if it has one."""
    stmt = select(CohortAssessment).where(CohortAssessment.cohort_id == cohort_id, CohortAssessment.code == code)
    return db.scalar(stmt)


def lock_cohort(db: Session, *, cohort_id: int) -> Cohort:
    """The cohort, locked for this transaction: enrolments of one cohort are decided one at a time."""
    cohort = db.scalar(
        select(Cohort).where(Cohort.id == cohort_id).with_for_update().execution_options(populate_existing=True)
    )
    if cohort is None:
        raise NotFound(f"no cohort with id {cohort_id}")
    return cohort


def _enrolled_count(db: Session, cohort_id: int) -> int:
    """Seats taken: enrolled, and those already decided (completed or not) who still hold theirs."""
    return (
        db.scalar(select(func.count()).where(Enrolment.cohort_id == cohort_id, Enrolment.status.in_(HOLDING_SEAT))) or 0
    )


def update_cohort(db: Session, *, cohort_id: int, data: CohortUpdate, actor: Principal) -> Cohort:
    """Change a cohort's dates, capacity, place, coordinator or state; more seats promote the waitlist."""
    cohort = lock_cohort(db, cohort_id=cohort_id)
    if cohort.state in FINISHED_STATES:
        raise Conflict(f"cohort {cohort.code} is {cohort.state} and can no longer change", code="cohort_finished")
    changes: dict[str, Any] = {k: getattr(data, k) for k in data.model_fields_set}
    changes = {k: v for k, v in changes.items() if getattr(cohort, k) != v}
    if not changes:
        return cohort
    if "state" in changes and not can_move(cohort.state, changes["state"]):
        raise Conflict(
            f"a cohort cannot go from {cohort.state} to {changes['state']}", code="bad_transition", field="state"
        )
    start, end = changes.get("start_date", cohort.start_date), changes.get("end_date", cohort.end_date)
    if end < start:
        raise Invalid(f"end_date: {end} is before the start date {start}", field="end_date")
    outside = db.scalar(
        select(func.count()).where(
            CohortSession.cohort_id == cohort.id, (CohortSession.date < start) | (CohortSession.date > end)
        )
    )
    if outside:
        raise Conflict(
            f"{outside} session(s) would fall outside {start}..{end}; move them first", code="sessions_outside_dates"
        )
    enrolled = _enrolled_count(db, cohort.id)
    if "capacity" in changes and changes["capacity"] < enrolled:
        raise Conflict(
            f"capacity {changes['capacity']} is below the {enrolled} officials already enrolled",
            code="capacity_below_enrolled",
            field="capacity",
        )
    before = snapshot(cohort)
    for key, value in changes.items():
        setattr(cohort, key, value)
    cohort.updated_at = now_utc()
    record_change(db, cohort, before=before, actor=actor, entity_type="cohort")
    if cohort.state == CohortState.CANCELLED:
        # Those seated are told that each session to come is off (their calendars drop it), then every place ends.
        for item in sessions_of(db, cohort_id=cohort.id):
            if item.date >= today():
                item.sequence += 1
                _tell_session_changed(db, cohort=cohort, session=item, was=item.date, cancelled=True)
        for e in db.scalars(
            select(Enrolment).where(Enrolment.cohort_id == cohort.id, Enrolment.status.in_(ACTIVE_ENROLMENT))
        ).all():
            withdraw(db, enrolment=e, actor=actor)
            _tell_enrolments(
                db, "withdrawal", cohort=cohort, enrolments=[e], owed=e.requirement_id is not None, cancelled=True
            )
    else:
        fill_seats(db, cohort=cohort, actor=actor)
    return cohort


# --- sessions ------------------------------------------------------------------------------------------


def add_session(db: Session, *, cohort_id: int, data: SessionCreate, actor: Principal) -> CohortSession:
    """Schedule a session within the cohort's dates; the cohort's hours are the sum of its sessions."""
    cohort = get_cohort(db, cohort_id=cohort_id)
    if cohort.state in FINISHED_STATES:
        raise Conflict(f"cohort {cohort.code} is {cohort.state}: no more sessions", code="cohort_finished")
    if not cohort.start_date <= data.date <= cohort.end_date:
        raise Invalid(
            f"date: {data.date} is outside the cohort's dates {cohort.start_date}..{cohort.end_date}",
            field="date",
            code="session_outside_cohort",
        )
    if data.module_id is not None:
        modules = {m.id for m in read_programme(db, programme_id=cohort.programme_id).modules}
        if data.module_id not in modules:
            raise Invalid(
                f"module_id: module {data.module_id} is not a module of this cohort's programme", field="module_id"
            )
    item = CohortSession(cohort_id=cohort.id, **data.model_dump(), created_at=now_utc())
    add_and_record(db, item, actor=actor, entity_type="session")
    return item


def move_session(db: Session, *, session_id: int, data: SessionMove, actor: Principal) -> CohortSession:
    """Move a session to another date within the cohort's dates (and maybe change its hours)."""
    item = get_session(db, session_id=session_id)
    cohort = get_cohort(db, cohort_id=item.cohort_id)
    if cohort.state in FINISHED_STATES:
        raise Conflict(f"cohort {cohort.code} is {cohort.state}: its sessions no longer change", code="cohort_finished")
    if not cohort.start_date <= data.date <= cohort.end_date:
        raise Invalid(
            f"date: {data.date} is outside the cohort's dates {cohort.start_date}..{cohort.end_date}",
            field="date",
            code="session_outside_cohort",
        )
    before = snapshot(item)
    was = item.date
    item.date = data.date
    if data.hours is not None:
        item.hours = data.hours
    if was != item.date:
        item.sequence += 1
    if snapshot(item) != before:
        record_change(db, item, before=before, actor=actor, entity_type="session")
    if was != item.date:
        _tell_session_changed(db, cohort=cohort, session=item, was=was, cancelled=False)
    return item


def remove_session(db: Session, *, session: CohortSession, actor: Principal) -> None:
    """Delete a session that has no attendance (attendance's cancel_session checks that first), audited."""
    cohort = get_cohort(db, cohort_id=session.cohort_id)
    if cohort.state in FINISHED_STATES:
        raise Conflict(f"cohort {cohort.code} is {cohort.state}: its sessions no longer change", code="cohort_finished")
    record_event(
        db, actor=actor, action="cancel", entity_type="session", entity_id=session.id, before=snapshot(session)
    )
    session.sequence += 1
    _tell_session_changed(db, cohort=cohort, session=session, was=session.date, cancelled=True)
    db.delete(session)
    db.flush()


# --- enrolment -----------------------------------------------------------------------------------------


def _refuse_if_cannot_enrol(db: Session, *, cohort: Cohort, official: Official, programme: ProgrammeRead) -> None:
    if cohort.state not in ENROLLING_STATES:
        raise Conflict(f"cohort {cohort.code} is {cohort.state}, not open for enrolment", code="cohort_not_open")
    other = db.execute(
        select(Enrolment.status, Cohort.code)
        .join(Cohort, Cohort.id == Enrolment.cohort_id)
        .where(
            Enrolment.official_id == official.id,
            Cohort.programme_id == programme.id,
            Enrolment.status.in_(ACTIVE_ENROLMENT),
        )
        .limit(1)
    ).first()
    if other is not None:
        raise Conflict(
            f"official {official.id} is already {other[0]} in cohort {other[1]} of {programme.code}",
            code="already_enrolled",
        )
    done = last_valid_completion(
        db,
        official_id=official.id,
        programme_id=programme.id,
        validity_years=programme.validity_years,
        on=today(),
    )
    if done is not None:
        raise Conflict(
            f"official {official.id} already completed {programme.code} on {done}, still valid",
            code="already_completed",
        )


def _next_waitlist_position(db: Session, cohort_id: int) -> int:
    last = db.scalar(
        select(func.max(Enrolment.waitlist_position)).where(
            Enrolment.cohort_id == cohort_id, Enrolment.status == EnrolmentStatus.WAITLISTED
        )
    )
    return (last or 0) + 1


def _enrol(db: Session, *, cohort: Cohort, official: Official, actor: Principal) -> Enrolment:
    """Enrol in a locked cohort: a seat while there is one, else the end of the waitlist."""
    programme = read_programme(db, programme_id=cohort.programme_id)
    existing = db.scalar(
        select(Enrolment).where(Enrolment.cohort_id == cohort.id, Enrolment.official_id == official.id)
    )
    if existing is not None and existing.status != EnrolmentStatus.WITHDRAWN:
        raise Conflict(
            f"official {official.id} is already {existing.status} in cohort {cohort.code}",
            code="already_enrolled",
            existing_id=existing.id,
        )
    _refuse_if_cannot_enrol(db, cohort=cohort, official=official, programme=programme)
    seat = _enrolled_count(db, cohort.id) < cohort.capacity
    counts_from = enrolment_counts_from(today=today(), cohort_start=cohort.start_date)
    values = {
        "status": EnrolmentStatus.ENROLLED if seat else EnrolmentStatus.WAITLISTED,
        "seated_on": counts_from if seat else None,
        "waitlist_position": None if seat else _next_waitlist_position(db, cohort.id),
        "requirement_id": latest_requirement_id(db, official_id=official.id, programme_id=programme.id),
        "enrolled_on": counts_from,
        "ended_on": None,
        "updated_at": now_utc(),
    }
    if existing is None:
        enrolment = Enrolment(cohort_id=cohort.id, official_id=official.id, created_at=now_utc(), **values)
        add_and_record(db, enrolment, actor=actor, entity_type="enrolment")
    else:
        enrolment = existing
        before = snapshot(enrolment)
        for key, value in values.items():
            setattr(enrolment, key, value)
        record_change(db, enrolment, before=before, actor=actor, entity_type="enrolment")
    _tell_enrolments(db, "enrolment", cohort=cohort, enrolments=[enrolment], status=enrolment.status)
    return enrolment


def enrol_official(db: Session, *, cohort_id: int, official_id: int, actor: Principal) -> Enrolment:
    """Enrol an official; past capacity the official joins the waitlist in order. An official enrols only
    themselves, only in an open cohort, and in a mandatory programme only one they owe."""
    if actor.role == OFFICIAL and official_id != actor.official_id:
        raise Forbidden("an official enrols only themselves", code="not_yourself")
    cohort = lock_cohort(db, cohort_id=cohort_id)
    try:
        official = get_official(db, official_id=official_id, actor=actor)
    except NotFound as exc:
        raise Invalid(
            f"official_id: no official with id {official_id}", field="official_id", code="unknown_official"
        ) from exc
    if actor.role == OFFICIAL:
        _refuse_self_enrolment(db, cohort=cohort, official_id=official_id)
    return _enrol(db, cohort=cohort, official=official, actor=actor)


def _refuse_self_enrolment(db: Session, *, cohort: Cohort, official_id: int) -> None:
    """An official enrols in a cohort open for enrolment (not one already running), and in a mandatory programme
    only when an appointment of theirs owes it."""
    if cohort.state != CohortState.OPEN:
        raise Conflict(f"cohort {cohort.code} is {cohort.state}, not open for enrolment", code="cohort_not_open")
    programme = read_programme(db, programme_id=cohort.programme_id)
    owed = latest_requirement_id(db, official_id=official_id, programme_id=programme.id)
    if programme.kind == ProgrammeKind.MANDATORY and owed is None:
        raise Forbidden(f"{programme.code} is not required of you: the school enrols you in it", code="not_required")


def enrol_many(db: Session, *, cohort_id: int, national_ids: list[str], actor: Principal) -> BulkReport:
    """Enrol officials by ID in order, each on its own; the report says what happened to every row."""
    cohort = lock_cohort(db, cohort_id=cohort_id)
    rows: list[BulkRow] = []
    for i, raw in enumerate(national_ids, start=1):
        try:
            nid = normalise_national_id(raw)
        except ValueError as exc:
            rows.append(
                BulkRow(row=i, national_id=str(raw), result="refused", error="invalid", detail=f"national_id {exc}")
            )
            continue
        official = find_official_by_national_id(db, national_id=nid)
        if official is None:
            rows.append(
                BulkRow(
                    row=i,
                    national_id=nid,
                    result="refused",
                    error="unknown_official",
                    detail=f"no official has the ID {nid}",
                )
            )
            continue
        try:
            with db.begin_nested():
                e = _enrol(db, cohort=cohort, official=official, actor=actor)
        except DomainError as exc:
            rows.append(BulkRow(row=i, national_id=nid, result="refused", error=exc.code, detail=exc.detail))
            continue
        rows.append(
            BulkRow(
                row=i,
                national_id=nid,
                result=e.status,
                enrolment_id=e.id,
                waitlist_position=e.waitlist_position,
            )
        )
    return BulkReport(
        enrolled=sum(r.result == EnrolmentStatus.ENROLLED for r in rows),
        waitlisted=sum(r.result == EnrolmentStatus.WAITLISTED for r in rows),
        refused=sum(r.result == "refused" for r in rows),
        rows=rows,
    )


def update_enrolment(db: Session, *, enrolment: Enrolment, actor: Principal, **changes: Any) -> None:
    """Change fields of an enrolment (what withdrawing, closing the cohort or a decision made of it), audited;
    nothing is written when nothing changes. Enrolments are written by this package only."""
    before = snapshot(enrolment)
    for key, value in changes.items():
        setattr(enrolment, key, value)
    if snapshot(enrolment) == before:
        return
    enrolment.updated_at = now_utc()
    record_change(db, enrolment, before=before, actor=actor, entity_type="enrolment")


def withdraw(db: Session, *, enrolment: Enrolment, actor: Principal, on: date | None = None) -> None:
    """End an enrolment or a waitlist place, on the day given (default today)."""
    update_enrolment(
        db,
        enrolment=enrolment,
        actor=actor,
        status=EnrolmentStatus.WITHDRAWN,
        waitlist_position=None,
        ended_on=on or today(),
    )


def mark_closed(db: Session, *, cohort: Cohort, actor: Principal) -> None:
    """Record that the cohort is closed as of now, its seats decided (attendance's close_cohort decides them)."""
    before = snapshot(cohort)
    cohort.state, cohort.closed_at = CohortState.CLOSED, now_utc()
    cohort.updated_at = cohort.closed_at
    db.flush()
    record_event(
        db,
        actor=actor,
        action="close",
        entity_type="cohort",
        entity_id=cohort.id,
        before=before,
        after=snapshot(cohort),
    )


def fill_seats(db: Session, *, cohort: Cohort, actor: Principal) -> None:
    """Promote the first waitlisted while seats are free, and number the rest of the waitlist 1, 2, ..."""
    free = cohort.capacity - _enrolled_count(db, cohort.id)
    waiting = db.scalars(
        select(Enrolment)
        .where(Enrolment.cohort_id == cohort.id, Enrolment.status == EnrolmentStatus.WAITLISTED)
        .order_by(Enrolment.waitlist_position, Enrolment.id)
    ).all()
    position = 0
    promoted = []
    for e in waiting:
        before = snapshot(e)
        if free > 0 and cohort.state in ENROLLING_STATES:
            e.status, e.waitlist_position = EnrolmentStatus.ENROLLED, None
            e.seated_on = enrolment_counts_from(today=today(), cohort_start=cohort.start_date)
            free -= 1
            promoted.append(e)
        else:
            position += 1
            e.waitlist_position = position
        if snapshot(e) != before:
            e.updated_at = now_utc()
            record_change(db, e, before=before, actor=actor, entity_type="enrolment")
    _tell_enrolments(db, "promotion", cohort=cohort, enrolments=promoted)


def get_enrolment(db: Session, *, enrolment_id: int, actor: Principal) -> Enrolment:
    """One enrolment the caller may see; 404 otherwise."""
    stmt = scope_officials(
        select(Enrolment).join(Official, Official.id == Enrolment.official_id).where(Enrolment.id == enrolment_id),
        actor,
    )
    enrolment: Enrolment | None = db.scalar(stmt)
    if enrolment is None:
        raise NotFound(f"no enrolment with id {enrolment_id}")
    return enrolment


def withdraw_enrolment(db: Session, *, enrolment_id: int, actor: Principal) -> Enrolment:
    """Withdraw an enrolled or waitlisted official; a freed seat goes to the first waitlisted."""
    enrolment = get_enrolment(db, enrolment_id=enrolment_id, actor=actor)
    cohort = lock_cohort(db, cohort_id=enrolment.cohort_id)
    db.refresh(enrolment)
    if enrolment.status not in ACTIVE_ENROLMENT:
        raise Conflict(
            f"enrolment {enrolment.id} is {enrolment.status}; only enrolled or waitlisted can withdraw",
            code="wrong_state",
        )
    withdraw(db, enrolment=enrolment, actor=actor)
    _tell_enrolments(
        db,
        "withdrawal",
        cohort=cohort,
        enrolments=[enrolment],
        owed=enrolment.requirement_id is not None,
        cancelled=False,
    )
    fill_seats(db, cohort=cohort, actor=actor)
    return enrolment


def promote_enrolment(db: Session, *, enrolment_id: int, actor: Principal) -> Enrolment:
    """Give a waitlisted official a free seat now (rule 6: never past capacity); the rest of the waitlist closes up.
    With no free seat: 409 `cohort_full` (withdraw someone, or raise the capacity, which promotes in order). An
    official who already holds a seat is left as they are (promoting twice changes nothing)."""
    enrolment = get_enrolment(db, enrolment_id=enrolment_id, actor=actor)
    cohort = lock_cohort(db, cohort_id=enrolment.cohort_id)
    db.refresh(enrolment)
    if enrolment.status == EnrolmentStatus.ENROLLED:
        return enrolment
    if enrolment.status != EnrolmentStatus.WAITLISTED:
        raise Conflict(f"enrolment {enrolment.id} is {enrolment.status}, not waitlisted", code="wrong_state")
    if cohort.state not in ENROLLING_STATES:
        raise Conflict(f"cohort {cohort.code} is {cohort.state}, not open for enrolment", code="cohort_not_open")
    if _enrolled_count(db, cohort.id) >= cohort.capacity:
        raise Conflict(f"cohort {cohort.code} has no free seat (capacity {cohort.capacity})", code="cohort_full")
    update_enrolment(
        db,
        enrolment=enrolment,
        actor=actor,
        status=EnrolmentStatus.ENROLLED,
        waitlist_position=None,
        seated_on=enrolment_counts_from(today=today(), cohort_start=cohort.start_date),
    )
    _tell_enrolments(db, "promotion", cohort=cohort, enrolments=[enrolment])
    fill_seats(db, cohort=cohort, actor=actor)
    return enrolment


def move_enrolment(db: Session, *, enrolment_id: int, cohort_id: int, actor: Principal) -> Enrolment:
    """Move an official to another cohort of the same programme; attendance already taken stays on record."""
    enrolment = get_enrolment(db, enrolment_id=enrolment_id, actor=actor)
    # Lock both cohorts in id order, so two moves in opposite directions cannot deadlock.
    locked = {c: lock_cohort(db, cohort_id=c) for c in sorted({enrolment.cohort_id, cohort_id})}
    source, target = locked[enrolment.cohort_id], locked[cohort_id]
    db.refresh(enrolment)
    if source.id == target.id:
        raise Conflict("the enrolment is already in that cohort", code="same_cohort", field="cohort_id")
    if target.programme_id != source.programme_id:
        raise Conflict(
            f"cohort {target.code} is of another programme; move only within a programme",
            code="other_programme",
            field="cohort_id",
        )
    if enrolment.status not in ACTIVE_ENROLMENT:
        raise Conflict(
            f"enrolment {enrolment.id} is {enrolment.status}; only enrolled or waitlisted can move", code="wrong_state"
        )
    official = visible_official(db, official_id=enrolment.official_id, actor=actor)
    assert official is not None
    withdraw(db, enrolment=enrolment, actor=actor)
    moved = _enrol(db, cohort=target, official=official, actor=actor)
    before = snapshot(enrolment)
    enrolment.moved_to_enrolment_id = moved.id
    record_change(db, enrolment, before=before, actor=actor, entity_type="enrolment")
    fill_seats(db, cohort=source, actor=actor)
    return moved


# --- messages ------------------------------------------------------------------------------------------
# Queued in the transaction of the change that causes them (app/notifications); the worker sends them after it.


def _tell_enrolments(db: Session, kind: str, *, cohort: Cohort, enrolments: list[Enrolment], **context: Any) -> None:
    """Tell the officials of these enrolments what just happened to them (a kind of message about an enrolment),
    each once: the key names the enrolment and the moment of its change."""
    if not enrolments:
        return
    db.flush()
    programme = read_programme(db, programme_id=cohort.programme_id)
    to = recipients_of(db, official_ids=[e.official_id for e in enrolments])
    common = {
        "programme": {"he": programme.title_he, "en": programme.title_en},
        "cohort": cohort.code,
        "starts_on": cohort.start_date,
        "link": absolute_link("/me"),
        **context,
    }
    queue_messages(
        db,
        [
            NewMessage(
                kind=kind,
                key=f"{kind}:{e.id}:{e.status}:{e.updated_at:%Y%m%dT%H%M%S%f}",
                to=to[e.official_id],
                context=common,
            )
            for e in enrolments
            if e.official_id in to
        ],
    )


def session_meeting(
    *,
    session_id: int,
    sequence: int,
    on: date,
    place: str | None,
    title: str | None,
    cohort_code: str,
    programme_he: str,
    programme_en: str,
) -> Meeting:
    """A session as a calendar event: one UID for its life, its sequence, the programme's title, its place."""
    return Meeting(
        uid=meeting_uid("session", session_id),
        sequence=sequence,
        summary=f"{programme_he} / {programme_en} ({cohort_code})",
        on=on,
        location=place,
        description=title,
    )


def session_place(*, session: CohortSession, cohort: Cohort) -> str | None:
    """Where a session meets: its own place, else its cohort's."""
    return session.location or cohort.location


def _tell_session_changed(db: Session, *, cohort: Cohort, session: CohortSession, was: date, cancelled: bool) -> None:
    """Tell the officials seated in the cohort that a session moved (with the event at its new date and a higher
    sequence) or was cancelled (with the calendar's cancellation)."""
    seated = enrolments_of(db, cohort_id=cohort.id, statuses=(EnrolmentStatus.ENROLLED,))
    to = recipients_of(db, official_ids=[e.official_id for e in seated])
    if not to:
        return
    programme = read_programme(db, programme_id=cohort.programme_id)
    meeting = session_meeting(
        session_id=session.id,
        sequence=session.sequence,
        on=session.date,
        place=session_place(session=session, cohort=cohort),
        title=session.title,
        cohort_code=cohort.code,
        programme_he=programme.title_he,
        programme_en=programme.title_en,
    )
    attachment = ics_attachment(meeting, method=CANCEL if cancelled else REQUEST, stamp=now_utc())
    context = {
        "programme": {"he": programme.title_he, "en": programme.title_en},
        "cohort": cohort.code,
        "change": "cancelled" if cancelled else "moved",
        "was": was,
        "on": session.date,
        "place": meeting.location,
    }
    queue_messages(
        db,
        [
            NewMessage(
                kind="session_changed",
                key=f"session_changed:{session.id}:{session.sequence}:{official_id}",
                to=recipient,
                context=context,
                attachments=[attachment],
            )
            for official_id, recipient in to.items()
        ],
    )
