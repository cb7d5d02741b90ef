"""Items of the knowledge centre in and out: a link or a note (JSON), a document's fields (beside its file), a change,
and an item as a reader sees it."""

from __future__ import annotations

from datetime import datetime
from typing import Literal, Self

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from app.knowledge.rules import ItemKind, Language, Visibility, visibility_problem
from app.schemas import MAX_ID, optional_text, required_text

URL_PATTERN = r"^https?://\S+$"


def _body(value: str | None) -> str | None:
    """A note's text keeps its lines; only its ends are trimmed."""
    if value is None:
        return None
    return value.replace("\r\n", "\n").strip() or None


class ItemFields(BaseModel):
    """What every item has: titles, description, tags and who sees it."""

    model_config = ConfigDict(extra="forbid")

    title_he: str = Field(min_length=1, max_length=300, description="The title in Hebrew.")
    title_en: str | None = Field(default=None, max_length=300)
    description: str | None = Field(default=None, max_length=5000)
    language: Language = Language.HE
    field: str | None = Field(default=None, max_length=200, description="The professional field, e.g. education.")
    role_code: str | None = Field(default=None, max_length=60, description="A role of the registry (`/api/v1/roles`).")
    community_id: int | None = Field(default=None, ge=1, le=MAX_ID)
    meeting_id: int | None = Field(
        default=None, ge=1, le=MAX_ID, description="A meeting of the community whose product or minutes this is."
    )
    visibility: Visibility = Field(
        default=Visibility.PUBLIC,
        description="public: anyone; wider: the community's members of either circle; core: its core members only.",
    )

    _required_text = field_validator("title_he")(required_text)

    _text = field_validator("title_en", "description", "field", "role_code")(optional_text)

    @model_validator(mode="after")
    def _visible_to_whom(self) -> Self:
        if (why := visibility_problem(self.visibility, self.community_id)) is not None and self.meeting_id is None:
            raise ValueError(f"visibility: {why}")
        return self


class ItemCreate(ItemFields):
    """A link (`url`) or a note (`body`); a document is filed by `POST /api/v1/knowledge/documents`."""

    kind: Literal[ItemKind.LINK, ItemKind.NOTE]
    url: str | None = Field(default=None, max_length=2000, pattern=URL_PATTERN)
    body: str | None = Field(default=None, max_length=100_000)

    _body = field_validator("body")(_body)

    @model_validator(mode="after")
    def _has_its_content(self) -> Self:
        if self.kind == ItemKind.LINK and self.url is None:
            raise ValueError("url: a link needs its address (https://...)")
        if self.kind == ItemKind.NOTE and self.body is None:
            raise ValueError("body: a note needs its text")
        return self


class DocumentCreate(ItemFields):
    """The fields of a document filed with its file."""


class ItemUpdate(BaseModel):
    """A change to an item: any of its fields (a link's address, a note's text)."""

    model_config = ConfigDict(extra="forbid")

    title_he: str | None = Field(default=None, min_length=1, max_length=300)
    title_en: str | None = Field(default=None, max_length=300)
    description: str | None = Field(default=None, max_length=5000)
    language: Language | None = None
    field: str | None = Field(default=None, max_length=200)
    role_code: str | None = Field(default=None, max_length=60)
    visibility: Visibility | None = None
    url: str | None = Field(default=None, max_length=2000, pattern=URL_PATTERN)
    body: str | None = Field(default=None, max_length=100_000)

    _text = field_validator("title_he", "title_en", "description", "field", "role_code")(optional_text)
    _body = field_validator("body")(_body)


class ItemRead(BaseModel):
    """An item as a reader sees it: a document's file is at `/api/v1/knowledge/{id}/file`."""

    id: int
    kind: ItemKind
    title_he: str
    title_en: str | None
    description: str | None
    language: Language
    field: str | None
    role_code: str | None
    community_id: int | None
    community_he: str | None = None
    community_en: str | None = None
    meeting_id: int | None
    meeting_title: str | None = None
    visibility: Visibility
    url: str | None
    body: str | None
    file_name: str | None
    file_type: str | None
    file_size: int | None
    is_minutes: bool
    created_at: datetime
    updated_at: datetime
    # Whether the caller may change or remove it (its community's coordinator, admins).
    may_edit: bool = False
