"""Checks every iCalendar body we serve must pass: the bytes, then four independent parsers."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

import icalendar
import pytest
import vobject
from ical.calendar_stream import IcsCalendarStream

from amf.mail.invitations import PRODID

CALCURSE = shutil.which("calcurse")


def check_bytes(body: bytes) -> list[bytes]:
    """CRLF only, 75-octet lines folded between characters, one VERSION, our PRODID."""
    assert not body.startswith(b"\xef\xbb\xbf"), "no BOM"
    assert body.endswith(b"\r\n")
    lines = body[:-2].split(b"\r\n")
    for line in lines:
        assert b"\r" not in line and b"\n" not in line, f"bare CR or LF in {line!r}"
        assert len(line) <= 75, f"{len(line)} octets: {line!r}"
        line.decode("utf-8")  # each physical line is whole UTF-8: no character split
    unfolded = unfold(body)
    assert (
        unfolded.count("VERSION:2.0") == 1
        and sum(1 for line in unfolded if line.startswith("VERSION")) == 1
    )
    assert [line for line in unfolded if line.startswith("PRODID")] == [f"PRODID:{PRODID}"]
    return lines


def unfold(body: bytes) -> list[str]:
    """The logical content lines."""
    return body.decode("utf-8").replace("\r\n ", "").split("\r\n")[:-1]


def check_events(body: bytes) -> list[dict[str, str]]:
    """Each VEVENT's required properties, UTC DTSTAMP, unique UIDs, no floating times."""
    events, current = [], None
    for line in unfold(body):
        if line == "BEGIN:VEVENT":
            current = {}
        elif line == "END:VEVENT":
            events.append(current)
            current = None
        elif current is not None:
            name, _, value = line.partition(":")
            current[name] = value
    for event in events:
        names = {key.split(";")[0] for key in event}
        assert {"UID", "SUMMARY", "DTSTART", "DTEND", "DTSTAMP", "SEQUENCE"} <= names
        assert "DURATION" not in names
        assert re.fullmatch(r"\d{8}T\d{6}Z", event["DTSTAMP"])
        for key, value in event.items():
            if key.split(";")[0] in {"DTSTART", "DTEND"}:
                all_day = key.endswith(";VALUE=DATE") and re.fullmatch(r"\d{8}", value)
                assert all_day or ";TZID=" in key or value.endswith("Z"), f"floating {key}:{value}"
                assert "TZID=UTC" not in key
    uids = [event["UID"] for event in events]
    assert len(uids) == len(set(uids))
    return events


def check_parsers(body: bytes, tmp_dir: Path | None = None) -> icalendar.Calendar:
    """ical, vobject (validate=True), icalendar (no errors, no missing TZID) and calcurse."""
    text = body.decode("utf-8")
    IcsCalendarStream.calendar_from_ics(text)
    vobject.readOne(text, validate=True)
    calendar = icalendar.Calendar.from_ical(body)
    for component in calendar.walk():
        assert not component.errors, (component.name, component.errors)
    assert not calendar.get_missing_tzids()
    calcurse_import(body, tmp_dir)
    return calendar


def calcurse_import(body: bytes, tmp_dir: Path | None = None) -> None:
    """Import into a throw-away calcurse: nothing may be skipped."""
    if CALCURSE is None:
        if os.environ.get("CI"):
            pytest.fail("CI must have calcurse (Debian package calcurse)")
        pytest.skip("calcurse is not installed (apt-get install calcurse)")
    with tempfile.TemporaryDirectory(dir=tmp_dir) as data_dir:
        path = Path(data_dir) / "feed.ics"
        path.write_bytes(body)
        result = subprocess.run(  # noqa: S603 - our own temporary file
            [CALCURSE, "-D", data_dir, "-i", str(path)],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
    report = result.stdout + result.stderr
    assert "0 skipped" in report, report
    assert result.returncode == 0, report


def check_calendar(body: bytes, tmp_dir: Path | None = None) -> list[dict[str, str]]:
    """Every check at once; returns the VEVENTs' unfolded properties."""
    check_bytes(body)
    events = check_events(body)
    check_parsers(body, tmp_dir)
    return events


def calendar_property(body: bytes, name: str) -> list[str]:
    """The values of a property anywhere in the calendar (unfolded, still escaped)."""
    return [
        line.partition(":")[2]
        for line in unfold(body)
        if line.split(":", 1)[0].split(";")[0] == name
    ]
