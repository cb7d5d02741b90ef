"""access log: who read or exported which person's data, only ever inserted

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01 10:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op



revision: str = '0009'
down_revision: str | None = '0008'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'access_log',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('actor_user_id', sa.Integer(), nullable=True),
        sa.Column('actor_label', sa.String(length=200), nullable=False),
        sa.Column('actor_role', sa.String(length=20), nullable=False),
        sa.Column('address', sa.String(length=64), nullable=True),
        sa.Column('kind', sa.String(length=40), nullable=False),
        sa.Column('subject', sa.String(length=200), nullable=False),
        sa.Column('official_id', sa.Integer(), nullable=True),
        sa.Column('detail', sa.JSON(), nullable=True),
        sa.CheckConstraint(
            "kind IN ('official_record', 'national_id_search', 'transcript', 'credential', 'certificate_pdf', 'export')",
            name=op.f('ck_access_log_kind_known'),
        ),
        sa.ForeignKeyConstraint(
            ['actor_user_id'], ['users.id'], name=op.f('fk_access_log_actor_user_id_users'), ondelete='RESTRICT'
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_access_log')),
    )
    with op.batch_alter_table('access_log', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_access_log_at'), ['at'], unique=False)
        batch_op.create_index('ix_access_log_official', ['official_id', 'at'], unique=False)
        batch_op.create_index('ix_access_log_actor', ['actor_user_id', 'at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('access_log', schema=None) as batch_op:
        batch_op.drop_index('ix_access_log_actor')
        batch_op.drop_index('ix_access_log_official')
        batch_op.drop_index(batch_op.f('ix_access_log_at'))
    op.drop_table('access_log')
