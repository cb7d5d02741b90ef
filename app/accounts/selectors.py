"""Reading accounts."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.accounts.models import User
from app.accounts.schemas import UserRead
from app.accounts.totp import required_for
from app.errors import NotFound
from app.schemas import Page


def get_user(db: Session, *, user_id: int) -> UserRead:
    """The account behind a principal."""
    user = db.get(User, user_id)
    assert user is not None
    return UserRead.model_validate(user)


def read_user(db: Session, *, user_id: int) -> UserRead:
    """One account by id; 404 when there is none."""
    user = db.get(User, user_id)
    if user is None:
        raise NotFound(f"no user has the id {user_id}")
    return UserRead.model_validate(user)


def list_users(db: Session, *, limit: int, offset: int) -> Page[UserRead]:
    """Every login, by email; and how many there are."""
    total = db.scalar(select(func.count()).select_from(User)) or 0
    rows = db.scalars(select(User).order_by(User.email).limit(limit).offset(offset))
    return Page(items=[UserRead.model_validate(r) for r in rows], total=total)


def second_factor_due(db: Session, *, email: str) -> bool:
    """Whether the account of this email must still enrol a second factor (an admin or an auditor without one)."""
    user = db.scalar(select(User).where(User.email == email.strip().lower()))
    return user is not None and user.totp_enrolled_at is None and required_for(user.role)
