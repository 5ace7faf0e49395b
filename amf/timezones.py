"""Showing UTC instants in an event's or a viewer's time zone."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo, available_timezones


@lru_cache(maxsize=1)
def _known_zones() -> frozenset[str]:
    return frozenset(available_timezones())


def valid_timezone(name: str | None) -> str | None:
    """The name if it is a known IANA zone, else None."""
    if name and name in _known_zones():
        return name
    return None


def utc_offset_label(offset: timedelta | None) -> str:
    """An offset as 'UTC+07:00' or 'UTC+06:30'."""
    minutes = int((offset or timedelta()).total_seconds() // 60)
    sign = "+" if minutes >= 0 else "-"
    hours, mins = divmod(abs(minutes), 60)
    return f"UTC{sign}{hours:02d}:{mins:02d}"


def zone_abbreviation(instant: datetime, tz_name: str) -> str:
    """The zone's abbreviation at that instant ('WIB'), or its UTC offset where tzdata has none."""
    local = instant.astimezone(ZoneInfo(tz_name))
    abbreviation = local.tzname() or ""
    if abbreviation[:1].isalpha():
        return abbreviation
    return utc_offset_label(local.utcoffset())


def to_local(instant: datetime, tz_name: str) -> datetime:
    """The instant as wall-clock time in that zone."""
    return instant.astimezone(ZoneInfo(tz_name))


def zone_label(tz_name: str, on_day: date) -> str:
    """'WIB, UTC+07:00' for the zone at noon that day; just the offset if tzdata has no name."""
    local = datetime.combine(on_day, time(12), ZoneInfo(tz_name))
    offset = utc_offset_label(local.utcoffset())
    abbreviation = zone_abbreviation(local, tz_name)
    return offset if abbreviation == offset else f"{abbreviation}, {offset}"
