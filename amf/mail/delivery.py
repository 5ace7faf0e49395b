"""Claiming due outbox messages and delivering them, right after commit and in the worker.

Delivery is at least once. A worker claims rows (status ``sending``, ``claimed_at``,
``claimed_by``) and commits the claim before it talks to SMTP, so other workers skip them;
on PostgreSQL the claim reads with ``FOR UPDATE SKIP LOCKED``. The outcome of each message
is committed as soon as the server answers. If a worker dies between the server accepting a
message and that commit, the row stays ``sending``; once its claim is older than
AMF_MAIL_CLAIM_LEASE_SECONDS another worker reclaims it and sends it again, with the same
Message-ID. That window (one message per dead worker) is the only way a message is sent twice.
"""

from __future__ import annotations

import logging
import os
import random
import socket
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app, has_app_context
from sqlalchemy.orm import Session

from amf.db import after_commit_of, utcnow
from amf.extensions import db
from amf.mail.mime import build_email, parse_address
from amf.mail.models import OutboxMessage, OutboxStatus
from amf.mail.services import take_pending
from amf.mail.transport import DeliveryError, open_transport
from amf.mail.wakeup import WakeupListener

logger = logging.getLogger(__name__)

MAX_ERROR_LENGTH = 2000


@dataclass
class DeliveryReport:
    """What one pass over the outbox did."""

    sent: int = 0
    retrying: int = 0
    failed: int = 0
    released: int = 0
    connection_lost: bool = False

    def add(self, other: DeliveryReport) -> None:
        """Accumulate another pass."""
        self.sent += other.sent
        self.retrying += other.retrying
        self.failed += other.failed
        self.released += other.released
        self.connection_lost = self.connection_lost or other.connection_lost


def default_worker_id() -> str:
    """'host:pid', or 'host:pid:thread' off the main thread."""
    worker = f"{socket.gethostname()}:{os.getpid()}"
    thread = threading.current_thread()
    return worker if thread is threading.main_thread() else f"{worker}:{thread.name}"


def _due(now: datetime, lease_seconds: int) -> sa.ColumnElement[bool]:
    """Queued and due, or stuck in sending past the lease (its worker presumably died)."""
    lease_cutoff = now - timedelta(seconds=lease_seconds)
    return sa.or_(
        sa.and_(OutboxMessage.status == OutboxStatus.QUEUED, OutboxMessage.next_attempt_at <= now),
        sa.and_(
            OutboxMessage.status == OutboxStatus.SENDING, OutboxMessage.claimed_at < lease_cutoff
        ),
    )


def claim_messages(
    session: Session,
    *,
    now: datetime,
    worker_id: str,
    limit: int,
    ids: Sequence[int] | None = None,
) -> list[int]:
    """Mark up to ``limit`` due messages as ours and commit, so no other worker takes them."""
    due = _due(now, current_app.config["AMF_MAIL_CLAIM_LEASE_SECONDS"])
    query = sa.select(OutboxMessage.id).where(due)
    if ids is not None:
        query = query.where(OutboxMessage.id.in_(ids))
    query = query.order_by(OutboxMessage.next_attempt_at, OutboxMessage.id).limit(limit)
    query = query.with_for_update(skip_locked=True).execution_options(populate_existing=True)
    candidates = session.scalars(query).all()
    if not candidates:
        session.rollback()
        return []
    # Repeating the condition makes the claim safe where FOR UPDATE is a no-op (SQLite).
    claimed = session.scalars(
        sa.update(OutboxMessage)
        .where(OutboxMessage.id.in_(candidates), due)
        .values(status=OutboxStatus.SENDING, claimed_at=now, claimed_by=worker_id)
        .returning(OutboxMessage.id)
        .execution_options(synchronize_session=False)
    ).all()
    session.commit()
    return sorted(claimed)


def retry_delay(attempts: int) -> timedelta:
    """Exponential backoff from the configured base, capped, with jitter against stampedes."""
    config = current_app.config
    ceiling = config["AMF_MAIL_RETRY_MAX_SECONDS"]
    delay = min(ceiling, config["AMF_MAIL_RETRY_BASE_SECONDS"] * 2 ** max(attempts - 1, 0))
    return timedelta(seconds=delay * random.uniform(0.5, 1.0))  # noqa: S311 - not security


def deliver_claimed(
    session: Session,
    ids: Sequence[int],
    *,
    now: datetime,
    should_stop: Callable[[], bool] = lambda: False,
) -> DeliveryReport:
    """Send messages this worker has claimed, committing each outcome as it comes."""
    report = DeliveryReport()
    messages = session.scalars(
        sa.select(OutboxMessage).where(OutboxMessage.id.in_(ids)).order_by(OutboxMessage.id)
    ).all()
    session.commit()
    lost: DeliveryError | None = None
    with open_transport() as transport:
        for message in messages:
            if should_stop():
                _release(message)
                report.released += 1
            elif lost is not None:
                _record_failure(message, lost, now, report)
            else:
                try:
                    email = build_email(message)
                    sender = parse_address(message.sender).addr_spec
                except Exception as exc:  # a row this worker cannot turn into an email
                    # Trying again will not help; failing it keeps it for an organiser to
                    # retry (after a fix) and lets the rest of the batch go out.
                    error = DeliveryError(f"cannot build message: {exc!r}", temporary=False)
                    _record_failure(message, error, now, report, final=True)
                    session.commit()
                    continue
                try:
                    note = transport.send(email, sender, message.recipient_emails)
                except DeliveryError as exc:
                    _record_failure(message, exc, now, report, final=exc.final)
                    if exc.connection_lost:
                        lost = exc
                        report.connection_lost = True
                else:
                    message.status = OutboxStatus.SENT
                    message.sent_at = utcnow()
                    message.attempts += 1
                    message.last_error = note
                    message.forget_content()
                    report.sent += 1
            session.commit()
    return report


def _record_failure(
    message: OutboxMessage,
    error: DeliveryError,
    now: datetime,
    report: DeliveryReport,
    *,
    final: bool = False,
) -> None:
    """Count the attempt; give up on permanent errors once the attempts are spent."""
    message.attempts += 1
    message.last_error = error.reason[:MAX_ERROR_LENGTH]
    spent = message.attempts >= current_app.config["AMF_MAIL_MAX_ATTEMPTS"]
    if final or (not error.temporary and spent):
        message.status = OutboxStatus.FAILED
        report.failed += 1
        logger.warning("Mail %s failed for good: %s", message.message_id, error.reason)
    else:
        message.status = OutboxStatus.QUEUED
        message.next_attempt_at = now + retry_delay(message.attempts)
        report.retrying += 1
        logger.info("Mail %s will be retried: %s", message.message_id, error.reason)


def _release(message: OutboxMessage) -> None:
    """Hand an unattempted claim back to the queue."""
    message.status = OutboxStatus.QUEUED
    message.claimed_at = None
    message.claimed_by = None


def deliver_messages(
    ids: Sequence[int] | None = None,
    *,
    now: datetime | None = None,
    worker_id: str | None = None,
    should_stop: Callable[[], bool] = lambda: False,
) -> DeliveryReport:
    """Deliver what is due, batch by batch, until nothing is due (or only ``ids`` if given).

    ``now`` fixes the clock deciding what is due and when retries happen.
    """
    report = DeliveryReport()
    worker_id = worker_id or default_worker_id()
    batch_size = current_app.config["AMF_MAIL_BATCH_SIZE"]
    with Session(db.engine, expire_on_commit=False) as session:
        while not should_stop():
            moment = now or utcnow()
            claimed = claim_messages(
                session, now=moment, worker_id=worker_id, limit=batch_size, ids=ids
            )
            if not claimed:
                break
            report.add(deliver_claimed(session, claimed, now=moment, should_stop=should_stop))
            if report.connection_lost:
                break
    return report


def run_worker(
    *,
    once: bool = False,
    stop: threading.Event | None = None,
    worker_id: str | None = None,
    poll_seconds: float | None = None,
    on_pass: Callable[[DeliveryReport], None] | None = None,
) -> DeliveryReport:
    """Deliver due messages until ``stop`` is set; with ``once``, drain what is due and return."""
    stop = stop or threading.Event()
    poll = poll_seconds if poll_seconds is not None else current_app.config["AMF_MAIL_POLL_SECONDS"]
    total = DeliveryReport()
    listener = WakeupListener(db.engine.url)  # an idle worker wakes when mail is queued
    if not once:
        listener.start()
    try:
        while not stop.is_set():
            try:
                report = deliver_messages(worker_id=worker_id, should_stop=stop.is_set)
            except sa.exc.OperationalError:
                if once:
                    raise
                logger.exception("Mail worker: database unavailable, trying again in %ss", poll)
                report = DeliveryReport()
            total.add(report)
            if on_pass is not None:
                on_pass(report)
            if once:
                break
            listener.wait(stop, poll)
    finally:
        listener.close()
    return total


def deliver_after_commit(session: Session) -> None:
    """After a commit that queued messages, try to send them now; the worker does the rest.

    Never raises: the caller's transaction is already committed and must not look failed.
    """
    pending = take_pending(session)
    if not pending or not has_app_context():
        return
    ids = [
        state.identity[0]
        for state in (sa.inspect(message) for message in pending)
        if state.persistent and state.identity
    ]
    if not ids or not current_app.config["AMF_MAIL_SEND_AFTER_COMMIT"]:
        return
    try:
        deliver_messages(ids)
    except Exception:
        logger.exception("Sending mail after commit failed; the worker will retry")


def install_after_commit_delivery() -> None:
    """Try the queued messages after every commit that wrote to the outbox (idempotent)."""
    after_commit_of((OutboxMessage,), "mail.deliver", deliver_after_commit)
