"""The school's calendar: days end at midnight Asia/Jerusalem."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from app.config import get_settings


def now_utc() -> datetime:
    """The current instant, timezone-aware in UTC."""
    return datetime.now(UTC)


def today() -> date:
    """Today's date in the school's timezone (Asia/Jerusalem)."""
    return datetime.now(ZoneInfo(get_settings().timezone)).date()


def local_date(instant: datetime) -> date:
    """The date in the school's timezone of an instant (a naive one is taken as UTC)."""
    if instant.tzinfo is None:
        instant = instant.replace(tzinfo=UTC)
    return instant.astimezone(ZoneInfo(get_settings().timezone)).date()
