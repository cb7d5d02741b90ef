"""Surveys, their invitations, imported responses, reports and networks, in and out."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from app.programmes.schemas import CODE_MAX_LENGTH, CODE_PATTERN
from app.schemas import MAX_ID
from app.surveys.rules import ItemKind
from app.text import clean_text


def _clean(value: str | None) -> str | None:
    if value is None:
        return None
    value = clean_text(value)
    if not value:
        raise ValueError("must not be blank")
    return value


class OptionIn(BaseModel):
    """An option of a choice item: its code (what an imported file writes) and its text."""

    model_config = ConfigDict(extra="forbid")

    code: str = Field(pattern=CODE_PATTERN, max_length=CODE_MAX_LENGTH)
    text_he: str = Field(min_length=1, max_length=500)
    text_en: str | None = Field(default=None, max_length=500)

    _texts = field_validator("text_he", "text_en")(_clean)


class ItemIn(BaseModel):
    """A question of a survey: its code (the column of an imported file), kind, text and, for choices, options."""

    model_config = ConfigDict(extra="forbid")

    code: str = Field(pattern=CODE_PATTERN, max_length=CODE_MAX_LENGTH)
    kind: ItemKind
    text_he: str = Field(min_length=1, max_length=1000)
    text_en: str | None = Field(default=None, max_length=1000)
    options: list[OptionIn] = Field(default_factory=list, max_length=50)
    max_choices: int | None = Field(default=None, ge=1, le=50)

    _texts = field_validator("text_he", "text_en")(_clean)


class SurveyCreate(BaseModel):
    """A wave of a series (the series is created with its first survey) and its items, in order."""

    model_config = ConfigDict(extra="forbid")

    series_code: str = Field(pattern=CODE_PATTERN, max_length=CODE_MAX_LENGTH, examples=["trust"])
    wave: str = Field(min_length=1, max_length=100, examples=["start"])
    wave_order: int = Field(ge=0, le=1000)
    title_he: str = Field(min_length=1, max_length=300)
    title_en: str = Field(min_length=1, max_length=300)
    community_id: int | None = Field(default=None, ge=1, le=MAX_ID)
    anonymous: bool = Field(strict=True)
    items: list[ItemIn] = Field(min_length=1, max_length=200)

    _texts = field_validator("wave", "title_he", "title_en")(_clean)


class OptionRead(BaseModel):
    """An option of a choice item."""

    model_config = ConfigDict(from_attributes=True)

    code: str
    text_he: str
    text_en: str | None


class ItemRead(BaseModel):
    """A question of a survey."""

    id: int
    code: str
    kind: ItemKind
    text_he: str
    text_en: str | None
    options: list[OptionRead]
    max_choices: int | None


class SurveyRead(BaseModel):
    """A survey with its items and how many responded."""

    id: int
    series_code: str
    wave: str
    wave_order: int
    title_he: str
    title_en: str
    community_id: int | None
    anonymous: bool
    items: list[ItemRead]
    responses: int
    invited: int
    invitations_used: int
    created_at: dt.datetime


class SurveyListItem(BaseModel):
    """A survey in a list."""

    id: int
    series_code: str
    wave: str
    wave_order: int
    title_he: str
    title_en: str
    anonymous: bool
    responses: int
    has_people: bool
    community_id: int | None = None
    meeting_id: int | None = Field(default=None, description="The meeting a short survey after a meeting asks about.")


class InvitationCreate(BaseModel):
    """Whom to invite by one-time link: officials by id (each once); `anonymous_links` more links that name no one."""

    model_config = ConfigDict(extra="forbid")

    official_ids: list[Annotated[int, Field(ge=1, le=MAX_ID)]] = Field(default_factory=list, max_length=2000)
    anonymous_links: int = Field(default=0, ge=0, le=2000)


class WaveSend(BaseModel):
    """Send a survey to its community's current members: the core circle, the wider circle, or both (`all`)."""

    model_config = ConfigDict(extra="forbid")

    circle: Literal["core", "wider", "all"]


class AfterMeetingSettings(BaseModel):
    """Whether the community sends the short survey after each meeting, and whether those surveys are anonymous."""

    model_config = ConfigDict(extra="forbid")

    enabled: bool = Field(strict=True)
    anonymous: bool = Field(default=True, strict=True)


class AfterMeetingSettingsRead(BaseModel):
    """A community's short survey after each meeting: on or off, anonymous or not, and since when it is on."""

    model_config = ConfigDict(from_attributes=True)

    community_id: int
    enabled: bool
    anonymous: bool
    enabled_on: dt.date


class InvitationLink(BaseModel):
    """A one-time link, shown once: only its hash is kept."""

    official_id: int | None
    path: str = Field(description="The page that answers the survey, /s/{token}.")


class InvitationsMade(BaseModel):
    """The links made; each works once."""

    items: list[InvitationLink]
    total: int


class ImportRefusal(BaseModel):
    """Why a row of the file is refused: its row number as the spreadsheet shows it, the column, and why."""

    row: int
    field: str
    detail: str


class ResponsesImported(BaseModel):
    """Every row or none: `imported` is 0 whenever any row is refused."""

    imported: int
    refused: list[ImportRefusal]


class OptionFigure(BaseModel):
    """The share of the item's respondents choosing an option, 0-100."""

    code: str
    pct: float
    text_he: str = ""
    text_en: str | None = None


class ItemReport(BaseModel):
    """The figures of one item; `n` counts those who answered it."""

    code: str
    kind: ItemKind
    text_he: str
    text_en: str | None
    n: int
    mean: float | None = Field(description="Scales: the mean of those who answered.")
    high_agreement_pct: float | None = Field(description="Scales: the share answering 4 or 5, 0-100, not rounded.")
    distribution: dict[str, int] = Field(description="Scales: how many answered each point; choices: each option.")
    options: list[OptionFigure]
    texts: list[str] = Field(default_factory=list, description="Free text: what was written.")


class SurveyReport(BaseModel):
    """A survey's figures: `n` respondents, and each item's."""

    survey_id: int
    n: int
    items: list[ItemReport]


class WaveReport(BaseModel):
    """One wave of a series, with its N."""

    wave: str
    wave_order: int
    survey_id: int
    n: int
    items: list[ItemReport]


class SeriesReport(BaseModel):
    """The waves of a series side by side, in wave order."""

    code: str
    waves: list[WaveReport]


class CentralMember(BaseModel):
    """A member among the most central; the name (and id) only for those who may see names."""

    rank: int
    official_id: int | None
    name: str | None
    consulted_by: int
    consults: int
    betweenness: float


class NetworkReport(BaseModel):
    """The measures of a wave's network of who consults whom."""

    survey_id: int
    members: int
    ties: int
    density: float | None
    cross_authority_pct: float | None
    cross_district_pct: float | None
    isolated: int
    central: list[CentralMember]
    names_shown: bool
