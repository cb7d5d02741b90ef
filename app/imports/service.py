"""Bulk import of officials and appointments: every row planned, applied through the usual services, all or nothing."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import date
from typing import Any, BinaryIO

from pydantic import BaseModel, ValidationError
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.audit.service import add_and_record, record_change, snapshot
from app.auth import Principal
from app.authorities.models import Authority
from app.clock import now_utc
from app.config import get_settings
from app.errors import Conflict, DomainError, Invalid, NotFound, TooLarge
from app.imports import rules
from app.imports.models import ImportRun
from app.imports.rules import APPOINTMENT_FIELDS, OFFICIAL_FIELDS, Cell, KnownAuthority
from app.imports.schemas import ImportReport, ImportSummary, RowError, RowReport
from app.officials import service as officials
from app.officials.models import Official
from app.officials.rules import normalise_national_id
from app.officials.schemas import AppointmentCreate, AppointmentUpdate, OfficialCreate, OfficialUpdate
from app.roles.models import Role
from app.sheets import CellError, parse_date
from app.text import clean_text, search_key

_CHUNK = 64 * 1024


class ImportRefused(Invalid):
    """A real run with refused rows: nothing was written; the body carries the whole report."""

    code = "import_refused"

    def __init__(self, report: ImportReport):
        refused = report.summary.refused
        super().__init__(
            f"{refused} of {report.summary.rows} rows were refused, so nothing was imported; "
            "correct them (see rows) and import the file again",
            **report.model_dump(mode="json"),
        )
        self.report = report


def read_limited(stream: BinaryIO, *, limit: int) -> bytes:
    """The whole stream, read in chunks, or 413 as soon as it passes the limit."""
    chunks: list[bytes] = []
    size = 0
    while chunk := stream.read(_CHUNK):
        size += len(chunk)
        if size > limit:
            raise TooLarge(f"file: the file is larger than the limit of {limit} bytes", field="file")
        chunks.append(chunk)
    return b"".join(chunks)


@dataclass
class _Context:
    """What every row is checked against: reference data, and the people earlier rows named."""

    authorities: dict[str, KnownAuthority]
    roles: dict[str, frozenset[str]]
    # The loaded rows themselves: the identity map holds objects weakly, and while they live the services'
    # session.get() of an authority or role is answered without a query.
    loaded: list[Authority | Role] = field(default_factory=list)
    # national_id -> (row number, official fields it sent), to refuse a later row that contradicts it.
    seen: dict[str, tuple[int, dict[str, Any]]] = field(default_factory=dict)


def _load_context(db: Session) -> _Context:
    all_authorities = list(db.scalars(select(Authority)))
    all_roles = list(db.scalars(select(Role)))
    authorities = {
        a.code: KnownAuthority(a.code, a.name_he, frozenset({search_key(a.name_he), search_key(a.name_en)}))
        for a in all_authorities
    }
    roles = {r.code: frozenset({search_key(r.name_he), search_key(r.name_en)}) for r in all_roles}
    return _Context(authorities=authorities, roles=roles, loaded=[*all_authorities, *all_roles])


def _text(row: dict[str, Cell], name: str) -> str:
    value = row.get(name, "")
    return value.isoformat() if isinstance(value, date) else value


def _validation_errors(exc: ValidationError, model: type[BaseModel]) -> list[RowError]:
    out = []
    for err in exc.errors():
        msg = str(err.get("msg", "is invalid")).removeprefix("Value error, ")
        loc = [str(p) for p in err.get("loc", ())]
        # A rule across fields (end before start) has no location; its sentence begins with the field it blames.
        name = loc[0] if loc else next((f for f in model.model_fields if msg.startswith(f)), "row")
        given = err.get("input")
        if loc and isinstance(given, str) and given:
            msg = f"{msg} (given {given!r})"
        out.append(RowError(field=name, detail=msg))
    return out


def _domain_error(exc: DomainError) -> RowError:
    name = exc.field or "row"
    return RowError(field=name, detail=exc.detail.removeprefix(f"{name}: "))


class _RowRefused(Exception):
    """Errors found while applying a row, once the database is known (a new official without names)."""

    def __init__(self, errors: list[RowError]):
        super().__init__(errors)
        self.errors = errors


@dataclass
class _Plan:
    """One row checked: the validated data to apply, or the errors that refuse it."""

    number: int
    national_id: str | None
    official_fields: dict[str, Any] = field(default_factory=dict)
    appointment: AppointmentCreate | None = None
    has_appointment: bool = False
    errors: list[RowError] = field(default_factory=list)
    official_ok: bool = False


def _plan_row(number: int, row: dict[str, Cell], ctx: _Context) -> _Plan:
    raw_id = _text(row, "national_id")
    plan = _Plan(number=number, national_id=raw_id or None)
    try:
        plan.national_id = normalise_national_id(raw_id)
    except ValueError as exc:
        given = f" (given {raw_id!r})" if raw_id else ""
        plan.errors.append(RowError(field="national_id", detail=f"{exc}{given}"))

    # Empty cells are "not sent": an import never erases what is on record.
    sent = {name: _text(row, name) for name in OFFICIAL_FIELDS if _text(row, name)}
    try:
        plan.official_fields = OfficialUpdate(**sent).model_dump(exclude_unset=True)
    except ValidationError as exc:
        plan.errors.extend(_validation_errors(exc, OfficialUpdate))
    plan.official_ok = not plan.errors

    plan.has_appointment = any(_text(row, name) for name in APPOINTMENT_FIELDS)
    if plan.has_appointment:
        plan.appointment = _plan_appointment(row, ctx, plan.errors)
    return plan


def _plan_appointment(row: dict[str, Cell], ctx: _Context, errors: list[RowError]) -> AppointmentCreate | None:
    values: dict[str, Any] = {}
    before = len(errors)
    for name in ("authority_code", "role_code", "start_date"):
        if not _text(row, name):
            errors.append(RowError(field=name, detail="is required for an appointment"))
    for name in APPOINTMENT_FIELDS:
        if not _text(row, name):
            continue
        try:
            if name == "authority_code":
                code, authority_name = _text(row, name), _text(row, "authority_name")
                values[name] = rules.resolve_authority(code, authority_name, ctx.authorities)
            elif name == "role_code":
                values[name] = rules.resolve_role(_text(row, name), ctx.roles)
            else:
                values[name] = parse_date(row[name], field=name)
        except CellError as exc:
            errors.append(RowError(field=exc.field, detail=exc.detail))
    if len(errors) > before:
        return None
    try:
        return AppointmentCreate(**values)
    except ValidationError as exc:
        errors.extend(_validation_errors(exc, AppointmentCreate))
        return None


def _check_consistency(plan: _Plan, ctx: _Context) -> None:
    """The same person twice in one file must not be given two different names (or emails)."""
    if not plan.official_ok:
        return
    assert plan.national_id is not None
    earlier = ctx.seen.get(plan.national_id)
    if earlier is None:
        ctx.seen[plan.national_id] = (plan.number, dict(plan.official_fields))
        return
    number, fields = earlier
    for name, value in plan.official_fields.items():
        if name in fields and fields[name] != value:
            plan.errors.append(
                RowError(
                    field=name,
                    detail=f"row {number} gives {fields[name]!r} for the same national_id; this row gives {value!r}",
                )
            )
        fields.setdefault(name, value)


def _apply_official(db: Session, plan: _Plan, actor: Principal) -> tuple[Official, str]:
    assert plan.national_id is not None
    official = officials.find_official_by_national_id(db, national_id=plan.national_id)
    if official is None:
        missing = [n for n in ("first_name_he", "last_name_he") if n not in plan.official_fields]
        if missing:
            raise _RowRefused([RowError(field=n, detail="is required for a new official") for n in missing])
        data = OfficialCreate(national_id=plan.national_id, **plan.official_fields)
        return officials.create_official(db, data=data, actor=actor), "created"
    changes = {k: v for k, v in plan.official_fields.items() if getattr(official, k) != v}
    if not changes:
        return official, "unchanged"
    officials.update_official(db, official_id=official.id, data=OfficialUpdate(**changes), actor=actor)
    return official, "updated"


def _apply_appointment(db: Session, plan: _Plan, official: Official, actor: Principal) -> str:
    data = plan.appointment
    if data is None:
        return "none"
    existing = officials.find_appointment(
        db,
        official_id=official.id,
        authority_code=data.authority_code,
        role_code=data.role_code,
        start_date=data.start_date,
    )
    if existing is None:
        officials.create_appointment(db, official_id=official.id, data=data, actor=actor)
        return "created"
    # An empty end date is "not sent": re-importing a list of holders does not reopen ended appointments.
    if data.end_date is None or data.end_date == existing.end_date:
        return "unchanged"
    update = AppointmentUpdate(end_date=data.end_date)
    officials.update_appointment(db, appointment_id=existing.id, data=update, actor=actor)
    return "updated"


def _import_row(db: Session, number: int, row: dict[str, Cell], ctx: _Context, actor: Principal) -> RowReport:
    plan = _plan_row(number, row, ctx)
    _check_consistency(plan, ctx)
    refused = "refused" if plan.has_appointment else "none"
    if not plan.errors:
        try:
            # One savepoint per row: a row the services refuse leaves nothing behind, and later rows go on.
            with db.begin_nested():
                official, official_outcome = _apply_official(db, plan, actor)
                appointment_outcome = _apply_appointment(db, plan, official, actor)
            return RowReport(
                row=number,
                national_id=plan.national_id,
                official=official_outcome,
                appointment=appointment_outcome,
            )
        except _RowRefused as exc:
            plan.errors.extend(exc.errors)
        except DomainError as exc:
            plan.errors.append(_domain_error(exc))
        except IntegrityError:
            plan.errors.append(
                RowError(field="row", detail="conflicts with a record written at the same time; import the file again")
            )
    return RowReport(
        row=number,
        national_id=plan.national_id,
        official="refused",
        appointment=refused,
        errors=plan.errors,
    )


def _summarise(rows: list[RowReport]) -> ImportSummary:
    s = ImportSummary(rows=len(rows))
    for r in rows:
        s.officials_created += r.official == "created"
        s.officials_updated += r.official == "updated"
        s.appointments_created += r.appointment == "created"
        s.appointments_updated += r.appointment == "updated"
        s.refused += bool(r.errors)
        s.unchanged += r.official == "unchanged" and r.appointment in ("unchanged", "none")
    return s


def import_officials(
    db: Session, *, content: bytes, filename: str | None, dry_run: bool, actor: Principal
) -> ImportReport:
    """Import officials and appointments from CSV or XLSX; a dry run reports exactly what a real run would do."""
    table = rules.read_table(content, filename=filename, max_uncompressed=get_settings().xlsx_max_uncompressed_bytes)
    ctx = _load_context(db)
    # The dry run does the real work and rolls it back, so rows that depend on earlier rows report truly;
    # a real run with any refused row is rolled back the same way: all or nothing.
    savepoint = db.begin_nested()
    try:
        rows = [_import_row(db, number, row, ctx, actor) for number, row in table.rows]
    except BaseException:
        savepoint.rollback()
        raise
    summary = _summarise(rows)
    applied = not dry_run and summary.refused == 0
    if applied:
        savepoint.commit()
    else:
        savepoint.rollback()
    report = ImportReport(dry_run=dry_run, applied=applied, summary=summary, rows=rows)
    if not dry_run and not applied:
        raise ImportRefused(report)
    return report


# --- a file checked, then imported (the web pages' two steps) ------------------------------------------------------


def check_officials_file(db: Session, *, content: bytes, filename: str | None, actor: Principal) -> ImportRun:
    """Check a file of officials (a dry run: nothing imported) and keep its report; a file with no refused row is
    kept too, to be imported as it was checked (`import_checked_file`). A file that cannot be read is refused
    (422) and nothing is kept."""
    report = import_officials(db, content=content, filename=filename, dry_run=True, actor=actor)
    run = ImportRun(
        filename=clean_text(filename or "")[:255] or "file",
        sha256=hashlib.sha256(content).hexdigest(),
        content=content if report.summary.refused == 0 else None,
        uploaded_at=now_utc(),
        uploaded_by_user_id=actor.user_id,
        uploaded_by_label=actor.label,
        rows=report.summary.rows,
        refused=report.summary.refused,
        report=report.model_dump(mode="json"),
    )
    add_and_record(db, run, actor=actor, entity_type="import_run", exclude=_NOT_AUDITED)
    return run


def import_checked_file(db: Session, *, run_id: int, actor: Principal) -> ImportReport:
    """Import a checked file, all rows or none (404 for no such file; 409 when it was imported already or had
    refused rows). When the records changed since the check so that a row is now refused, nothing is imported and
    the 422 `import_refused` carries the new report."""
    run = db.get(ImportRun, run_id)
    if run is None:
        raise NotFound(f"no import with id {run_id}")
    if run.imported_at is not None:
        raise Conflict(f"import {run_id} was imported already", code="already_imported")
    if run.content is None or run.refused:
        raise Conflict(f"import {run_id} has refused rows: correct the file and check it again", code="import_refused")
    report = import_officials(db, content=run.content, filename=run.filename, dry_run=False, actor=actor)
    before = snapshot(run, exclude=_NOT_AUDITED)
    run.imported_at = now_utc()
    run.content = None
    record_change(db, run, before=before, actor=actor, entity_type="import_run", exclude=_NOT_AUDITED)
    return report


_NOT_AUDITED = ("content", "report")
