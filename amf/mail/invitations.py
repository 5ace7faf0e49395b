"""iCalendar invitations for email (ICAL.md items 17-19): REQUEST and CANCEL parts."""

from __future__ import annotations

import copy
import enum
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import icalendar
from flask import current_app

from amf.db import utcnow
from amf.ics import PRODID, ZoneWriter
from amf.mail.mime import parse_address, single_line
from amf.mail.models import BuiltAttachment, attachment_builder


class InvitationMethod(enum.StrEnum):
    """The iTIP methods we send."""

    REQUEST = "REQUEST"
    CANCEL = "CANCEL"


def build_invitation(
    *,
    method: InvitationMethod | str,
    uid: str,
    sequence: int,
    summary: str,
    starts_at: datetime | date,
    ends_at: datetime | date,
    tz_name: str,
    attendee_email: str,
    attendee_name: str = "",
    organizer: str | None = None,
    location: str = "",
    description: str = "",
    url: str | None = None,
    dtstamp: datetime | None = None,
) -> bytes:
    """One VEVENT as an iTIP REQUEST or CANCEL, as CRLF-terminated UTF-8 bytes.

    ``uid`` comes from amf.calendar_uids so every copy of a session shares it; ``sequence``
    must rise with every change, so a CANCEL carries a higher one than the last REQUEST.
    ``organizer`` ("Name <addr>") defaults to MAIL_DEFAULT_SENDER and must not be the attendee.
    Dates instead of date-times make an all-day event (``ends_at`` the day after the last),
    shown on the same days in every viewer's zone.
    """
    method = InvitationMethod(method)
    organizer_address, attendee_address = _checked_addresses(
        organizer, attendee_email, starts_at, ends_at
    )

    calendar = icalendar.Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("method", method.value)

    all_day = not isinstance(starts_at, datetime)
    zone = None if all_day else calendar_zone(tz_name, starts_at)
    event = icalendar.Event()
    event.add("uid", uid)
    event.add("sequence", sequence)
    event.add("dtstamp", (dtstamp or utcnow()).astimezone(UTC))
    event.add("dtstart", starts_at if all_day else starts_at.astimezone(zone))
    event.add("dtend", ends_at if all_day else ends_at.astimezone(zone))
    event.add("summary", single_line(summary))
    if location:
        event.add("location", single_line(location))
    if description:
        event.add("description", description)
    if url:
        event.add("url", url)
    event.add("status", "CANCELLED" if method is InvitationMethod.CANCEL else "CONFIRMED")
    event.add("transp", "OPAQUE")
    event.add(
        "organizer", _calendar_address(organizer_address.addr_spec, organizer_address.display_name)
    )
    attendee = _calendar_address(
        attendee_address.addr_spec, attendee_name or attendee_address.display_name
    )
    attendee.params.update(
        {
            "CUTYPE": "INDIVIDUAL",
            "ROLE": "REQ-PARTICIPANT",
            "PARTSTAT": "NEEDS-ACTION",
            "RSVP": "FALSE",
        }
    )
    event.add("attendee", attendee)
    if zone is not None and zone.key != "UTC":  # the zone's definition before its event
        calendar.add_component(copy.deepcopy(_vtimezone(zone, starts_at)))
    calendar.add_component(event)
    return calendar.to_ical()


def _checked_addresses(organizer: str | None, attendee_email: str, starts_at: date, ends_at: date):
    """(organizer, attendee) as Addresses; ValueError for what no calendar would accept."""
    organizer_address = parse_address(organizer or current_app.config["MAIL_DEFAULT_SENDER"])
    attendee_address = parse_address(attendee_email)
    if organizer_address.addr_spec.lower() == attendee_address.addr_spec.lower():
        raise ValueError("the organizer of an invitation cannot be its attendee")
    if isinstance(starts_at, datetime) != isinstance(ends_at, datetime):
        raise ValueError("an invitation starts and ends both on dates or both at times")
    if ends_at <= starts_at:
        raise ValueError("an invitation must end after it starts")
    return organizer_address, attendee_address


def _vtimezone(zone: ZoneInfo, around: datetime) -> icalendar.Timezone:
    """The same one-STANDARD VTIMEZONE the feeds write (ICAL.md item 15), parsed once.

    icalendar's own generator writes a STANDARD block for every historical change since
    1970 (two for Manila, Kuala Lumpur, Singapore; Outlook reads only one) and takes about
    20 ms per email.
    """
    return _parse_vtimezone("\r\n".join(ZoneWriter(zone, around).vtimezone()))


@lru_cache(maxsize=64)
def _parse_vtimezone(text: str) -> icalendar.Timezone:
    return icalendar.Timezone.from_ical(text)


_DATETIMES = ("starts_at", "ends_at", "dtstamp")


def invitation_attachment(**details) -> BuiltAttachment:
    """build_invitation's result as an attachment that build_email also shows as an invitation.

    The details are checked now and fixed (the organizer and DTSTAMP included) in the outbox
    row; the worker writes the iCalendar object when it sends the message.
    """
    method = InvitationMethod(details["method"])
    starts_at, ends_at = details["starts_at"], details["ends_at"]
    _checked_addresses(details.get("organizer"), details["attendee_email"], starts_at, ends_at)
    arguments = {
        **details,
        "method": method.value,
        "organizer": details.get("organizer") or current_app.config["MAIL_DEFAULT_SENDER"],
        "dtstamp": details.get("dtstamp") or utcnow(),
    }
    for name in _DATETIMES:
        if isinstance(arguments[name], datetime) and arguments[name].tzinfo is None:
            raise ValueError(f"{name} must carry its time zone")
        arguments[name] = arguments[name].isoformat()
    filename = "cancellation.ics" if method is InvitationMethod.CANCEL else "invitation.ics"
    return BuiltAttachment(
        filename=filename,
        mime_type="text/calendar",
        builder="invitation",
        arguments=arguments,
        method=method.value,
    )


@attachment_builder("invitation")
def _invitation_from_arguments(**arguments) -> bytes:
    """build_invitation from the JSON arguments invitation_attachment stored."""
    for name in _DATETIMES:
        value = arguments[name]  # a day ("2022-10-06") or an instant with its offset
        arguments[name] = (
            date.fromisoformat(value) if len(value) == 10 else datetime.fromisoformat(value)
        )
    return build_invitation(**arguments)


def calendar_zone(tz_name: str, around: datetime) -> ZoneInfo:
    """The event's zone if its offset is fixed (every ASEAN zone), else UTC.

    Outlook reads a single STANDARD block, and icalendar writes several for zones with
    daylight saving (ICAL.md item 15); UTC sidesteps that.
    """
    zone = ZoneInfo(tz_name)
    probes = [around + timedelta(days=days) for days in range(-366, 367, 30)]
    offsets = {probe.astimezone(zone).utcoffset() for probe in probes}
    return zone if len(offsets) == 1 else ZoneInfo("UTC")


def _calendar_address(email: str, name: str) -> icalendar.vCalAddress:
    """A mailto: address with its common name."""
    address = icalendar.vCalAddress(f"mailto:{email}")
    if name:
        address.params["CN"] = single_line(name)
    return address
