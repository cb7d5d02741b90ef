"""surveys in series and waves, their items and options, one-time links, and responses that keep anonymity in the
schema (a response of an anonymous survey can have no respondent)

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-02 00:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0023"
down_revision: str | None = "0022"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "survey_series",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_survey_series")),
        sa.UniqueConstraint("code", name=op.f("uq_survey_series_code")),
    )
    op.create_table(
        "surveys",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("series_id", sa.Integer(), nullable=False),
        sa.Column("wave", sa.String(length=100), nullable=False),
        sa.Column("wave_order", sa.Integer(), nullable=False),
        sa.Column("title_he", sa.String(length=300), nullable=False),
        sa.Column("title_en", sa.String(length=300), nullable=False),
        sa.Column("community_id", sa.Integer(), nullable=True),
        sa.Column("anonymous", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["series_id"], ["survey_series.id"], name=op.f("fk_surveys_series_id_survey_series"), ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_surveys")),
        sa.UniqueConstraint("id", "anonymous", name=op.f("uq_surveys_id_anonymous")),
        sa.UniqueConstraint("series_id", "wave", name=op.f("uq_surveys_series_id_wave")),
        sa.UniqueConstraint("series_id", "wave_order", name=op.f("uq_surveys_series_id_wave_order")),
    )
    with op.batch_alter_table("surveys", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_surveys_community_id"), ["community_id"], unique=False)

    op.create_table(
        "survey_invitations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("survey_id", sa.Integer(), nullable=False),
        sa.Column("official_id", sa.Integer(), nullable=True),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("used", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["official_id"],
            ["officials.id"],
            name=op.f("fk_survey_invitations_official_id_officials"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["survey_id"], ["surveys.id"], name=op.f("fk_survey_invitations_survey_id_surveys"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_survey_invitations")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_survey_invitations_token_hash")),
    )
    with op.batch_alter_table("survey_invitations", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_survey_invitations_official_id"), ["official_id"], unique=False)
        batch_op.create_index("uq_survey_invitations_survey_official", ["survey_id", "official_id"], unique=True)

    op.create_table(
        "survey_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("survey_id", sa.Integer(), nullable=False),
        sa.Column("anonymous", sa.Boolean(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("text_he", sa.String(length=1000), nullable=False),
        sa.Column("text_en", sa.String(length=1000), nullable=True),
        sa.Column("max_choices", sa.Integer(), nullable=True),
        sa.CheckConstraint("NOT anonymous OR kind <> 'people'", name=op.f("ck_survey_items_no_people_when_anonymous")),
        sa.CheckConstraint(
            "kind IN ('scale5', 'single', 'multiple', 'text', 'people')", name=op.f("ck_survey_items_kind")
        ),
        sa.CheckConstraint(
            "max_choices IS NULL OR (kind = 'multiple' AND max_choices >= 1)", name=op.f("ck_survey_items_max_choices")
        ),
        sa.ForeignKeyConstraint(
            ["survey_id", "anonymous"],
            ["surveys.id", "surveys.anonymous"],
            name=op.f("fk_survey_items_survey_id_surveys"),
            onupdate="RESTRICT",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_survey_items")),
        sa.UniqueConstraint("survey_id", "code", name=op.f("uq_survey_items_survey_id_code")),
    )
    op.create_table(
        "survey_responses",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("survey_id", sa.Integer(), nullable=False),
        sa.Column("anonymous", sa.Boolean(), nullable=False),
        sa.Column("respondent_official_id", sa.Integer(), nullable=True),
        sa.Column("source", sa.String(length=10), nullable=False),
        sa.Column("submitted_on", sa.Date(), nullable=False),
        sa.CheckConstraint("source IN ('link', 'import')", name=op.f("ck_survey_responses_source")),
        sa.CheckConstraint(
            "NOT anonymous OR respondent_official_id IS NULL",
            name=op.f("ck_survey_responses_no_respondent_when_anonymous"),
        ),
        sa.ForeignKeyConstraint(
            ["respondent_official_id"],
            ["officials.id"],
            name=op.f("fk_survey_responses_respondent_official_id_officials"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["survey_id", "anonymous"],
            ["surveys.id", "surveys.anonymous"],
            name=op.f("fk_survey_responses_survey_id_surveys"),
            onupdate="RESTRICT",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_survey_responses")),
    )
    with op.batch_alter_table("survey_responses", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_survey_responses_respondent_official_id"), ["respondent_official_id"], unique=False
        )
        batch_op.create_index(
            "uq_survey_responses_survey_respondent", ["survey_id", "respondent_official_id"], unique=True
        )

    op.create_table(
        "survey_options",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("text_he", sa.String(length=500), nullable=False),
        sa.Column("text_en", sa.String(length=500), nullable=True),
        sa.ForeignKeyConstraint(
            ["item_id"], ["survey_items.id"], name=op.f("fk_survey_options_item_id_survey_items"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_survey_options")),
        sa.UniqueConstraint("item_id", "code", name=op.f("uq_survey_options_item_id_code")),
    )
    op.create_table(
        "survey_answers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("response_id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("scale_value", sa.Integer(), nullable=True),
        sa.Column("option_id", sa.Integer(), nullable=True),
        sa.Column("text", sa.Text(), nullable=True),
        sa.Column("person_official_id", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "(CASE WHEN scale_value IS NULL THEN 0 ELSE 1 END) + (CASE WHEN option_id IS NULL THEN 0 ELSE 1 END) + (CASE WHEN text IS NULL THEN 0 ELSE 1 END) + (CASE WHEN person_official_id IS NULL THEN 0 ELSE 1 END) = 1",
            name=op.f("ck_survey_answers_one_value"),
        ),
        sa.CheckConstraint(
            "scale_value IS NULL OR scale_value BETWEEN 1 AND 5", name=op.f("ck_survey_answers_scale_value")
        ),
        sa.ForeignKeyConstraint(
            ["item_id"], ["survey_items.id"], name=op.f("fk_survey_answers_item_id_survey_items"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["option_id"],
            ["survey_options.id"],
            name=op.f("fk_survey_answers_option_id_survey_options"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["person_official_id"],
            ["officials.id"],
            name=op.f("fk_survey_answers_person_official_id_officials"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["response_id"],
            ["survey_responses.id"],
            name=op.f("fk_survey_answers_response_id_survey_responses"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_survey_answers")),
    )
    with op.batch_alter_table("survey_answers", schema=None) as batch_op:
        batch_op.create_index("ix_survey_answers_item", ["item_id", "response_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_survey_answers_response_id"), ["response_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("survey_answers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_survey_answers_response_id"))
        batch_op.drop_index("ix_survey_answers_item")

    op.drop_table("survey_answers")
    op.drop_table("survey_options")
    with op.batch_alter_table("survey_responses", schema=None) as batch_op:
        batch_op.drop_index("uq_survey_responses_survey_respondent")
        batch_op.drop_index(batch_op.f("ix_survey_responses_respondent_official_id"))

    op.drop_table("survey_responses")
    op.drop_table("survey_items")
    with op.batch_alter_table("survey_invitations", schema=None) as batch_op:
        batch_op.drop_index("uq_survey_invitations_survey_official")
        batch_op.drop_index(batch_op.f("ix_survey_invitations_official_id"))

    op.drop_table("survey_invitations")
    with op.batch_alter_table("surveys", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_surveys_community_id"))

    op.drop_table("surveys")
    op.drop_table("survey_series")
