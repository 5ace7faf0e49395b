"""Header injection through names and subjects never reaches the SMTP server."""

from __future__ import annotations

import pytest

from amf.extensions import db
from amf.mail.services import queue_message

INJECTIONS = [
    "Chung\r\nBcc: victim@evil.example",
    "Chung\nBcc: victim@evil.example",
    "Chung\rBcc: victim@evil.example",
    "Chung\r\n\r\nInjected body",
    "Chung\u2028Bcc: victim@evil.example",
]


@pytest.mark.parametrize("injection", INJECTIONS)
def test_line_breaks_in_display_name_and_subject_add_no_header(smtp_app, smtp_server, injection):
    with smtp_app.app_context():
        queue_message(
            (injection, "chung@example.com"),
            f"Your registration {injection}",
            "Body",
            reply_to="Secretariat <secretariat@amf.test>",
        )
        db.session.commit()

    [received] = smtp_server.received
    assert received.rcpt_tos == ["chung@example.com"]
    email = received.message
    assert email["Bcc"] is None
    assert email.get_all("To") and len(email.get_all("To")) == 1
    assert [a.addr_spec for a in email["To"].addresses] == ["chung@example.com"]
    assert len(email.get_all("Subject")) == 1
    assert "\n" not in email["Subject"] and "\r" not in email["Subject"]
    header_names = [name.lower() for name in email]
    assert sorted(set(header_names)) == sorted(header_names)  # none repeated
    assert set(header_names) <= {
        "from",
        "to",
        "reply-to",
        "subject",
        "date",
        "message-id",
        "auto-submitted",
        "mime-version",
        "content-type",
        "content-transfer-encoding",
    }
    assert email.get_body(("plain",)).get_content().strip() == "Body"
    headers, _, _ = received.data.partition(b"\r\n\r\n")
    assert b"\nBcc" not in headers and b"\nbcc" not in headers.lower()


def test_sender_with_line_break_is_refused(app):
    with app.app_context(), pytest.raises(ValueError):
        queue_message("chung@example.com", "Hi", "Body", sender="X\r\nBcc: a@b.c <x@amf.test>")
