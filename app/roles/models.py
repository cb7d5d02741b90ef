"""Senior roles of a local authority."""

from __future__ import annotations

from sqlalchemy import Boolean, String
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base


class Role(Base):
    """A senior position, e.g. director general or treasurer; which programme it owes is the catalogue's."""

    __tablename__ = "roles"

    code: Mapped[str] = mapped_column(String(60), primary_key=True)
    name_he: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200))
    mandatory_entry_training: Mapped[bool] = mapped_column(Boolean, default=False)
