"""The outbox: every message waiting for, or done with, delivery."""

from __future__ import annotations

import base64
import enum
import importlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from amf.db import UTCDateTime, str_enum, utcnow
from amf.extensions import db


class OutboxStatus(enum.StrEnum):
    """Where a message is in its delivery."""

    QUEUED = "queued"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"


@dataclass(frozen=True)
class Attachment:
    """A file carried by a message.

    ``method`` marks an iCalendar invitation (REQUEST, CANCEL); ``content_id`` an image the
    HTML body shows inline as ``cid:<content_id>`` (Gmail and Outlook drop ``data:`` images).
    """

    filename: str
    mime_type: str
    content: bytes
    method: str | None = None
    content_id: str | None = None

    def to_json(self) -> dict[str, Any]:
        """The attachment as stored in the outbox row."""
        return {
            **_stored_head(self),
            "content_base64": base64.b64encode(self.content).decode("ascii"),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> AnyAttachment:
        """Rebuild an attachment from its stored form."""
        if "builder" in data:
            return BuiltAttachment(
                filename=data["filename"],
                mime_type=data["mime_type"],
                builder=data["builder"],
                arguments=data["arguments"],
                method=data.get("method"),
                content_id=data.get("content_id"),
            )
        return cls(
            filename=data["filename"],
            mime_type=data["mime_type"],
            content=base64.b64decode(data["content_base64"]),
            method=data.get("method"),
            content_id=data.get("content_id"),
        )


# Functions that make an attachment's bytes from JSON arguments, by the name stored with it,
# and the modules that register them (imported on first need, so a worker that never built
# the whole app still finds them).
_BUILDERS: dict[str, Callable[..., bytes]] = {}
_BUILDER_MODULES = ("amf.mail.invitations", "amf.registration.passes")


def _builder(name: str) -> Callable[..., bytes]:
    if name not in _BUILDERS:
        for module in _BUILDER_MODULES:
            importlib.import_module(module)
    if name not in _BUILDERS:
        raise ValueError(f"no attachment builder named {name!r}")
    return _BUILDERS[name]


def attachment_builder(name: str):
    """Register a function ``f(**arguments) -> bytes`` that BuiltAttachment can name."""

    def register(function: Callable[..., bytes]) -> Callable[..., bytes]:
        _BUILDERS[name] = function
        return function

    return register


@dataclass(frozen=True)
class BuiltAttachment:
    """An attachment stored as the call that makes it: a builder's name and JSON arguments.

    The arguments hold every value the file shows, fixed when the message is queued; the
    bytes (an iCalendar object, a QR code image) are made when the message is sent, so the
    transaction that decided what to send does not spend its row locks drawing them.
    """

    filename: str
    mime_type: str
    builder: str
    arguments: dict[str, Any]
    method: str | None = None
    content_id: str | None = None

    def __post_init__(self) -> None:
        _builder(self.builder)

    @cached_property
    def content(self) -> bytes:
        """The file, made on first use; ValueError if the stored call cannot make it."""
        try:
            return _builder(self.builder)(**self.arguments)
        except Exception as exc:  # the worker marks the message failed, to be retried by hand
            raise ValueError(f"cannot build {self.filename}: {exc!r}") from exc

    def to_json(self) -> dict[str, Any]:
        """The attachment as stored in the outbox row: the call, not its result."""
        return {**_stored_head(self), "builder": self.builder, "arguments": self.arguments}


# What a message can carry: bytes, or the call that makes them.
AnyAttachment = Attachment | BuiltAttachment


def _stored_head(attachment: AnyAttachment) -> dict[str, Any]:
    """What every stored attachment records besides its content."""
    return {
        "filename": attachment.filename,
        "mime_type": attachment.mime_type,
        "method": attachment.method,
        "content_id": attachment.content_id,
    }


class OutboxMessage(db.Model):
    """One email, written in the transaction that caused it and delivered at least once."""

    __tablename__ = "outbox_message"
    __table_args__ = (
        sa.CheckConstraint("attempts >= 0", name="attempts_not_negative"),
        # The worker's question: what is due now?
        sa.Index("ix_outbox_message_due", "status", "next_attempt_at"),
        sa.Index("ix_outbox_message_related", "related_type", "related_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # The Message-ID header, fixed at queue time so a resend is recognisably the same message.
    message_id: Mapped[str] = mapped_column(sa.String(250), unique=True)
    sender: Mapped[str] = mapped_column(sa.String(400))
    # [{"name": ..., "email": ...}], names already free of line breaks.
    recipients: Mapped[list[dict[str, str]]] = mapped_column(sa.JSON)
    reply_to: Mapped[str | None] = mapped_column(sa.String(400))
    subject: Mapped[str] = mapped_column(sa.String(400))
    text_body: Mapped[str] = mapped_column(sa.Text)
    html_body: Mapped[str | None] = mapped_column(sa.Text)
    attachments: Mapped[list[dict[str, Any]]] = mapped_column(sa.JSON, default=list)
    template: Mapped[str | None] = mapped_column(sa.String(80))
    related_type: Mapped[str | None] = mapped_column(sa.String(50))
    related_id: Mapped[int | None]
    status: Mapped[OutboxStatus] = mapped_column(
        str_enum(OutboxStatus, "outbox_status"), default=OutboxStatus.QUEUED
    )
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_error: Mapped[str | None] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    claimed_by: Mapped[str | None] = mapped_column(sa.String(200))

    def forget_content(self) -> None:
        """Drop the body and attachments of a sent message, keeping who, what and when.

        Bodies carry secret links (manage, calendar, verification) and check-in codes; once
        delivered, the database need not hold them, so a dump of it opens no registration.
        """
        self.text_body = ""
        self.html_body = None
        self.attachments = []

    @property
    def attachment_files(self) -> list[AnyAttachment]:
        """The attachments as objects."""
        return [Attachment.from_json(item) for item in self.attachments or []]

    @property
    def recipient_emails(self) -> list[str]:
        """The envelope recipients: bare addresses only."""
        return [recipient["email"] for recipient in self.recipients]

    def __repr__(self) -> str:
        return f"<OutboxMessage {self.id} {self.status.value} {self.subject!r}>"
