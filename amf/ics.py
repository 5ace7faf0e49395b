"""A small, strict iCalendar writer for feeds, downloads and invitations' time zones (RFC 5545).

Feeds are written line by line rather than through the icalendar library: the library needs
about 220 ms for 1,000 events on our 2-core host, and a feed must also be byte-identical
between two builds. Independent parsers check what this writes in tests/test_calendar_*.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

PRODID = "-//ASEAN Mayors Forum//AMF Events//EN"
CRLF = b"\r\n"
_MAX_OCTETS = 75


@dataclass(frozen=True)
class CalendarEntry:
    """One VEVENT as plain values, shared by feeds, downloads and email invitations."""

    uid: str
    sequence: int
    summary: str
    starts_at: datetime
    ends_at: datetime
    dtstamp: datetime
    location: str = ""
    description: str = ""
    url: str = ""
    cancelled: bool = False


@dataclass(frozen=True)
class CalendarHeader:
    """The calendar-level properties of a feed or download."""

    name: str
    description: str = ""
    refresh: timedelta | None = None
    url: str = ""


def escape_text(value: str) -> str:
    """A TEXT value escaped as RFC 5545 3.3.11 asks: backslash, semicolon, comma, newline."""
    return (
        value.replace("\\", "\\\\")
        .replace(";", "\\;")
        .replace(",", "\\,")
        .replace("\r\n", "\\n")
        .replace("\r", "\\n")
        .replace("\n", "\\n")
    )


def single_line(value: str) -> str:
    """Collapse line breaks and runs of spaces (calcurse refuses a SUMMARY with a newline)."""
    return " ".join(value.split())


def fold(line: str) -> bytes:
    """One content line as UTF-8 with CRLF, folded at 75 octets between whole characters."""
    data = line.encode("utf-8")
    if len(data) <= _MAX_OCTETS:
        return data + CRLF
    chunks: list[bytes] = []
    current = bytearray()
    limit = _MAX_OCTETS
    for char in line:
        encoded = char.encode("utf-8")
        if len(current) + len(encoded) > limit:
            chunks.append(bytes(current))
            current = bytearray(b" ")
            limit = _MAX_OCTETS  # the leading space counts towards the 75
        current += encoded
    chunks.append(bytes(current))
    return CRLF.join(chunks) + CRLF


def format_duration(value: timedelta) -> str:
    """A positive DURATION value such as PT1H or P1DT30M."""
    seconds = int(value.total_seconds())
    if seconds <= 0:
        raise ValueError("a refresh interval must be positive")
    days, seconds = divmod(seconds, 86400)
    hours, seconds = divmod(seconds, 3600)
    minutes, seconds = divmod(seconds, 60)
    text = f"P{days}D" if days else "P"
    if hours or minutes or seconds:
        text += "T"
        text += f"{hours}H" if hours else ""
        text += f"{minutes}M" if minutes else ""
        text += f"{seconds}S" if seconds else ""
    return text


def utc_stamp(value: datetime) -> str:
    """A UTC DATE-TIME such as 20310310T020000Z."""
    return value.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


class ZoneWriter:
    """Writes DTSTART/DTEND in one zone: TZID with a one-STANDARD VTIMEZONE, or UTC.

    Only zones with one fixed offset (all ten ASEAN states' zones) get a TZID: their
    VTIMEZONE is a single STANDARD block, which Outlook reads correctly. Any zone with daylight
    saving is written in UTC instead (amf.mail.invitations.calendar_zone decides), so no client
    ever has to interpret several STANDARD blocks with RDATEs (ICAL.md item 15).
    """

    def __init__(self, zone: ZoneInfo, around: datetime) -> None:
        self.zone = zone
        self.is_utc = zone.key == "UTC"
        self._offset = around.astimezone(zone).utcoffset() or timedelta(0)
        self._abbreviation = around.astimezone(zone).tzname() or ""

    def property(self, name: str, value: datetime) -> str:
        """A DATE-TIME property line in this zone."""
        if self.is_utc:
            return f"{name}:{utc_stamp(value)}"
        local = value.astimezone(self.zone).strftime("%Y%m%dT%H%M%S")
        return f"{name};TZID={self.zone.key}:{local}"

    def vtimezone(self) -> list[str]:
        """The VTIMEZONE lines (none for UTC, which is written with Z)."""
        if self.is_utc:
            return []
        offset = _utc_offset(self._offset)
        lines = [
            "BEGIN:VTIMEZONE",
            f"TZID:{self.zone.key}",
            f"X-LIC-LOCATION:{self.zone.key}",
            "BEGIN:STANDARD",
            "DTSTART:19700101T000000",
            f"TZOFFSETFROM:{offset}",
            f"TZOFFSETTO:{offset}",
        ]
        if self._abbreviation:
            lines.append(f"TZNAME:{escape_text(self._abbreviation)}")
        return [*lines, "END:STANDARD", "END:VTIMEZONE"]


def _utc_offset(offset: timedelta) -> str:
    minutes = int(offset.total_seconds()) // 60
    sign = "-" if minutes < 0 else "+"
    hours, minutes = divmod(abs(minutes), 60)
    return f"{sign}{hours:02d}{minutes:02d}"


def entry_lines(entry: CalendarEntry, zone: ZoneWriter) -> list[str]:
    """The content lines of one VEVENT (feeds and downloads carry no METHOD or ATTENDEE)."""
    stamp = utc_stamp(entry.dtstamp)
    lines = [
        "BEGIN:VEVENT",
        f"UID:{entry.uid}",
        f"DTSTAMP:{stamp}",
        f"LAST-MODIFIED:{stamp}",
        f"SEQUENCE:{entry.sequence}",
        zone.property("DTSTART", entry.starts_at),
        zone.property("DTEND", entry.ends_at),
        f"SUMMARY:{escape_text(single_line(entry.summary))}",
    ]
    if entry.location:
        lines.append(f"LOCATION:{escape_text(single_line(entry.location))}")
    if entry.description:
        lines.append(f"DESCRIPTION:{escape_text(entry.description)}")
    if entry.url:
        lines.append(f"URL:{entry.url}")
    lines.append("STATUS:CANCELLED" if entry.cancelled else "STATUS:CONFIRMED")
    lines.append("TRANSP:OPAQUE")
    lines.append("END:VEVENT")
    return lines


def render_calendar(
    header: CalendarHeader, zone: ZoneWriter, entries: Iterable[CalendarEntry]
) -> bytes:
    """A whole VCALENDAR as bytes: one VERSION, our PRODID, no METHOD, CRLF, folded."""
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", f"PRODID:{PRODID}", "CALSCALE:GREGORIAN"]
    name = escape_text(single_line(header.name))
    lines += [f"NAME:{name}", f"X-WR-CALNAME:{name}"]
    if header.description:
        description = escape_text(header.description)
        lines += [f"DESCRIPTION:{description}", f"X-WR-CALDESC:{description}"]
    if header.url:
        lines.append(f"URL:{header.url}")
    if not zone.is_utc:
        lines.append(f"X-WR-TIMEZONE:{zone.zone.key}")
    if header.refresh is not None:
        # Written by hand: icalendar renders a timedelta X-PUBLISHED-TTL as "1:00:00".
        interval = format_duration(header.refresh)
        lines += [f"REFRESH-INTERVAL;VALUE=DURATION:{interval}", f"X-PUBLISHED-TTL:{interval}"]
    lines += zone.vtimezone()
    for entry in entries:
        lines += entry_lines(entry, zone)
    lines.append("END:VCALENDAR")
    return b"".join(fold(line) for line in lines)
