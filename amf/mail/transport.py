"""Handing finished messages to SMTP, or to .eml files when no mail server is configured.

Addresses with a non-ASCII domain are sent with its IDNA (xn--) form, which every relay
takes. A non-ASCII local part needs SMTPUTF8: sent with it where the relay offers it, and
otherwise that one message fails at once, saying why, while the rest of the batch goes on.

Not sent through Flask-Mail's Connection: in 0.10.0 (the latest) it connects without a
timeout (a silent relay hangs the worker), upgrades to TLS without verifying the relay's
certificate, discards the relay's per-recipient refusals, sends RCPT TO in set order,
never checks for SMTPUTF8, and its exit raises on a connection the relay dropped.
"""

from __future__ import annotations

import logging
import os
import re
import smtplib
import ssl
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from email.headerregistry import Address
from email.message import EmailMessage
from pathlib import Path
from typing import Any, Protocol

import idna
from flask import current_app

from amf.db import utcnow

logger = logging.getLogger(__name__)


class DeliveryError(Exception):
    """A message was not accepted; ``temporary`` says whether trying again later may work."""

    def __init__(
        self, reason: str, *, temporary: bool, connection_lost: bool = False, final: bool = False
    ) -> None:
        super().__init__(reason)
        self.reason = reason
        self.temporary = temporary
        # The server is unreachable: the rest of a batch would fail the same way.
        self.connection_lost = connection_lost
        # No later attempt can succeed (e.g. the relay cannot take this address at all).
        self.final = final


class Transport(Protocol):
    """Something that delivers one message; returns a note on partial refusals, else None."""

    def send(self, email: EmailMessage, sender: str, recipients: Sequence[str]) -> str | None: ...


class SMTPTransport:
    """One SMTP connection reused for a batch, opened on first use, reopened after a drop."""

    def __init__(self, config: dict[str, Any]) -> None:
        self.config = config
        self.connection: smtplib.SMTP | None = None

    def send(self, email: EmailMessage, sender: str, recipients: Sequence[str]) -> str | None:
        """Send, translating smtplib's exceptions into DeliveryError.

        Only a server that cannot be reached is ``connection_lost``; a connection dropped
        while sending fails this message (temporarily), and the next one reconnects.
        """
        try:
            connection = self._connection()
        except (OSError, smtplib.SMTPException) as exc:
            self.close()
            raise DeliveryError(
                f"cannot reach the mail server: {type(exc).__name__}: {exc}",
                temporary=True,
                connection_lost=True,
            ) from exc
        recipients = [ascii_domain(address) for address in recipients]
        use_ascii_domains(email)
        try:
            refused = connection.send_message(email, ascii_domain(sender), recipients)
        except smtplib.SMTPNotSupportedError as exc:
            raise DeliveryError(
                "the mail server does not offer SMTPUTF8, which the non-ASCII address "
                f"{', '.join(r for r in recipients if not r.isascii())} needs",
                temporary=False,
                final=True,
            ) from exc
        except smtplib.SMTPRecipientsRefused as exc:
            codes = [code for code, _ in exc.recipients.values()]
            temporary = any(400 <= code < 500 for code in codes)
            raise DeliveryError(
                f"all recipients refused: {_describe(exc.recipients)}",
                temporary=temporary,
                final=not temporary,  # the relay refuses these addresses for good
            ) from exc
        except smtplib.SMTPDataError as exc:
            # A reply to this message's content: a 5xx is about this message alone, so it
            # fails at once (an organiser sees it on the outbox screen); a 4xx is retried.
            permanent = 500 <= exc.smtp_code < 600
            raise DeliveryError(
                f"{exc.smtp_code} {_text(exc.smtp_error)}", temporary=not permanent, final=permanent
            ) from exc
        except smtplib.SMTPResponseException as exc:
            if exc.smtp_code == 421:  # the server is closing this connection
                self.close()
            # e.g. the sender refused: the relay's set-up, not this message; retried, bounded.
            raise DeliveryError(
                f"{exc.smtp_code} {_text(exc.smtp_error)}", temporary=not 500 <= exc.smtp_code < 600
            ) from exc
        except (OSError, smtplib.SMTPException, UnicodeError) as exc:
            self.close()
            raise DeliveryError(f"{type(exc).__name__}: {exc}", temporary=True) from exc
        return f"refused: {_describe(refused)}" if refused else None

    def _connection(self) -> smtplib.SMTP:
        """The open connection, logged in and upgraded to TLS as configured."""
        if self.connection is not None:
            return self.connection
        config = self.config
        host, port, timeout = config["MAIL_SERVER"], config["MAIL_PORT"], config["MAIL_TIMEOUT"]
        context = ssl.create_default_context()
        if config.get("MAIL_USE_SSL"):
            connection: smtplib.SMTP = smtplib.SMTP_SSL(
                host, port, timeout=timeout, context=context
            )
        else:
            connection = smtplib.SMTP(host, port, timeout=timeout)
        try:
            if config.get("MAIL_USE_TLS"):
                connection.starttls(context=context)
            if config.get("MAIL_USERNAME") and config.get("MAIL_PASSWORD"):
                connection.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"])
        except BaseException:
            connection.close()
            raise
        self.connection = connection
        return connection

    def close(self) -> None:
        """Say goodbye to the server, ignoring a connection that is already gone."""
        connection, self.connection = self.connection, None
        if connection is not None:
            try:
                connection.quit()
            except (OSError, smtplib.SMTPException):
                connection.close()


class FileTransport:
    """Writes each message to <directory>/<time>-<message id>.eml, for development."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def send(self, email: EmailMessage, sender: str, recipients: Sequence[str]) -> str | None:
        """Write the message atomically and log where it went."""
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            path = self.directory / message_filename(email)
            temporary = path.with_suffix(".eml.tmp")
            temporary.write_bytes(bytes(email))
            os.replace(temporary, path)
        except OSError as exc:
            raise DeliveryError(f"cannot write message file: {exc}", temporary=True) from exc
        logger.info("Mail to %s written to %s", ", ".join(recipients), path)
        return None

    def close(self) -> None:
        """Nothing to close."""


def ascii_domain(address: str) -> str:
    """The address with its domain in IDNA form (user@xn--bcher-kva.example); else unchanged."""
    local, at, domain = address.rpartition("@")
    if not at or domain.isascii():
        return address
    try:
        return f"{local}@{idna.encode(domain, uts46=True).decode('ascii')}"
    except idna.IDNAError:
        return address  # not a valid domain: the server refuses it, for this message only


def use_ascii_domains(email: EmailMessage) -> None:
    """Rewrite To and Cc so that non-ASCII domains appear in their IDNA form."""
    for name in ("To", "Cc"):
        header = email[name]
        if header is None or all(a.domain.isascii() for a in header.addresses):
            continue
        addresses = [
            Address(a.display_name, addr_spec=ascii_domain(a.addr_spec))
            if a.username.isascii()
            else a
            for a in header.addresses
        ]
        del email[name]
        email[name] = addresses


def message_filename(email: EmailMessage) -> str:
    """A file name that sorts by time and names the message."""
    message_id = re.sub(r"[^A-Za-z0-9@._-]", "", email["Message-ID"] or "") or "message"
    return f"{utcnow():%Y%m%dT%H%M%S}-{message_id}.eml"


def mail_file_dir() -> Path:
    """Where file mode writes: AMF_MAIL_FILE_DIR, else instance/mail."""
    configured = current_app.config.get("AMF_MAIL_FILE_DIR")
    return Path(configured) if configured else Path(current_app.instance_path) / "mail"


@contextmanager
def open_transport() -> Iterator[SMTPTransport | FileTransport]:
    """SMTP when MAIL_SERVER is set, otherwise files; closed at the end of the block."""
    config = current_app.config
    transport = (
        SMTPTransport(dict(config)) if config.get("MAIL_SERVER") else FileTransport(mail_file_dir())
    )
    try:
        yield transport
    finally:
        with suppress(Exception):
            transport.close()


def _text(error: bytes | str) -> str:
    """An SMTP reply's text."""
    return error.decode("utf-8", "replace") if isinstance(error, bytes) else str(error)


def _describe(refused: dict[str, tuple[int, bytes | str]]) -> str:
    """'a@x (550 No such user); b@y (452 Mailbox full)'."""
    parts = []
    for address, (code, text) in refused.items():
        shown = text.decode("utf-8", "replace") if isinstance(text, bytes) else text
        parts.append(f"{address} ({code} {shown})")
    return "; ".join(parts)
