"""Queueing messages in the caller's transaction, and putting failed ones back in the queue."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import sqlalchemy as sa
from flask import current_app

from amf.calendar_uids import calendar_host
from amf.db import utcnow
from amf.extensions import db
from amf.mail.mime import make_address, new_message_id, parse_address, single_line
from amf.mail.models import AnyAttachment, OutboxMessage, OutboxStatus
from amf.mail.wakeup import request_wakeup

# Key in Session.info listing the messages this session queued, for delivery after commit.
_PENDING_KEY = "amf_outbox_pending"

Recipient = str | tuple[str, str]


@dataclass(frozen=True)
class RelatedObject:
    """What a message concerns, e.g. RelatedObject("registration", 42)."""

    type: str
    id: int


def queue_message(
    to: Recipient | Sequence[Recipient],
    subject: str,
    text_body: str,
    html_body: str | None = None,
    *,
    sender: str | None = None,
    reply_to: str | None = None,
    attachments: Iterable[AnyAttachment] = (),
    related: RelatedObject | None = None,
    template: str | None = None,
) -> OutboxMessage:
    """Add a message to the outbox in the current transaction; the caller commits.

    ``to`` is an address, a (name, address) pair, or a list of them. Line breaks in names
    and the subject are folded to spaces; a malformed address raises ValueError.
    """
    recipients = _normalise_recipients(to)
    sender = sender or current_app.config["MAIL_DEFAULT_SENDER"]
    parse_address(sender)
    if reply_to:
        parse_address(reply_to)
    message = OutboxMessage(
        message_id=new_message_id(calendar_host()),
        sender=sender,
        recipients=recipients,
        reply_to=reply_to,
        subject=single_line(subject),
        text_body=text_body,
        html_body=html_body,
        attachments=[attachment.to_json() for attachment in attachments],
        template=template,
        related_type=related.type if related else None,
        related_id=related.id if related else None,
        status=OutboxStatus.QUEUED,
        attempts=0,
        next_attempt_at=utcnow(),
    )
    db.session.add(message)
    remember_for_delivery(db.session(), message)
    return message


def queue_templated_message(
    template: str,
    to: Recipient | Sequence[Recipient],
    *,
    context: dict | None = None,
    attachments: Iterable[AnyAttachment] = (),
    related: RelatedObject | None = None,
    sender: str | None = None,
    reply_to: str | None = None,
) -> OutboxMessage:
    """Render templates/mail/<template>.txt and .html and queue the result; the caller commits."""
    from amf.mail.rendering import render_message

    rendered = render_message(template, **(context or {}))
    return queue_message(
        to,
        rendered.subject,
        rendered.text,
        rendered.html,
        sender=sender,
        reply_to=reply_to,
        attachments=attachments,
        related=related,
        template=template,
    )


def retry_failed_message(message_id: int) -> OutboxMessage | None:
    """Put a failed message back in the queue with a fresh attempt budget, and commit."""
    message = db.session.get(OutboxMessage, message_id)
    if message is None or message.status != OutboxStatus.FAILED:
        return None
    message.status = OutboxStatus.QUEUED
    message.attempts = 0
    message.next_attempt_at = utcnow()
    message.claimed_at = None
    message.claimed_by = None
    remember_for_delivery(db.session(), message)
    db.session.commit()
    return message


def count_by_status() -> dict[OutboxStatus, int]:
    """How many messages are in each state."""
    rows = db.session.execute(
        sa.select(OutboxMessage.status, sa.func.count()).group_by(OutboxMessage.status)
    )
    counts = dict.fromkeys(OutboxStatus, 0)
    counts.update({status: count for status, count in rows})
    return counts


def take_pending(session) -> list[OutboxMessage]:
    """The messages this session queued since its last commit, handed over once."""
    return session.info.pop(_PENDING_KEY, None) or []


def leave_to_workers(session) -> None:
    """Send nothing of this transaction's mail after its commit: the workers batch it."""
    take_pending(session)


def remember_for_delivery(session, message: OutboxMessage) -> None:
    """Note the message so the after-commit hook can try it at once, and wake the workers."""
    session.info.setdefault(_PENDING_KEY, []).append(message)
    request_wakeup(session)


def _normalise_recipients(to: Recipient | Sequence[Recipient]) -> list[dict[str, str]]:
    """[{"name", "email"}] from the forms queue_message accepts."""
    items: Sequence[Recipient] = [to] if isinstance(to, str | tuple) else to
    if not items:
        raise ValueError("a message needs at least one recipient")
    recipients = []
    for item in items:
        address = make_address(item[1], item[0]) if isinstance(item, tuple) else parse_address(item)
        recipients.append({"name": address.display_name, "email": address.addr_spec})
    return recipients
