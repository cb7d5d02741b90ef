"""Signed-in browsers: the server-side sessions of the web pages."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, UTCDateTime


class WebSession(Base):
    """One signed-in browser of a user. The random id its cookie carries is kept only as a SHA-256 hash, so a copy
    of the table lets no one in; the CSRF token is what the pages' forms send back."""

    __tablename__ = "web_sessions"
    __table_args__ = (
        CheckConstraint("length(token_hash) = 64", name="token_hash_is_sha256"),
        CheckConstraint("last_seen_at >= created_at", name="seen_after_created"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # The user's token version at sign-in: once the account's version moves on, the session is over.
    token_version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
