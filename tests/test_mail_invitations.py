"""Email invitations that calendar clients accept (ICAL.md items 17-19), checked at the server."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import icalendar
import pytest
import sqlalchemy as sa
from builders import make_event, make_session

from amf.calendar_uids import event_uid, session_uid
from amf.extensions import db
from amf.mail.delivery import deliver_messages
from amf.mail.invitations import PRODID, build_invitation, calendar_zone, invitation_attachment
from amf.mail.models import Attachment, BuiltAttachment, OutboxMessage, OutboxStatus
from amf.mail.services import queue_message

DELEGATE = "chung@example.com"


def session_invitation(method: str, sequence: int) -> dict:
    """Details of an invitation to a Jakarta session with Unicode everywhere."""
    event = make_event(title="ASEAN Mayors Forum — กรุงเทพมหานคร")
    session = make_session(
        event, "09:00", "10:30", title="Opening plenary; ရန်ကုန် and Nguyễn Đức Chung, welcome"
    )
    return dict(
        method=method,
        uid=session_uid(session.id),
        sequence=sequence,
        summary=session.title,
        starts_at=session.starts_at,
        ends_at=session.ends_at,
        tz_name=event.timezone,
        attendee_email=DELEGATE,
        attendee_name="Nguyễn Đức Chung",
        location=f"{event.venue_name}, {event.venue_address}",
        description="Line one\nLine two, with comma; and semicolon",
    )


def send_invitation(app, smtp_server, method: str = "REQUEST", sequence: int = 0):
    """Queue and commit a message carrying the invitation; return what the server received."""
    with app.app_context():
        details = session_invitation(method, sequence)
        attachment = invitation_attachment(**details)
        queue_message(
            ("Nguyễn Đức Chung", DELEGATE),
            "Your session",
            "Plain",
            "<p>HTML</p>",
            attachments=[attachment],
        )
        db.session.commit()
    [received] = smtp_server.received
    return received, details


def calendar_parts(email):
    """(alternative calendar part, attached calendar part)."""
    assert email.get_content_type() == "multipart/mixed"
    alternative, attached = email.get_payload()
    assert alternative.get_content_type() == "multipart/alternative"
    types = [part.get_content_type() for part in alternative.get_payload()]
    assert types == ["text/plain", "text/html", "text/calendar"]
    assert attached.get_content_type() == "text/calendar"
    assert attached.get_content_disposition() == "attachment"
    assert attached.get_filename().endswith(".ics")
    return alternative.get_payload()[2], attached


def assert_wire_format(body: bytes) -> None:
    """CRLF line ends only, and no physical line over 75 octets."""
    assert body.endswith(b"\r\n")
    lines = body.split(b"\r\n")[:-1]
    assert all(b"\n" not in line and b"\r" not in line for line in lines)
    assert max(len(line) for line in lines) <= 75
    body.decode("utf-8")  # folding never split a character


def test_an_inline_image_sits_with_the_html_and_the_invitation_stays_the_alternative(
    smtp_app, smtp_server
):
    qr = Attachment("code.png", "image/png", b"\x89PNG\r\n\x1a\nfake", content_id="qr.1@amf.test")
    with smtp_app.app_context():
        invitation = invitation_attachment(**session_invitation("REQUEST", 0))
        queue_message(
            ("Nguyễn Đức Chung", DELEGATE),
            "Confirmed",
            "Plain",
            '<p><img src="cid:qr.1@amf.test" alt="QR"></p>',
            attachments=[invitation, qr],
        )
        db.session.commit()
    [received] = smtp_server.received
    email = received.message
    alternative, attached = email.get_payload()
    types = [part.get_content_type() for part in alternative.get_payload()]
    assert types == ["text/plain", "multipart/related", "text/calendar"]
    html, image = alternative.get_payload()[1].get_payload()
    assert html.get_content_type() == "text/html"
    assert image["Content-ID"] == "<qr.1@amf.test>"
    assert image.get_content_disposition() == "inline"
    assert image.get_payload(decode=True) == qr.content
    assert attached.get_content_type() == "text/calendar"  # the image is not also attached
    assert len([p for p in email.walk() if p.get_content_type() == "image/png"]) == 1


def test_request_has_matching_methods_and_the_documented_mime_structure(smtp_app, smtp_server):
    received, details = send_invitation(smtp_app, smtp_server)
    inline, attached = calendar_parts(received.message)

    body = inline.get_payload(decode=True)
    assert attached.get_payload(decode=True) == body
    assert inline.get_param("method") == attached.get_param("method") == "REQUEST"
    assert inline.get_content_charset() == "utf-8"
    assert_wire_format(body)
    assert body.count(b"\r\nMETHOD:REQUEST\r\n") == 1

    calendar = icalendar.Calendar.from_ical(body)
    assert calendar["METHOD"] == "REQUEST"
    assert calendar["PRODID"] == PRODID
    assert body.count(b"VERSION:2.0") == 1
    [event] = calendar.walk("VEVENT")
    assert str(event["UID"]) == details["uid"]
    assert re.fullmatch(r"session-\d+@amf\.test", str(event["UID"]))
    assert event["STATUS"] == "CONFIRMED"
    organizer = str(event["ORGANIZER"])
    attendee = str(event["ATTENDEE"])
    assert organizer.lower().startswith("mailto:")
    assert organizer.lower() != f"mailto:{DELEGATE}"
    assert attendee.lower() == f"mailto:{DELEGATE}"
    assert event["ATTENDEE"].params["CN"] == "Nguyễn Đức Chung"
    assert str(event["SUMMARY"]) == details["summary"]
    assert str(event["DESCRIPTION"]) == details["description"]
    assert event.decoded("DTSTART") == details["starts_at"]
    assert event.decoded("DTEND") == details["ends_at"]
    assert b"DTSTART;TZID=Asia/Jakarta:20310310T090000\r\n" in body
    assert re.search(rb"\r\nDTSTAMP:\d{8}T\d{6}Z\r\n", body)
    assert not calendar.get_missing_tzids()
    [timezone] = calendar.walk("VTIMEZONE")
    assert timezone["TZID"] == "Asia/Jakarta"
    assert len(timezone.walk("STANDARD")) == 1
    assert timezone.walk("DAYLIGHT") == []
    assert all(not component.errors for component in calendar.walk())


def test_cancel_keeps_the_uid_raises_sequence_and_says_cancelled(smtp_app, smtp_server):
    with smtp_app.app_context():
        details = session_invitation("REQUEST", 2)
        request = icalendar.Calendar.from_ical(build_invitation(**details))
        cancel_details = {**details, "method": "CANCEL", "sequence": 3}
        queue_message(
            DELEGATE,
            "Cancelled",
            "Plain",
            "<p>HTML</p>",
            attachments=[invitation_attachment(**cancel_details)],
        )
        db.session.commit()

    [received] = smtp_server.received
    inline, attached = calendar_parts(received.message)
    assert inline.get_param("method") == attached.get_param("method") == "CANCEL"
    body = inline.get_payload(decode=True)
    assert_wire_format(body)
    cancel = icalendar.Calendar.from_ical(body)
    assert cancel["METHOD"] == "CANCEL"
    [before] = request.walk("VEVENT")
    [after] = cancel.walk("VEVENT")
    assert after["UID"] == before["UID"]
    assert after["SEQUENCE"] > before["SEQUENCE"]
    assert after["STATUS"] == "CANCELLED"
    assert str(after["ATTENDEE"]).lower() == f"mailto:{DELEGATE}"


def test_organizer_cannot_be_the_attendee(app):
    with app.app_context():
        details = session_invitation("REQUEST", 0)
        details["organizer"] = f"Chung <{DELEGATE.upper()}>"
        with pytest.raises(ValueError, match="organizer"):
            build_invitation(**details)
        with pytest.raises(ValueError, match="organizer"):  # refused when queued, not when sent
            invitation_attachment(**details)


def test_invitation_is_queued_as_its_details_and_written_by_the_worker(smtp_app, smtp_server):
    """The row holds every value (organizer, DTSTAMP included); the worker writes the bytes."""
    smtp_app.config["AMF_MAIL_SEND_AFTER_COMMIT"] = False
    sender = smtp_app.config["MAIL_DEFAULT_SENDER"]
    with smtp_app.app_context():
        details = session_invitation("REQUEST", 4)
        queue_message(
            DELEGATE,
            "Your session",
            "Plain",
            "<p>HTML</p>",
            attachments=[invitation_attachment(**details)],
        )
        db.session.commit()
        [stored] = db.session.scalars(sa.select(OutboxMessage)).one().attachments
        assert stored["builder"] == "invitation"
        assert "content_base64" not in stored
        arguments = stored["arguments"]
        assert arguments["organizer"] == sender
        assert arguments["sequence"] == 4
        assert datetime.fromisoformat(arguments["starts_at"]) == details["starts_at"]

        smtp_app.config["MAIL_DEFAULT_SENDER"] = "Someone Else <else@amf.test>"  # after queueing
        assert deliver_messages().sent == 1
        expected = build_invitation(
            **details,
            organizer=sender,
            dtstamp=datetime.fromisoformat(arguments["dtstamp"]),
        )
    [received] = smtp_server.received
    inline, attached = calendar_parts(received.message)
    assert inline.get_payload(decode=True) == attached.get_payload(decode=True) == expected
    [vevent] = icalendar.Calendar.from_ical(expected).walk("VEVENT")
    assert str(vevent["ORGANIZER"]) == "mailto:no-reply@amf.test"


def test_an_attachment_that_cannot_be_built_fails_its_message_and_the_worker_goes_on(
    smtp_app, smtp_server
):
    smtp_app.config["AMF_MAIL_SEND_AFTER_COMMIT"] = False
    broken = BuiltAttachment("code.png", "image/png", builder="qr_png", arguments={"text": "x"})
    with smtp_app.app_context():
        queue_message(DELEGATE, "Broken", "Plain", attachments=[broken])
        # A stored form this worker does not know (a newer release's, say).
        queue_message(DELEGATE, "Unknown form", "Plain").attachments = [{"filename": "x.bin"}]
        queue_message(DELEGATE, "Fine", "Plain")
        db.session.commit()
        report = deliver_messages()
        broken_row, unknown_row, fine_row = db.session.scalars(
            sa.select(OutboxMessage).order_by(OutboxMessage.id)
        )
        assert report.sent == 1 and fine_row.status == OutboxStatus.SENT
        assert broken_row.status == unknown_row.status == OutboxStatus.FAILED
        assert "cannot build code.png" in broken_row.last_error
        assert "KeyError" in unknown_row.last_error
        assert broken_row.attachments  # kept, so an organiser can retry once the cause is fixed
    assert [r.message["Subject"] for r in smtp_server.received] == ["Fine"]
    with pytest.raises(ValueError, match="no attachment builder"):
        BuiltAttachment("x.bin", "application/octet-stream", builder="nope", arguments={})


def test_zone_with_daylight_saving_is_written_in_utc(app):
    summer = datetime(2031, 7, 1, 8, tzinfo=UTC)
    assert calendar_zone("Asia/Jakarta", summer).key == "Asia/Jakarta"
    assert calendar_zone("Asia/Yangon", summer).key == "Asia/Yangon"
    assert calendar_zone("Europe/Berlin", summer).key == "UTC"
    with app.app_context():
        body = build_invitation(
            method="REQUEST",
            uid="x@amf.test",
            sequence=0,
            summary="Berlin visit",
            starts_at=summer,
            ends_at=summer.replace(hour=9),
            tz_name="Europe/Berlin",
            attendee_email=DELEGATE,
        )
    assert b"VTIMEZONE" not in body
    assert b"\r\nDTSTART:20310701T080000Z\r\n" in body


def test_uids_use_the_public_host(app):
    with app.app_context():
        assert session_uid(42) == "session-42@amf.test"
        assert event_uid(7) == "event-7@amf.test"
        app.config["AMF_PUBLIC_HOST"] = "events.aseanmayors.org"
        assert session_uid(42) == "session-42@events.aseanmayors.org"


@pytest.mark.parametrize(
    "tz_name",
    [
        "Asia/Jakarta",
        "Asia/Makassar",
        "Asia/Yangon",
        "Asia/Manila",
        "Asia/Kuala_Lumpur",
        "Asia/Kuching",
        "Asia/Singapore",
        "Asia/Bangkok",
        "Asia/Ho_Chi_Minh",
        "Asia/Brunei",
        "Asia/Phnom_Penh",
        "Asia/Vientiane",
    ],
)
def test_invitation_vtimezone_is_the_feeds_one_standard_block(tz_name):
    """ICAL.md 15: one STANDARD, no DAYLIGHT, the same block as the feeds, for every pilot city.

    icalendar's generator wrote two STANDARD blocks for Manila, Kuala Lumpur and Singapore
    (offset changes since 1970), which Outlook misreads.
    """
    from zoneinfo import ZoneInfo

    from amf.ics import ZoneWriter

    start = datetime(2031, 3, 10, 9, tzinfo=ZoneInfo(tz_name))
    invitation = icalendar.Calendar.from_ical(
        build_invitation(
            method="REQUEST",
            uid="u@amf.test",
            sequence=0,
            summary="S",
            starts_at=start,
            ends_at=start.replace(hour=10),
            tz_name=tz_name,
            attendee_email="a@example.org",
            organizer="AMF <amf@amf.test>",
        )
    )
    (vtimezone,) = invitation.walk("VTIMEZONE")
    assert len(vtimezone.walk("STANDARD")) == 1 and not vtimezone.walk("DAYLIGHT")
    feed_lines = ZoneWriter(ZoneInfo(tz_name), start).vtimezone()
    assert sorted(vtimezone.to_ical().decode().split("\r\n")[:-1]) == sorted(feed_lines)
    assert not invitation.get_missing_tzids()
