"""The files of officials uploaded for import: each checked (a dry run) and its report kept; a file with no refused
row kept until it is imported, so that the rows imported are exactly the rows reported."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, UTCDateTime


class ImportRun(Base):
    """One uploaded file: who, when, its checked report, and when it was imported (if it was)."""

    __tablename__ = "import_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    filename: Mapped[str] = mapped_column(String(255))
    sha256: Mapped[str] = mapped_column(String(64))
    # The file itself, only while it waits to be imported (no refused row, not imported yet); then none.
    content: Mapped[bytes | None] = mapped_column(LargeBinary)
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    uploaded_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    uploaded_by_label: Mapped[str] = mapped_column(String(200))
    rows: Mapped[int] = mapped_column(Integer)
    refused: Mapped[int] = mapped_column(Integer)
    report: Mapped[dict[str, Any]] = mapped_column(JSON)  # the dry run's ImportReport
    imported_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
