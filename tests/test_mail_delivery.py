"""Retries, permanent failures, orphaned claims and the `flask amf send-mail` worker."""

from __future__ import annotations

import threading
from datetime import timedelta

import sqlalchemy as sa

from amf.db import utcnow
from amf.extensions import db
from amf.mail.delivery import deliver_messages, run_worker
from amf.mail.models import OutboxMessage, OutboxStatus
from amf.mail.services import queue_message


def queue_for_worker(app, count: int = 1) -> list[str]:
    """Queue messages with after-commit delivery off, as if the web process had died."""
    app.config["AMF_MAIL_SEND_AFTER_COMMIT"] = False
    with app.app_context():
        messages = [
            queue_message(f"delegate{n}@example.com", f"Message {n}", "Body") for n in range(count)
        ]
        db.session.commit()
        return [message.message_id for message in messages]


def stored(app) -> OutboxMessage:
    with app.app_context():
        return db.session.scalars(sa.select(OutboxMessage)).one()


def test_temporary_4xx_is_retried_later_with_backoff(smtp_app, smtp_server):
    queue_for_worker(smtp_app)
    smtp_server.answer("451 4.3.0 Mail system busy, try later")
    with smtp_app.app_context():
        before = utcnow()
        report = deliver_messages()

    assert (report.sent, report.retrying, report.failed) == (0, 1, 0)
    message = stored(smtp_app)
    assert message.status == OutboxStatus.QUEUED
    assert message.attempts == 1
    assert message.last_error.startswith("451")
    base = smtp_app.config["AMF_MAIL_RETRY_BASE_SECONDS"]
    assert before + timedelta(seconds=base * 0.5) <= message.next_attempt_at
    assert message.next_attempt_at <= utcnow() + timedelta(seconds=base)

    with smtp_app.app_context():
        second = deliver_messages(now=message.next_attempt_at + timedelta(seconds=1))
    message = stored(smtp_app)
    assert second.retrying == 1
    assert message.attempts == 2
    # The delay doubles: at least the full base after the second attempt.
    assert message.next_attempt_at - utcnow() >= timedelta(seconds=base - 1)

    smtp_server.answer(None)
    with smtp_app.app_context():
        assert deliver_messages(now=utcnow() + timedelta(hours=3)).sent == 1
    assert stored(smtp_app).status == OutboxStatus.SENT
    assert len(smtp_server.received) == 1


def test_permanent_5xx_fails_that_message_at_once_with_the_error_kept(smtp_app, smtp_server):
    """A 5xx to this message is final (issue 14): failed on the first attempt, not retried."""
    smtp_app.config["AMF_MAIL_MAX_ATTEMPTS"] = 3
    queue_for_worker(smtp_app)
    smtp_server.answer("550 5.1.1 No such user here")
    clock = utcnow()
    statuses = []
    with smtp_app.app_context():
        for _ in range(5):
            clock += timedelta(hours=2)
            deliver_messages(now=clock)
            statuses.append(stored(smtp_app).status)

    assert statuses == [OutboxStatus.FAILED] * 5
    message = stored(smtp_app)
    assert message.attempts == 1
    assert message.last_error == "550 5.1.1 No such user here"
    assert message.sent_at is None
    assert smtp_server.received == []


def test_message_left_sending_by_a_dead_worker_is_reclaimed_after_the_lease(smtp_app, smtp_server):
    [message_id] = queue_for_worker(smtp_app)
    with smtp_app.app_context():
        claimed_at = utcnow()
        db.session.execute(
            sa.update(OutboxMessage).values(
                status=OutboxStatus.SENDING, claimed_at=claimed_at, claimed_by="dead-host:1"
            )
        )
        db.session.commit()
        lease = timedelta(seconds=smtp_app.config["AMF_MAIL_CLAIM_LEASE_SECONDS"])
        within_lease = deliver_messages(now=claimed_at + lease - timedelta(seconds=1))
        after_lease = deliver_messages(now=claimed_at + lease + timedelta(seconds=1))

    assert (within_lease.sent, after_lease.sent) == (0, 1)
    message = stored(smtp_app)
    assert message.status == OutboxStatus.SENT
    assert message.claimed_by != "dead-host:1"
    assert smtp_server.message_id_counts() == {message_id: 1}


def test_send_mail_once_drains_the_queue_and_exits(smtp_app, smtp_server, runner):
    message_ids = queue_for_worker(smtp_app, count=45)

    result = runner.invoke(args=["amf", "send-mail", "--once", "--worker-id", "test-worker"])

    assert result.exit_code == 0, result.output
    assert "45 sent" in result.output
    assert smtp_server.message_id_counts() == dict.fromkeys(message_ids, 1)
    with smtp_app.app_context():
        claimed_by = db.session.scalars(sa.select(OutboxMessage.claimed_by).distinct()).all()
    assert claimed_by == ["test-worker"]


def test_worker_loop_picks_up_new_messages_until_stopped(smtp_app, smtp_server):
    stop = threading.Event()
    passes = []

    def after_pass(report) -> None:
        passes.append(report)
        if len(passes) == 1:
            queue_for_worker(smtp_app, count=2)  # arrives while the worker sleeps
        elif sum(p.sent for p in passes) == 2:
            stop.set()

    with smtp_app.app_context():
        total = run_worker(stop=stop, poll_seconds=0.05, on_pass=after_pass)

    assert total.sent == 2
    assert len(smtp_server.received) == 2


def test_smtp_down_for_the_worker_keeps_every_message_queued(smtp_app, smtp_server):
    queue_for_worker(smtp_app, count=3)
    smtp_server.stop()
    with smtp_app.app_context():
        report = deliver_messages()
        messages = db.session.scalars(sa.select(OutboxMessage)).all()

    assert report.connection_lost
    assert report.retrying == 3
    assert {m.status for m in messages} == {OutboxStatus.QUEUED}
    assert all(m.next_attempt_at > utcnow() for m in messages)
