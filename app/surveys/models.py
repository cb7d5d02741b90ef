"""Surveys of a series and wave, their items, the one-time links that invite people, and the responses.

Anonymity is kept by the schema, not by convention: a response carries its survey's `anonymous` flag, bound to the
survey's by a foreign key on (survey_id, anonymous), and a CHECK forbids a respondent on an anonymous response; an
invitation records only that it was used, never which response it gave, nor when.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, UTCDateTime, one_of
from app.surveys.rules import ItemKind, ResponseSource


class SurveySeries(Base):
    """A series of surveys asked in waves (trust, satisfaction), compared side by side."""

    __tablename__ = "survey_series"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Survey(Base):
    """One wave of a series: its titles, whether it is anonymous, and the community it asks (if any)."""

    __tablename__ = "surveys"
    __table_args__ = (
        # What the items and responses refer to, so that they carry the survey's own `anonymous`.
        UniqueConstraint("id", "anonymous"),
        UniqueConstraint("series_id", "wave"),
        UniqueConstraint("series_id", "wave_order"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    series_id: Mapped[int] = mapped_column(ForeignKey("survey_series.id", ondelete="RESTRICT"))
    wave: Mapped[str] = mapped_column(String(100))
    wave_order: Mapped[int] = mapped_column(Integer)
    title_he: Mapped[str] = mapped_column(String(300))
    title_en: Mapped[str] = mapped_column(String(300))
    # The community asked; its foreign key comes with the communities' tables.
    community_id: Mapped[int | None] = mapped_column(ForeignKey("communities.id", ondelete="RESTRICT"), index=True)
    anonymous: Mapped[bool] = mapped_column(Boolean)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # The meeting a short survey after a meeting asks about: one survey per meeting, whoever runs the job how often.
    meeting_id: Mapped[int | None] = mapped_column(
        ForeignKey("community_meetings.id", ondelete="RESTRICT"), unique=True
    )


class AfterMeetingSurvey(Base):
    """Whether a community sends the short survey after each of its meetings (off unless its coordinator turns it
    on), and whether those surveys are anonymous."""

    __tablename__ = "after_meeting_surveys"

    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id", ondelete="RESTRICT"), primary_key=True)
    enabled: Mapped[bool] = mapped_column(Boolean)
    anonymous: Mapped[bool] = mapped_column(Boolean)
    # The day it was last turned on: meetings that ended long before are not surveyed (rules.after_meeting_due).
    enabled_on: Mapped[date]
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class SurveyItem(Base):
    """A question of a survey, in order; a `people` item never in an anonymous survey."""

    __tablename__ = "survey_items"
    __table_args__ = (
        ForeignKeyConstraint(
            ["survey_id", "anonymous"], ["surveys.id", "surveys.anonymous"], ondelete="CASCADE", onupdate="RESTRICT"
        ),
        CheckConstraint(one_of("kind", ItemKind), name="kind"),
        CheckConstraint(f"NOT anonymous OR kind <> '{ItemKind.PEOPLE}'", name="no_people_when_anonymous"),
        CheckConstraint(
            f"max_choices IS NULL OR (kind = '{ItemKind.MULTIPLE}' AND max_choices >= 1)", name="max_choices"
        ),
        UniqueConstraint("survey_id", "code"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    survey_id: Mapped[int] = mapped_column(Integer)
    anonymous: Mapped[bool] = mapped_column(Boolean)
    position: Mapped[int] = mapped_column(Integer)
    code: Mapped[str] = mapped_column(String(40))
    kind: Mapped[str] = mapped_column(String(20))
    text_he: Mapped[str] = mapped_column(String(1000))
    text_en: Mapped[str | None] = mapped_column(String(1000))
    max_choices: Mapped[int | None] = mapped_column(Integer)


class SurveyOption(Base):
    """An option of a choice item, in order."""

    __tablename__ = "survey_options"
    __table_args__ = (UniqueConstraint("item_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("survey_items.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)
    code: Mapped[str] = mapped_column(String(40))
    text_he: Mapped[str] = mapped_column(String(500))
    text_en: Mapped[str | None] = mapped_column(String(500))


class SurveyInvitation(Base):
    """A one-time link to answer a survey: only the SHA-256 of its token is kept, and only whether it was used."""

    __tablename__ = "survey_invitations"
    __table_args__ = (Index("uq_survey_invitations_survey_official", "survey_id", "official_id", unique=True),)

    id: Mapped[int] = mapped_column(primary_key=True)
    survey_id: Mapped[int] = mapped_column(ForeignKey("surveys.id", ondelete="CASCADE"))
    official_id: Mapped[int | None] = mapped_column(ForeignKey("officials.id", ondelete="RESTRICT"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    used: Mapped[bool] = mapped_column(Boolean)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class SurveyResponse(Base):
    """One respondent's answers; the respondent is known only in a survey that is not anonymous."""

    __tablename__ = "survey_responses"
    __table_args__ = (
        ForeignKeyConstraint(
            ["survey_id", "anonymous"], ["surveys.id", "surveys.anonymous"], ondelete="CASCADE", onupdate="RESTRICT"
        ),
        CheckConstraint("NOT anonymous OR respondent_official_id IS NULL", name="no_respondent_when_anonymous"),
        CheckConstraint(one_of("source", ResponseSource), name="source"),
        Index("uq_survey_responses_survey_respondent", "survey_id", "respondent_official_id", unique=True),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    survey_id: Mapped[int] = mapped_column(Integer)
    anonymous: Mapped[bool] = mapped_column(Boolean)
    respondent_official_id: Mapped[int | None] = mapped_column(
        ForeignKey("officials.id", ondelete="RESTRICT"), index=True
    )
    source: Mapped[str] = mapped_column(String(10))
    # The day only: a time of day could be matched with other records to find who answered.
    submitted_on: Mapped[date]


class SurveyAnswer(Base):
    """One value of a response to an item: a point of the scale, a chosen option (one row per option), a text, or a
    person named (one row per person)."""

    __tablename__ = "survey_answers"
    __table_args__ = (
        CheckConstraint("scale_value IS NULL OR scale_value BETWEEN 1 AND 5", name="scale_value"),
        CheckConstraint(
            "(CASE WHEN scale_value IS NULL THEN 0 ELSE 1 END) + (CASE WHEN option_id IS NULL THEN 0 ELSE 1 END)"
            " + (CASE WHEN text IS NULL THEN 0 ELSE 1 END) + (CASE WHEN person_official_id IS NULL THEN 0 ELSE 1 END)"
            " = 1",
            name="one_value",
        ),
        Index("ix_survey_answers_item", "item_id", "response_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    response_id: Mapped[int] = mapped_column(ForeignKey("survey_responses.id", ondelete="CASCADE"), index=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("survey_items.id", ondelete="CASCADE"))
    scale_value: Mapped[int | None] = mapped_column(Integer)
    option_id: Mapped[int | None] = mapped_column(ForeignKey("survey_options.id", ondelete="CASCADE"))
    text: Mapped[str | None] = mapped_column(Text)
    person_official_id: Mapped[int | None] = mapped_column(ForeignKey("officials.id", ondelete="RESTRICT"))
