"""The pure rules of mail: the backoff between tries, when a message is given up, the unsubscribe token and the
Message-ID, and the command that sends the outbox when no server is configured."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from typer.testing import CliRunner

from app.cli import cli
from app.notifications.rules import address_of_token, gives_up, message_id, next_attempt_at, unsubscribe_token

FAILED_AT = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("attempts", "delay"),
    [(1, 60), (2, 120), (3, 240), (4, 480), (7, 3600), (30, 3600)],  # doubled each time, never past the cap
)
def test_the_delay_before_the_next_try_doubles_up_to_the_cap(attempts: int, delay: int) -> None:
    when = next_attempt_at(attempts=attempts, failed_at=FAILED_AT, base_seconds=60, cap_seconds=3600)
    assert when == FAILED_AT + timedelta(seconds=delay)


def test_a_message_is_given_up_at_the_limit() -> None:
    assert [gives_up(attempts=n, limit=3) for n in (1, 2, 3, 4)] == [False, False, True, True]


def test_an_unsubscribe_token_names_its_address_and_nothing_else() -> None:
    token = unsubscribe_token(" Dana@Example.org ", secret="one")
    assert address_of_token(token, secret="one") == "dana@example.org"
    assert address_of_token(token, secret="another") is None  # another secret, another school
    assert address_of_token(token[:-2], secret="one") is None
    assert address_of_token("", secret="one") is None
    assert address_of_token("!!!.abc", secret="one") is None


def test_the_message_id_is_the_same_at_every_try_and_differs_between_messages() -> None:
    assert message_id("reminder:7:2027-01-01", domain="school.example") == message_id(
        "reminder:7:2027-01-01", domain="school.example"
    )
    assert message_id("a", domain="x.example") != message_id("b", domain="x.example")
    assert message_id("a", domain="x.example").endswith("@x.example>")


def test_lms_outbox_send_without_a_server_says_nothing_was_sent() -> None:
    result = CliRunner().invoke(cli, ["outbox", "send"])
    assert result.exit_code == 1
    assert "no SMTP server is configured" in result.output
