"""Reading the files of officials uploaded for import and their reports."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, aliased

from app.errors import NotFound
from app.imports.models import ImportRun
from app.imports.schemas import ImportReport


@dataclass(frozen=True)
class ImportRunRead:
    """An uploaded file: who, when, how many rows and how many refused, and when it was imported (None: not yet)."""

    id: int
    filename: str
    uploaded_at: datetime
    uploaded_by_label: str
    rows: int
    refused: int
    imported_at: datetime | None
    waiting: bool  # checked with no refused row, and not imported yet: it may be imported


def _read(run: ImportRun) -> ImportRunRead:
    return ImportRunRead(
        id=run.id,
        filename=run.filename,
        uploaded_at=run.uploaded_at,
        uploaded_by_label=run.uploaded_by_label,
        rows=run.rows,
        refused=run.refused,
        imported_at=run.imported_at,
        waiting=run.imported_at is None and run.content is not None,
    )


_COLUMNS = (
    ImportRun.id,
    ImportRun.filename,
    ImportRun.uploaded_at,
    ImportRun.uploaded_by_label,
    ImportRun.rows,
    ImportRun.refused,
    ImportRun.imported_at,
    ImportRun.content.is_not(None).label("waiting"),
)


def recent_imports(db: Session, *, limit: int = 20) -> list[ImportRunRead]:
    """The files uploaded last, newest first (the files themselves are not read)."""
    stmt = select(*_COLUMNS).order_by(ImportRun.uploaded_at.desc(), ImportRun.id.desc()).limit(limit)
    return [_row(r) for r in db.execute(stmt)]


def imports_with_refused_rows(db: Session, *, limit: int = 20) -> list[ImportRunRead]:
    """Files checked with refused rows and not set right since: no file of the same name was imported after them;
    newest first. For the school's home ("imports with refused rows")."""
    later = aliased(ImportRun)
    fixed = (
        select(later.id)
        .where(
            later.filename == ImportRun.filename,
            later.imported_at.is_not(None),
            later.uploaded_at > ImportRun.uploaded_at,
        )
        .exists()
    )
    stmt = (
        select(*_COLUMNS)
        .where(ImportRun.refused > 0, ~fixed)
        .order_by(ImportRun.uploaded_at.desc(), ImportRun.id.desc())
        .limit(limit)
    )
    return [_row(r) for r in db.execute(stmt)]


def get_import(db: Session, *, run_id: int) -> tuple[ImportRunRead, ImportReport]:
    """One uploaded file and its checked report; 404 when there is none."""
    run = db.get(ImportRun, run_id)
    if run is None:
        raise NotFound(f"no import with id {run_id}")
    return _read(run), ImportReport.model_validate(run.report)


def _row(r: object) -> ImportRunRead:
    return ImportRunRead(**{name: getattr(r, name) for name in ImportRunRead.__dataclass_fields__})
