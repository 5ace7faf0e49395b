"""A real SMTP server (aiosmtpd) on a free loopback port that records what it receives."""

from __future__ import annotations

import asyncio
import socket
import threading
from collections import Counter
from dataclasses import dataclass
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser

import pytest
from aiosmtpd.controller import Controller


@dataclass(frozen=True)
class ReceivedMessage:
    """One message as the server got it: envelope and raw bytes."""

    mail_from: str
    rcpt_tos: list[str]
    data: bytes
    mail_options: tuple[str, ...] = ()

    @property
    def message(self) -> EmailMessage:
        """The bytes parsed by the email package."""
        return BytesParser(policy=policy.default).parsebytes(self.data)


class RecordingHandler:
    """Accepts and records every message, or answers with the reply it was told to give."""

    def __init__(self) -> None:
        self.received: list[ReceivedMessage] = []
        self.reply: str | None = None
        self.refused: dict[str, str] = {}  # recipient -> reply to its RCPT TO
        self.delay = 0.0  # a slow server: seconds before each DATA is answered
        self.receiving = 0  # DATA exchanges under way (read by tests to act mid-message)
        self.lock = threading.Lock()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options) -> str:
        if address in self.refused:
            return self.refused[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope) -> str:
        self.receiving += 1
        try:
            if self.delay:
                await asyncio.sleep(self.delay)
            if self.reply:
                return self.reply
            with self.lock:
                self.received.append(
                    ReceivedMessage(
                        envelope.mail_from,
                        list(envelope.rcpt_tos),
                        bytes(envelope.content),
                        tuple(envelope.mail_options),
                    )
                )
            return "250 2.0.0 Message accepted"
        finally:
            self.receiving -= 1


class SMTPTestServer:
    """Controls the server: stop it ("SMTP down"), start it again, make it answer 4xx or 5xx."""

    def __init__(self, smtputf8: bool = False) -> None:
        self.host = "127.0.0.1"
        self.port = free_port()
        self.handler = RecordingHandler()
        self.smtputf8 = smtputf8  # whether EHLO offers SMTPUTF8 (many relays do not)
        self.controller: Controller | None = None

    def start(self) -> None:
        # aiosmtpd cannot restart a stopped controller: each start gets a new one.
        self.controller = Controller(
            self.handler, hostname=self.host, port=self.port, enable_SMTPUTF8=self.smtputf8
        )
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    def refuse(self, recipient: str, reply: str = "550 5.1.1 No such user here") -> None:
        """Answer RCPT TO for this one address with ``reply``; others are accepted."""
        self.handler.refused[recipient] = reply

    def answer(self, reply: str | None) -> None:
        """Reply to DATA with e.g. '451 4.3.0 Try later'; None accepts again."""
        self.handler.reply = reply

    @property
    def received(self) -> list[ReceivedMessage]:
        with self.handler.lock:
            return list(self.handler.received)

    def message_id_counts(self) -> Counter[str]:
        """How often each Message-ID arrived."""
        return Counter(item.message["Message-ID"] for item in self.received)


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def smtp_server():
    """A running SMTP server, stopped after the test."""
    server = SMTPTestServer()
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def smtp_app(app, smtp_server):
    """The app sending through the test SMTP server."""
    app.config.update(
        MAIL_SERVER=smtp_server.host,
        MAIL_PORT=smtp_server.port,
        MAIL_TIMEOUT=30,
        MAIL_DEFAULT_SENDER="AMF Events <no-reply@amf.test>",
    )
    return app
