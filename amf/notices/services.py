"""Fan-out of one change to every delegate it concerns, in batches that never block a request.

A change records a NotificationRun in its own transaction. Small runs are expanded into
outbox messages there and then; larger ones are expanded by the mail worker (``flask amf
send-mail``), AMF_NOTICE_BATCH_SIZE delegates per transaction, resuming from the run's
cursor if interrupted. Messages always describe the session as it is when they are queued.
"""

from __future__ import annotations

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import selectinload

from amf.db import utcnow
from amf.events.models import AgendaSession, Event
from amf.extensions import db
from amf.mail.services import leave_to_workers
from amf.mail.wakeup import request_wakeup
from amf.notices.models import NoticeKind, NotificationRun
from amf.registration import notifications
from amf.registration.models import (
    Registration,
    RegistrationStatus,
    SessionSignup,
    SignupStatus,
)

EVENT_NOTICE_STATUSES = (
    RegistrationStatus.CONFIRMED,
    RegistrationStatus.WAITLISTED,
    RegistrationStatus.AWAITING_APPROVAL,
)


def recipients_query(run: NotificationRun) -> sa.Select:
    """The registration ids the run concerns, in the order they are notified."""
    if run.kind is NoticeKind.EVENT_CANCELLED:
        return sa.select(Registration.id).where(
            Registration.event_id == run.event_id, Registration.status.in_(EVENT_NOTICE_STATUSES)
        )
    return (
        sa.select(Registration.id)
        .join(SessionSignup, SessionSignup.registration_id == Registration.id)
        .where(
            SessionSignup.session_id == run.session_id,
            SessionSignup.status.in_((SignupStatus.CONFIRMED, SignupStatus.WAITLISTED)),
            Registration.status == RegistrationStatus.CONFIRMED,
        )
    )


def count_recipients(run: NotificationRun) -> int:
    """How many delegates the run will write to."""
    ids = recipients_query(run).subquery()
    return db.session.scalar(sa.select(sa.func.count()).select_from(ids)) or 0


def start_run(
    kind: NoticeKind,
    event: Event,
    session: AgendaSession | None = None,
    changes: dict | None = None,
) -> int:
    """Record a fan-out in the caller's transaction; small ones are queued at once.

    ``changes`` ({field: [before, after]}, JSON values) lets each email say what changed.
    Returns how many delegates it concerns.
    """
    run = NotificationRun(kind=kind, event=event, agenda_session=session, changes=changes)
    db.session.add(run)
    db.session.flush()
    total = count_recipients(run)
    if total == 0:
        run.finished_at = utcnow()
    elif total <= current_app.config["AMF_NOTICE_INLINE_LIMIT"]:
        expand_batch(run, total, deliver_now=True)
    else:
        request_wakeup(db.session())  # the mail worker queues it, batch by batch
    return total


def expand_batch(run: NotificationRun, limit: int, deliver_now: bool = False) -> int:
    """Queue the messages for the next ``limit`` delegates after the cursor; the caller commits."""
    ids = db.session.scalars(
        recipients_query(run)
        .where(Registration.id > run.cursor)
        .order_by(Registration.id)
        .limit(limit)
    ).all()
    if not ids:
        run.finished_at = utcnow()
        return 0
    registrations = db.session.scalars(
        sa.select(Registration)
        .where(Registration.id.in_(ids))
        .order_by(Registration.id)
        .options(
            selectinload(Registration.city),
            selectinload(Registration.event),
            selectinload(Registration.signups).selectinload(SessionSignup.session),
        )
    ).all()
    session = run.agenda_session
    for registration in registrations:
        _queue_notice(run, registration, session)
    run.cursor = ids[-1]
    run.queued += len(ids)
    if len(ids) < limit:
        run.finished_at = utcnow()
    if not deliver_now:
        # The worker sends them in its own batches; no delivery inside this transaction's commit.
        leave_to_workers(db.session())
    return len(ids)


def process_pending_runs(batch_size: int | None = None) -> int:
    """Expand every unfinished run, one batch per transaction; returns messages queued."""
    batch_size = batch_size or current_app.config["AMF_NOTICE_BATCH_SIZE"]
    total = 0
    while True:
        run = db.session.scalars(
            sa.select(NotificationRun)
            .where(NotificationRun.finished_at.is_(None))
            .order_by(NotificationRun.id)
            .limit(1)
            .with_for_update(skip_locked=True)
            .execution_options(populate_existing=True)  # another worker may have moved it on
        ).first()
        if run is None:
            db.session.rollback()
            return total
        total += expand_batch(run, batch_size)
        db.session.commit()


def pending_runs(event: Event) -> list[NotificationRun]:
    """The event's runs the worker has not finished."""
    return list(
        db.session.scalars(
            sa.select(NotificationRun)
            .where(NotificationRun.event_id == event.id, NotificationRun.finished_at.is_(None))
            .order_by(NotificationRun.id)
        )
    )


def _queue_notice(
    run: NotificationRun,
    registration: Registration,
    session: AgendaSession | None,
) -> None:
    if run.kind is NoticeKind.EVENT_CANCELLED:
        notifications.event_cancelled_notice(registration)
    else:
        cancelled = run.kind is NoticeKind.SESSION_CANCELLED
        notifications.session_notice(registration, session, cancelled, run.changes)
