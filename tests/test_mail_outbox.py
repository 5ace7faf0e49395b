"""The outbox: messages live and die with the caller's transaction and arrive after commit."""

from __future__ import annotations

from datetime import timedelta
from email import policy
from email.parser import BytesParser

import pytest
import sqlalchemy as sa

from amf.db import utcnow
from amf.extensions import db
from amf.mail.delivery import deliver_messages
from amf.mail.models import OutboxMessage, OutboxStatus
from amf.mail.services import RelatedObject, queue_message, retry_failed_message

DELEGATE = ("Nguyễn Đức Chung", "chung@example.com")


def outbox(app) -> list[OutboxMessage]:
    with app.app_context():
        return db.session.scalars(sa.select(OutboxMessage).order_by(OutboxMessage.id)).all()


def test_queued_message_arrives_after_commit_with_both_parts_and_intact_name(smtp_app, smtp_server):
    with smtp_app.app_context():
        queue_message(
            DELEGATE,
            "Welcome to AMF 2022 — Surabaya",
            "Dear Nguyễn Đức Chung,\nSee you in กรุงเทพมหานคร and ရန်ကုန်.\n",
            "<p>Dear Nguyễn Đức Chung, see you in กรุงเทพมหานคร and ရန်ကုန်.</p>",
            related=RelatedObject("registration", 42),
        )
        assert smtp_server.received == []  # nothing leaves before the commit
        db.session.commit()

    [received] = smtp_server.received
    assert received.rcpt_tos == ["chung@example.com"]
    assert received.mail_from == "no-reply@amf.test"
    email = received.message
    assert email["To"].addresses[0].display_name == "Nguyễn Đức Chung"
    assert email["From"].addresses[0].addr_spec == "no-reply@amf.test"
    assert email["Subject"] == "Welcome to AMF 2022 — Surabaya"
    assert email["Date"] is not None
    assert email["Auto-Submitted"] == "auto-generated"
    assert email.get_content_type() == "multipart/alternative"
    plain = email.get_body(preferencelist=("plain",))
    html = email.get_body(preferencelist=("html",))
    assert "Nguyễn Đức Chung" in plain.get_content()
    assert "ရန်ကုန်" in plain.get_content()
    assert "กรุงเทพมหานคร" in html.get_content()

    [message] = outbox(smtp_app)
    assert message.status == OutboxStatus.SENT
    assert message.attempts == 1
    assert message.sent_at is not None
    assert email["Message-ID"] == message.message_id
    assert message.message_id.endswith("@amf.test>")
    assert (message.related_type, message.related_id) == ("registration", 42)


def test_rolled_back_transaction_leaves_no_message(smtp_app, smtp_server):
    with smtp_app.app_context():
        queue_message("delegate@example.com", "Never sent", "This transaction fails.")
        db.session.flush()
        db.session.rollback()
        db.session.commit()  # a later, unrelated commit must not resurrect it

    assert outbox(smtp_app) == []
    assert smtp_server.received == []


def test_smtp_down_at_commit_keeps_message_queued_and_worker_delivers_it_once(
    smtp_app, smtp_server, runner
):
    smtp_server.stop()

    result = runner.invoke(args=["amf", "send-test-mail", "chung@example.com"])

    assert result.exit_code == 0, result.output
    assert "Queued test message" in result.output
    [message] = outbox(smtp_app)
    assert message.status == OutboxStatus.QUEUED
    assert message.attempts == 1
    assert "ConnectionRefusedError" in message.last_error
    assert message.next_attempt_at > utcnow()

    smtp_server.start()
    with smtp_app.app_context():
        early = deliver_messages()  # not due yet: the backoff holds it back
        later = utcnow() + timedelta(hours=2)
        first = deliver_messages(now=later)
        second = deliver_messages(now=later + timedelta(hours=2))

    assert (early.sent, first.sent, second.sent) == (0, 1, 0)
    assert smtp_server.message_id_counts() == {message.message_id: 1}
    [message] = outbox(smtp_app)
    assert message.status == OutboxStatus.SENT
    assert message.attempts == 2


def test_after_commit_delivery_can_be_turned_off(smtp_app, smtp_server):
    smtp_app.config["AMF_MAIL_SEND_AFTER_COMMIT"] = False
    with smtp_app.app_context():
        queue_message("delegate@example.com", "For the worker", "Body")
        db.session.commit()
        assert smtp_server.received == []
        assert deliver_messages().sent == 1
    assert len(smtp_server.received) == 1


def test_file_mode_writes_a_readable_eml(app, tmp_path):
    assert app.config["MAIL_SERVER"] is None
    with app.app_context():
        message = queue_message(DELEGATE, "File mode", "Xin chào Nguyễn Đức Chung", "<p>ရန်ကုန်</p>")
        db.session.commit()
        message_id = message.message_id

    [path] = (tmp_path / "mail").glob("*.eml")
    email = BytesParser(policy=policy.default).parsebytes(path.read_bytes())
    assert email["Message-ID"] == message_id
    assert email["To"].addresses[0].display_name == "Nguyễn Đức Chung"
    assert "Xin chào Nguyễn Đức Chung" in email.get_body(("plain",)).get_content()
    assert "ရန်ကုန်" in email.get_body(("html",)).get_content()
    assert b"\r\n" in path.read_bytes()
    [stored] = outbox(app)
    assert stored.status == OutboxStatus.SENT


def test_failed_message_can_be_retried_by_an_organiser(smtp_app, smtp_server, runner):
    smtp_app.config["AMF_MAIL_MAX_ATTEMPTS"] = 1
    smtp_server.answer("550 5.1.1 Mailbox unavailable")
    with smtp_app.app_context():
        queue_message("gone@example.com", "Bounce", "Body")
        db.session.commit()
    [message] = outbox(smtp_app)
    assert message.status == OutboxStatus.FAILED

    smtp_server.answer(None)
    result = runner.invoke(args=["amf", "retry-mail", str(message.id)])

    assert result.exit_code == 0, result.output
    [message] = outbox(smtp_app)
    assert message.status == OutboxStatus.SENT
    assert len(smtp_server.received) == 1
    with smtp_app.app_context():
        assert retry_failed_message(message.id) is None  # only failed messages go back


@pytest.mark.parametrize("address", ["not-an-address", "a@b\r\nBcc: x@example.com", ""])
def test_malformed_recipient_is_refused_at_queue_time(app, address):
    with app.app_context(), pytest.raises(ValueError):
        queue_message(address, "Subject", "Body")
