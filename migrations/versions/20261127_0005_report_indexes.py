"""report indexes: an official's seats read from the index alone

Revision ID: 0005
Revises: 0006
Create Date: 2026-11-27 18:50:00

Found with the compliance benchmark (bench/compliance.py; the plans are in docs/benchmarks.md). The status of a
requirement asks whether its official held a seat on the date (seated_on <= d AND (ended_on IS NULL OR
ended_on > d)) in a cohort of the programme. Joined requirement by requirement (always on SQLite, for one
authority on PostgreSQL), that read every enrolment of the official from the table; with the dates and the
cohort in the index it reads the index only ("USING COVERING INDEX" on SQLite, "Index Only Scan" on PostgreSQL).

Revision 0005 follows 0006 (certificates), the head when it was written, so that the history stays one line.
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op


revision: str = '0005'
down_revision: str | None = '0006'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('enrolments', schema=None) as batch_op:
        batch_op.create_index(
            'ix_enrolments_official_seat', ['official_id', 'seated_on', 'ended_on', 'cohort_id'], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table('enrolments', schema=None) as batch_op:
        batch_op.drop_index('ix_enrolments_official_seat')
