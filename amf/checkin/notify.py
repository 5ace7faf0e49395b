"""What the confirmation email adds for check-in, and the note to a city's officers."""

from __future__ import annotations

from email.utils import make_msgid

from amf.calendar_uids import calendar_host
from amf.checkin.codes import checkin_code, ensure_pass
from amf.mail.models import BuiltAttachment
from amf.mail.services import RelatedObject, queue_templated_message
from amf.registration.models import Registration


def checkin_context(registration: Registration) -> tuple[dict, BuiltAttachment]:
    """The delegate's check-in code, creating the pass if needed, and its QR code image.

    The image travels as an inline part the HTML shows by Content-ID: Gmail and Outlook
    show no ``data:`` images. It is drawn (checkin.codes.qr_png) when the message is sent.
    """
    code = checkin_code(ensure_pass(registration))
    image = BuiltAttachment(
        filename="check-in-code.png",
        mime_type="image/png",
        builder="qr_png",
        arguments={"code": code},
        content_id=make_msgid("checkin", domain=calendar_host()).strip("<>"),
    )
    return {"checkin_code": code, "checkin_qr": f"cid:{image.content_id}"}, image


def notify_city_officers(registration: Registration) -> int:
    """Tell the city's officers who have an email that one of their delegates is confirmed.

    An officer named by the delegate hears of it too, unless it is their own address: a
    stranger who picks an officer's name is thereby reported to that officer.
    """
    city = registration.city
    if city is None:
        return 0
    sent = 0
    for officer in city.officers:
        if not officer.email or officer.email.strip().lower() == registration.email.lower():
            continue
        queue_templated_message(
            "organiser/officer_notice",
            (officer.name, officer.email),
            context={
                "registration": registration,
                "event": registration.event,
                "city": city,
                "recipient_name": officer.name,
            },
            related=RelatedObject("registration", registration.id),
        )
        sent += 1
    return sent
