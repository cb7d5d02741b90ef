"""Local authorities, as the CBS lists them."""

from __future__ import annotations

from datetime import date

from sqlalchemy import Boolean, CheckConstraint, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.authorities.rules import AuthorityType
from app.db import Base, one_of


class Authority(Base):
    """A local authority, keyed by its CBS code as a string ("0031" and "31" differ)."""

    __tablename__ = "authorities"
    __table_args__ = (CheckConstraint(one_of("type", AuthorityType), name="type"),)

    code: Mapped[str] = mapped_column(String(8), primary_key=True)
    name_he: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200))
    type: Mapped[str] = mapped_column(String(20))
    type_he: Mapped[str] = mapped_column(String(40))
    district: Mapped[str] = mapped_column(String(60), index=True)
    district_he: Mapped[str] = mapped_column(String(60))
    population: Mapped[int | None] = mapped_column(Integer)
    search_text: Mapped[str] = mapped_column(Text)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    inactive_since: Mapped[date | None]
    merged_into_code: Mapped[str | None] = mapped_column(String(8))
    source: Mapped[str] = mapped_column(String(120))
