"""Jinja filters and globals shared by every template."""

from __future__ import annotations

from datetime import date, datetime

from flask import Flask

from amf.timezones import to_local, utc_offset_label, zone_abbreviation, zone_label


def local_time(instant: datetime, tz_name: str) -> str:
    """'09:00' in that zone."""
    return to_local(instant, tz_name).strftime("%H:%M")


def local_time_range(start: datetime, end: datetime, tz_name: str) -> str:
    """'09:00–10:30 WIB' in that zone."""
    return (
        f"{local_time(start, tz_name)}–{local_time(end, tz_name)} "
        f"{zone_abbreviation(start, tz_name)}"
    )


def time_range_with_home(
    start: datetime, end: datetime, tz_name: str, home_tz: str | None, home_name: str = ""
) -> str:
    """'13:30–15:00 WIB (14:30–16:00 in Manila, UTC+08:00)': the event's clock, then the
    delegate's home city's where it differs.
    """
    shown = local_time_range(start, end, tz_name)
    home_offset = to_local(start, home_tz).utcoffset() if home_tz else None
    if home_offset is None or home_offset == to_local(start, tz_name).utcoffset():
        return shown  # the same clock: saying it twice helps nobody
    offset = utc_offset_label(home_offset)
    home = f"{local_time(start, home_tz)}–{local_time(end, home_tz)}"
    day_shift = (to_local(start, home_tz).date() - to_local(start, tz_name).date()).days
    if day_shift:
        home += f" ({long_date(to_local(start, home_tz).date())})"
    return f"{shown} ({home} in {home_name or home_tz}, {offset})"


def local_clock(instant: datetime, tz_name: str, with_day: bool = False) -> str:
    """'09:15 WIB', or with_day '09:15 WIB, 6 Oct', for the instant in that zone."""
    local = to_local(instant, tz_name)
    clock = f"{local:%H:%M} {zone_abbreviation(instant, tz_name)}"
    return f"{clock}, {local.day} {local:%b}" if with_day else clock


def local_moment(instant: datetime, tz_name: str) -> str:
    """'Thursday 6 October 2022, 23:59 WIB' for the instant in that zone."""
    return f"{local_date(instant, tz_name)}, {local_clock(instant, tz_name)}"


def local_date(instant: datetime, tz_name: str) -> str:
    """'Thursday 6 October 2022' for the instant in that zone."""
    return long_date(to_local(instant, tz_name).date())


def long_date(day: date) -> str:
    """'Thursday 6 October 2022'."""
    return f"{day:%A} {day.day} {day:%B %Y}"


def date_span(first: date, last: date) -> str:
    """'6–7 October 2022', '30 September – 1 October 2022' or one day."""
    if first == last:
        return f"{first.day} {first:%B %Y}"
    if (first.year, first.month) == (last.year, last.month):
        return f"{first.day}–{last.day} {last:%B %Y}"
    if first.year == last.year:
        return f"{first.day} {first:%B} – {last.day} {last:%B %Y}"
    return f"{first.day} {first:%B %Y} – {last.day} {last:%B %Y}"


def register(app: Flask) -> None:
    """Install the filters."""
    app.add_template_filter(local_time)
    app.add_template_filter(local_time_range)
    app.add_template_filter(time_range_with_home)
    app.add_template_filter(local_date)
    app.add_template_filter(local_clock)
    app.add_template_filter(local_moment)
    app.add_template_filter(long_date)
    app.add_template_global(date_span)
    app.add_template_global(zone_abbreviation)
    app.add_template_global(zone_label)
