"""A message the relay refuses fails alone: the rest of the batch goes out in the same pass.

Non-ASCII addresses are a decision, not an accident: a non-ASCII domain travels as IDNA
(xn--) through any relay; a non-ASCII local part is sent with SMTPUTF8 where the relay offers
it, and where it does not, that message fails at once with the reason, shown in the outbox.
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from organiser_support import signed_in
from smtp_server import SMTPTestServer

from amf.accounts.models import Role
from amf.extensions import db
from amf.mail.delivery import deliver_messages
from amf.mail.models import OutboxMessage, OutboxStatus
from amf.mail.services import queue_message

LOCAL_PART = "josé@example.org"
IDN_DOMAIN = "user@bücher.example"
ORDINARY = [f"delegate{n}@example.org" for n in range(10)]


def _relay_for(app, smtputf8: bool) -> SMTPTestServer:
    """A running aiosmtpd relay, with or without SMTPUTF8, that the app sends through."""
    server = SMTPTestServer(smtputf8=smtputf8)
    server.start()
    app.config.update(
        MAIL_SERVER=server.host,
        MAIL_PORT=server.port,
        MAIL_TIMEOUT=5,
        MAIL_DEFAULT_SENDER="AMF Events <no-reply@amf.test>",
        AMF_MAIL_SEND_AFTER_COMMIT=False,
    )
    return server


@pytest.fixture(params=[False, True], ids=["relay-without-smtputf8", "relay-with-smtputf8"])
def relay(request, app):
    """Each kind of relay in turn."""
    server = _relay_for(app, request.param)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def plain_relay(app):
    """A relay that does not offer SMTPUTF8, as many do not."""
    server = _relay_for(app, False)
    try:
        yield server
    finally:
        server.stop()


def _queue(app, addresses: list[str]) -> None:
    with app.app_context():
        for address in addresses:  # in this order: the awkward ones get the lowest ids
            queue_message(address, f"Welcome {address}", "Body")
        db.session.commit()


def _statuses(app) -> dict[str, OutboxMessage]:
    with app.app_context():
        messages = db.session.scalars(sa.select(OutboxMessage)).all()
        return {m.recipient_emails[0]: m for m in messages}


def test_non_ascii_addresses_never_hold_up_the_others(app, relay):
    _queue(app, [LOCAL_PART, IDN_DOMAIN, *ORDINARY])
    with app.app_context():
        report = deliver_messages()

    messages = _statuses(app)
    arrived = {rcpt for item in relay.received for rcpt in item.rcpt_tos}
    assert {address: messages[address].status for address in ORDINARY} == dict.fromkeys(
        ORDINARY, OutboxStatus.SENT
    )
    assert all(messages[address].attempts == 1 for address in ORDINARY)
    assert set(ORDINARY) <= arrived
    assert sorted(relay.message_id_counts().values()) == [1] * len(relay.received)
    # The domain goes as IDNA, in the envelope and in the header, on either relay.
    assert messages[IDN_DOMAIN].status == OutboxStatus.SENT
    assert "user@xn--bcher-kva.example" in arrived
    idn = next(i for i in relay.received if "user@xn--bcher-kva.example" in i.rcpt_tos)
    assert "xn--bcher-kva.example" in str(idn.message["To"])
    local = messages[LOCAL_PART]
    if relay.smtputf8:
        assert local.status == OutboxStatus.SENT and LOCAL_PART in arrived
        sent = next(i for i in relay.received if LOCAL_PART in i.rcpt_tos)
        assert "SMTPUTF8" in sent.mail_options
        assert (report.sent, report.failed, report.retrying) == (12, 0, 0)
    else:
        assert local.status == OutboxStatus.FAILED and local.attempts == 1
        assert "SMTPUTF8" in local.last_error and LOCAL_PART in local.last_error
        assert (report.sent, report.failed, report.retrying) == (11, 1, 0)
        assert not report.connection_lost


def test_the_failed_message_is_on_the_outbox_screen(app, plain_relay):
    _queue(app, [LOCAL_PART, *ORDINARY[:2]])
    with app.app_context():
        deliver_messages()
    page = signed_in(app, Role.ORGANISER).get("/organiser/outbox?status=failed")
    assert page.status_code == 200
    assert LOCAL_PART in page.text and "SMTPUTF8" in page.text
    assert ORDINARY[0] not in page.text


def test_a_refused_recipient_fails_alone_a_busy_one_is_retried_and_the_rest_go_now(app, relay):
    relay.refuse(ORDINARY[0], "550 5.1.1 No such user here")
    relay.refuse(ORDINARY[1], "450 4.2.1 Mailbox busy, try later")
    _queue(app, ORDINARY)
    with app.app_context():
        report = deliver_messages()

    messages = _statuses(app)
    assert (report.sent, report.retrying, report.failed) == (8, 1, 1)
    assert messages[ORDINARY[0]].status == OutboxStatus.FAILED  # permanent: at once
    assert messages[ORDINARY[1]].status == OutboxStatus.QUEUED  # transient: with backoff
    for address in ORDINARY[:2]:
        assert messages[address].attempts == 1
    assert "550" in messages[ORDINARY[0]].last_error
    assert "450" in messages[ORDINARY[1]].last_error
    assert {m.status for a, m in messages.items() if a not in ORDINARY[:2]} == {OutboxStatus.SENT}


def test_an_idn_domain_first_in_line_does_not_defer_the_batch(app, relay):
    _queue(app, [IDN_DOMAIN, *ORDINARY])
    with app.app_context():
        report = deliver_messages()
    assert (report.sent, report.retrying, report.failed) == (11, 0, 0)
    assert relay.message_id_counts().total() == 11
    assert {m.attempts for m in _statuses(app).values()} == {1}
