"""The report of a bulk import, row by row."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from app.schemas import ErrorBody

OfficialOutcome = Literal["created", "updated", "unchanged", "refused"]
AppointmentOutcome = Literal["created", "updated", "unchanged", "none", "refused"]


class RowError(BaseModel):
    """Why a row is refused: the field (column) and a sentence that names the value."""

    field: str = Field(examples=["role_code"])
    detail: str = Field(examples=["there is no role with code 'nope'"])


class RowReport(BaseModel):
    """What the import does with one row of the sheet."""

    row: int = Field(description="The row number as the spreadsheet shows it (the header is row 1).")
    national_id: str | None = Field(description="The ID as normalised (9 digits), or as written when refused.")
    official: OfficialOutcome
    appointment: AppointmentOutcome = Field(description="`none` when the row carries no appointment.")
    errors: list[RowError] = Field(default_factory=list)


class ImportSummary(BaseModel):
    """Counts over all rows."""

    rows: int = 0
    officials_created: int = 0
    officials_updated: int = 0
    appointments_created: int = 0
    appointments_updated: int = 0
    unchanged: int = Field(default=0, description="Rows that change nothing.")
    refused: int = 0


class ImportReport(BaseModel):
    """The outcome of an import; `applied` is true only for a real run in which every row was accepted."""

    dry_run: bool
    applied: bool
    summary: ImportSummary
    rows: list[RowReport]


class ImportRefusedBody(ErrorBody):
    """A 422: either a file that cannot be read (`field` is `file`), or a real run with refused rows
    (`error` is `import_refused`, nothing was written, and the report says why row by row)."""

    dry_run: bool | None = None
    applied: bool | None = None
    summary: ImportSummary | None = None
    rows: list[RowReport] | None = None
