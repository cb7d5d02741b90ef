"""credentials without the national ID: the holder's DID, the Data Integrity form of the credential, its entry in
the revocation status lists, and the status lists; the hashed national ID and its salt dropped

Credentials issued before this carry the hashed ID inside their signed text: `lms certificates
reissue-credentials` reissues them and withdraws the old ones (docs/operations.md).

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-01 12:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("certificates") as batch:
        batch.add_column(sa.Column("holder_did", sa.String(length=300), nullable=True))
        batch.add_column(sa.Column("credential_json", sa.Text(), nullable=True))
        batch.add_column(sa.Column("status_list", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("status_list_index", sa.Integer(), nullable=True))
        batch.drop_column("subject_hash")
        batch.drop_column("subject_salt")
        batch.create_index("uq_certificates_status_entry", ["status_list", "status_list_index"], unique=True)
    op.create_table(
        "credential_status_lists",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("credential_json", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_credential_status_lists")),
    )


def downgrade() -> None:
    op.drop_table("credential_status_lists")
    with op.batch_alter_table("certificates") as batch:
        batch.drop_index("uq_certificates_status_entry")
        # The hashes are not kept: old rows get empty values (their signed credentials still hold them, if any).
        batch.add_column(sa.Column("subject_salt", sa.String(length=32), nullable=False, server_default=""))
        batch.add_column(sa.Column("subject_hash", sa.String(length=80), nullable=False, server_default=""))
        batch.drop_column("status_list_index")
        batch.drop_column("status_list")
        batch.drop_column("credential_json")
        batch.drop_column("holder_did")
