"""import runs: the files of officials uploaded for import, their checked report, and when each was imported; and
officials found by their names in one spelling of points, harakat, apostrophes and alef forms

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-01 15:00:00
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# app.text.search_key and name_key as they are at this revision (a migration does not import the app).
_INVISIBLE = re.compile("[\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff\u00ad]")
_SPACES = re.compile(r"\s+")
_QUOTES = str.maketrans(
    {"\u05f3": "'", "\u05f4": '"', "\u2019": "'", "\u2018": "'", "\u201c": '"', "\u201d": '"', "\u00b4": "'", "`": "'"}
)
_HYPHENS = re.compile(r"\s*[-\u05be\u2010-\u2015]\s*")
_NAME_MARKS = re.compile("[\u0591-\u05bd\u05bf\u05c1\u05c2\u05c4\u05c5\u05c7\u064b-\u065f\u0670\u0640'\"]")
_ARABIC_LETTERS = str.maketrans(
    {"\u0623": "\u0627", "\u0625": "\u0627", "\u0622": "\u0627", "\u0671": "\u0627", "\u0649": "\u064a", "\u0629": "\u0647"}
)


def _search_key(value: str) -> str:
    value = _INVISIBLE.sub("", value)
    value = "".join(ch for ch in value if unicodedata.category(ch) != "Cc" or ch in "\t\n ")
    value = _SPACES.sub(" ", unicodedata.normalize("NFC", value)).strip().translate(_QUOTES)
    return _HYPHENS.sub("-", value).casefold()


def _name_key(value: str) -> str:
    return _SPACES.sub(" ", _NAME_MARKS.sub("", _search_key(value)).translate(_ARABIC_LETTERS)).strip()


def _refresh_search_text(key: Callable[[str], str]) -> None:
    officials = sa.table(
        "officials",
        sa.column("id", sa.Integer),
        sa.column("national_id", sa.String),
        sa.column("first_name_he", sa.String),
        sa.column("last_name_he", sa.String),
        sa.column("first_name_en", sa.String),
        sa.column("last_name_en", sa.String),
        sa.column("search_text", sa.String),
    )
    conn = op.get_bind()
    rows = conn.execute(
        sa.select(
            officials.c.id,
            officials.c.national_id,
            officials.c.first_name_he,
            officials.c.last_name_he,
            officials.c.first_name_en,
            officials.c.last_name_en,
        )
    ).all()
    for row in rows:
        names = (row.first_name_he, row.last_name_he, row.first_name_en, row.last_name_en)
        text = " ".join(key(n) for n in names if n) + " " + row.national_id
        conn.execute(officials.update().where(officials.c.id == row.id).values(search_text=text))


def upgrade() -> None:
    op.create_table(
        "import_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=True),
        sa.Column("uploaded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("uploaded_by_user_id", sa.Integer(), nullable=True),
        sa.Column("uploaded_by_label", sa.String(length=200), nullable=False),
        sa.Column("rows", sa.Integer(), nullable=False),
        sa.Column("refused", sa.Integer(), nullable=False),
        sa.Column("report", sa.JSON(), nullable=False),
        sa.Column("imported_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["uploaded_by_user_id"],
            ["users.id"],
            name=op.f("fk_import_runs_uploaded_by_user_id_users"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_import_runs")),
    )
    op.create_index(op.f("ix_import_runs_uploaded_at"), "import_runs", ["uploaded_at"], unique=False)
    _refresh_search_text(_name_key)


def downgrade() -> None:
    _refresh_search_text(_search_key)
    op.drop_index(op.f("ix_import_runs_uploaded_at"), table_name="import_runs")
    op.drop_table("import_runs")
