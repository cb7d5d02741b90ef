"""certificates: serial numbers, verification codes, signed credentials, revocation and reissue

Revision ID: 0006
Revises: 0004
Create Date: 2026-11-27 18:05:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op



revision: str = '0006'
down_revision: str | None = '0004'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Serial numbers come from a sequence where there is one (PostgreSQL), from a one-row counter elsewhere.
    if op.get_bind().dialect.name == 'postgresql':
        op.execute('CREATE SEQUENCE certificate_serial_seq START 1')
    op.create_table(
        'certificate_serial_counter',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('value', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_certificate_serial_counter')),
    )
    op.execute('INSERT INTO certificate_serial_counter (id, value) VALUES (1, 0)')
    op.create_table(
        'certificates',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('serial', sa.String(length=20), nullable=False),
        sa.Column('verification_code', sa.String(length=64), nullable=False),
        sa.Column('enrolment_id', sa.Integer(), nullable=False),
        sa.Column('official_id', sa.Integer(), nullable=False),
        sa.Column('cohort_id', sa.Integer(), nullable=False),
        sa.Column('programme_id', sa.Integer(), nullable=False),
        sa.Column('status', sa.String(length=20), nullable=False),
        sa.Column('issued_on', sa.Date(), nullable=False),
        sa.Column('issued_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('holder_name_he', sa.String(length=210), nullable=False),
        sa.Column('holder_name_en', sa.String(length=210), nullable=True),
        sa.Column('programme_code', sa.String(length=40), nullable=False),
        sa.Column('programme_title_he', sa.String(length=300), nullable=False),
        sa.Column('programme_title_en', sa.String(length=300), nullable=False),
        sa.Column('cohort_code', sa.String(length=40), nullable=False),
        sa.Column('hours', sa.Float(), nullable=False),
        sa.Column('completed_on', sa.Date(), nullable=False),
        sa.Column('subject_salt', sa.String(length=32), nullable=False),
        sa.Column('subject_hash', sa.String(length=80), nullable=False),
        sa.Column('credential_jws', sa.Text(), nullable=False),
        sa.Column('signing_kid', sa.String(length=64), nullable=False),
        sa.Column('pdf_sha256', sa.String(length=64), nullable=True),
        sa.Column('revoked_on', sa.Date(), nullable=True),
        sa.Column('revocation_reason', sa.Text(), nullable=True),
        sa.Column('supersedes_id', sa.Integer(), nullable=True),
        sa.Column('superseded_by_id', sa.Integer(), nullable=True),
        sa.Column('issued_by_user_id', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("status IN ('valid', 'revoked', 'superseded')", name=op.f('ck_certificates_status')),
        sa.CheckConstraint(
            "(status = 'revoked') = (revoked_on IS NOT NULL)", name=op.f('ck_certificates_revoked_has_date')
        ),
        sa.ForeignKeyConstraint(['cohort_id'], ['cohorts.id'], name=op.f('fk_certificates_cohort_id_cohorts'), ondelete='RESTRICT'),
        sa.ForeignKeyConstraint(['enrolment_id'], ['enrolments.id'], name=op.f('fk_certificates_enrolment_id_enrolments'), ondelete='RESTRICT'),
        sa.ForeignKeyConstraint(['issued_by_user_id'], ['users.id'], name=op.f('fk_certificates_issued_by_user_id_users'), ondelete='RESTRICT'),
        sa.ForeignKeyConstraint(['official_id'], ['officials.id'], name=op.f('fk_certificates_official_id_officials'), ondelete='RESTRICT'),
        sa.ForeignKeyConstraint(['programme_id'], ['programmes.id'], name=op.f('fk_certificates_programme_id_programmes'), ondelete='RESTRICT'),
        sa.ForeignKeyConstraint(['superseded_by_id'], ['certificates.id'], name=op.f('fk_certificates_superseded_by_id_certificates'), ondelete='RESTRICT'),
        sa.ForeignKeyConstraint(['supersedes_id'], ['certificates.id'], name=op.f('fk_certificates_supersedes_id_certificates'), ondelete='RESTRICT'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_certificates')),
        sa.UniqueConstraint('serial', name=op.f('uq_certificates_serial')),
        sa.UniqueConstraint('verification_code', name=op.f('uq_certificates_verification_code')),
    )
    with op.batch_alter_table('certificates', schema=None) as batch_op:
        batch_op.create_index('ix_certificates_cohort', ['cohort_id'], unique=False)
        batch_op.create_index('ix_certificates_official', ['official_id'], unique=False)
        # One current certificate per enrolment: a reissue supersedes the old one before the new one is written.
        batch_op.create_index(
            'uq_certificates_current_enrolment',
            ['enrolment_id'],
            unique=True,
            sqlite_where=sa.text("status <> 'superseded'"),
            postgresql_where=sa.text("status <> 'superseded'"),
        )


def downgrade() -> None:
    with op.batch_alter_table('certificates', schema=None) as batch_op:
        batch_op.drop_index('uq_certificates_current_enrolment')
        batch_op.drop_index('ix_certificates_official')
        batch_op.drop_index('ix_certificates_cohort')
    op.drop_table('certificates')
    op.drop_table('certificate_serial_counter')
    if op.get_bind().dialect.name == 'postgresql':
        op.execute('DROP SEQUENCE IF EXISTS certificate_serial_seq')
