"""What the tests of mail share: messages queued and committed under a tag (so that a sender's own connections see
them, removed after the test), and a mail server that keeps what it receives."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from sqlalchemy import delete, select

from app.db import get_sessionmaker
from app.notifications.models import OutboxMessage
from app.notifications.rules import message_id
from app.notifications.service import Attachment, NewMessage, Recipient, queue_messages
from tests.factories import ENROLMENT_MAIL
from tests.notifications.sink import Server, Sink

ICS = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//LMS//test//HE\r\nEND:VCALENDAR\r\n"
DOMAIN = "school.example"  # of LMS_SMTP_FROM's default, lms@school.example


@dataclass
class Outbox:
    """Messages queued and committed for one test (so that the sender's own connections see them), under a tag."""

    tag: str

    def queue(
        self, count: int = 1, *, email: str = "dana@example.org", attach: bool = False, name: str = "m"
    ) -> list[str]:
        """Queue `count` enrolment messages and commit them; their keys."""
        keys = [f"{self.tag}:{name}{i}" for i in range(count)]
        attachments = [Attachment(filename="session.ics", content_type="text/calendar", content=ICS)] if attach else []
        with get_sessionmaker().begin() as db:
            queue_messages(
                db,
                [
                    NewMessage(
                        kind="enrolment",
                        key=key,
                        to=Recipient(email=email, name="דנה כהן"),
                        context=ENROLMENT_MAIL,
                        attachments=attachments,
                    )
                    for key in keys
                ],
            )
        return keys

    def rows(self, name: str = "") -> list[OutboxMessage]:
        with get_sessionmaker()() as db:
            pattern = f"{self.tag}:{name}%"
            stmt = select(OutboxMessage).where(OutboxMessage.key.like(pattern)).order_by(OutboxMessage.id)
            return list(db.scalars(stmt))


def ids_of(keys: list[str]) -> set[str]:
    return {message_id(k, domain=DOMAIN) for k in keys}


@pytest.fixture
def outbox(database: str) -> Iterator[Outbox]:
    box = Outbox(uuid.uuid4().hex[:10])
    yield box
    with get_sessionmaker().begin() as db:
        db.execute(delete(OutboxMessage).where(OutboxMessage.key.like(f"{box.tag}:%")))


@pytest.fixture
def server() -> Iterator[Server]:
    served = Server(Sink()).start()
    yield served
    served.stop()
