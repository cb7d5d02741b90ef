"""A mail server for the tests (aiosmtpd on a free port of 127.0.0.1) that keeps every message it accepts, and can be
slow (each message waits before its envelope is accepted), stopped (the server down) and started again."""

from __future__ import annotations

import asyncio
import socket
import threading
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default
from typing import Any

from aiosmtpd.controller import Controller

from app.config import Settings, get_settings


def free_port() -> int:
    """A TCP port no one listens on now (aiosmtpd cannot be given port 0)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Sink:
    """The handler: what it accepted, in order; `delay` seconds of waiting at each message's MAIL FROM."""

    def __init__(self, delay: float = 0.0, refuse: frozenset[str] = frozenset()) -> None:
        self.delay = delay
        self.refuse = refuse  # addresses answered "550 no such mailbox"
        self.messages: list[EmailMessage] = []
        self.started = 0  # messages whose sending began (MAIL FROM received)
        self.lock = threading.Lock()

    async def handle_MAIL(self, server: Any, session: Any, envelope: Any, address: str, options: list[str]) -> str:
        with self.lock:
            self.started += 1
        if self.delay:
            await asyncio.sleep(self.delay)
        envelope.mail_from = address
        envelope.mail_options.extend(options)
        return "250 OK"

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, options: list[str]) -> str:
        if address in self.refuse:
            return "550 5.1.1 no such mailbox"
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.extend(options)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = message_from_bytes(envelope.original_content or envelope.content, policy=default)
        assert isinstance(message, EmailMessage)
        with self.lock:
            self.messages.append(message)
        return "250 Message accepted for delivery"

    def ids(self) -> list[str]:
        """The Message-IDs of the messages received, in order."""
        with self.lock:
            return [str(m["Message-ID"]) for m in self.messages]


class Server:
    """A sink served on one port, which may be stopped and started again on the same port."""

    def __init__(self, sink: Sink, port: int | None = None) -> None:
        self.sink = sink
        self.port = port or free_port()
        self.controller: Controller | None = None

    def start(self) -> Server:
        self.controller = Controller(self.sink, hostname="127.0.0.1", port=self.port)
        self.controller.start()
        return self

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    def settings(self, **overrides: Any) -> Settings:
        """The application's settings, sending to this server without TLS and without a rate limit."""
        return settings_for(self.port, **overrides)


def settings_for(port: int, **overrides: Any) -> Settings:
    """Settings that send to 127.0.0.1:port in plain SMTP, at no limited rate."""
    values = {"smtp_host": "127.0.0.1", "smtp_port": port, "smtp_security": "none", "smtp_rate_per_minute": 0}
    return get_settings().model_copy(update=values | overrides)
