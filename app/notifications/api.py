"""JSON routes of mail: the caller's own choices (`/api/v1/me/mail-preferences`), and the outbox for the admins
(`/api/v1/outbox`): every message, where it stands, and a resend."""

from __future__ import annotations

from fastapi import Query
from sqlalchemy.orm import Session

from app.accounts import selectors as accounts
from app.auth import Principal
from app.notifications import selectors, service
from app.notifications.rules import MessageState
from app.notifications.schemas import (
    MailPreferenceRead,
    MailPreferenceUpdate,
    OutboxMessageDetail,
    OutboxMessageRead,
)
from app.officials import selectors as officials
from app.web.deps import AdminOnly, Anyone, SessionDep
from app.web.errors import responses
from app.web.pagination import Limit, Offset, Page, RecordId
from app.web.routing import Router

router = Router(prefix="/api/v1", tags=["mail"])


def addresses_of(db: Session, principal: Principal) -> list[str]:
    """The addresses a user's mail goes to, their account's first: an official's record may hold another."""
    assert principal.user_id is not None
    emails = [accounts.get_user(db, user_id=principal.user_id).email]
    if principal.official_id is not None:
        official = officials.get_official(db, official_id=principal.official_id, actor=principal)
        if official.email and official.email.lower() not in emails:
            emails.append(official.email.lower())
    return emails


@router.get("/me/mail-preferences", response_model=MailPreferenceRead, responses=responses(401))
def get_mail_preferences(db: SessionDep, principal: Anyone) -> MailPreferenceRead:
    """The language of the caller's mail and whether they receive optional mail."""
    return selectors.mail_preference(db, email=addresses_of(db, principal)[0])


@router.put("/me/mail-preferences", response_model=MailPreferenceRead, responses=responses(401, 422))
def put_mail_preferences(db: SessionDep, principal: Anyone, data: MailPreferenceUpdate) -> MailPreferenceRead:
    """Choose the language of one's mail and whether to receive optional mail (the deadline reminders of mandatory
    trainings are sent whatever is chosen). Audited."""
    emails = addresses_of(db, principal)
    service.set_mail_preference(
        db, emails=emails, language=data.language, optional_mail=data.optional_mail, actor=principal
    )
    return selectors.mail_preference(db, email=emails[0])


@router.get("/outbox", response_model=Page[OutboxMessageRead], responses=responses(401, 403, 422))
def list_outbox(
    db: SessionDep,
    _: AdminOnly,
    state: MessageState | None = Query(default=None),
    kind: str | None = Query(default=None, max_length=40),
    recipient: str | None = Query(default=None, max_length=254, description="Part of the address or the name."),
    limit: Limit = 50,
    offset: Offset = 0,
) -> Page[OutboxMessageRead]:
    """The outbox, newest first: every message the school sent or is to send, to whom, where it stands, and why it
    failed. Admins."""
    return selectors.list_messages(db, state=state, kind=kind, recipient=recipient, limit=limit, offset=offset)


@router.get("/outbox/{message_id}", response_model=OutboxMessageDetail, responses=responses(401, 403, 404, 422))
def get_outbox_message(db: SessionDep, _: AdminOnly, message_id: RecordId) -> OutboxMessageDetail:
    """One message as it is sent: its text, its HTML, its attachments, its tries. Admins."""
    return selectors.get_message(db, message_id=message_id)


@router.post(
    "/outbox/{message_id}/resend", response_model=OutboxMessageRead, responses=responses(401, 403, 404, 409, 422)
)
def resend_outbox_message(db: SessionDep, principal: AdminOnly, message_id: RecordId) -> OutboxMessageRead:
    """Send a message again: a failed one is queued for a new first try; a sent one is queued again as a new
    message (answered here). A message waiting, being sent or suppressed is a 409. Admins; audited."""
    message = service.resend_message(db, message_id=message_id, actor=principal)
    return OutboxMessageRead.model_validate(message)
