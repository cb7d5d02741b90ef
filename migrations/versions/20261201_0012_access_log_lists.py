"""access log: a list on screen naming many officials is a kind of its own

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-01 12:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BEFORE = ("official_record", "national_id_search", "transcript", "credential", "certificate_pdf", "export")
AFTER = (*BEFORE, "list")


def _kinds(kinds: tuple[str, ...]) -> str:
    return "kind IN (" + ", ".join(f"'{k}'" for k in kinds) + ")"


def upgrade() -> None:
    with op.batch_alter_table("access_log", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_access_log_kind_known"), type_="check")
        batch_op.create_check_constraint(op.f("ck_access_log_kind_known"), _kinds(AFTER))


def downgrade() -> None:
    op.execute("DELETE FROM access_log WHERE kind = 'list'")
    with op.batch_alter_table("access_log", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_access_log_kind_known"), type_="check")
        batch_op.create_check_constraint(op.f("ck_access_log_kind_known"), _kinds(BEFORE))
