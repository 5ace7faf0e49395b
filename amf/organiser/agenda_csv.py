"""Agenda sessions to and from CSV: the columns, the export, and reading one row of a file."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, time

from amf.events.models import AgendaSession, Event, SessionKind, SessionStatus
from amf.organiser.agenda import SessionData, check_session, load_sessions
from amf.organiser.spreadsheet import csv_bytes
from amf.timezones import to_local

COLUMNS = ("title", "day", "start", "end", "room", "track", "speakers", "description")
# Written by the export after the columns above; a file may leave any of them out.
OPTIONAL_COLUMNS = ("kind", "status", "signups", "capacity", "id")
REQUIRED_COLUMNS = ("title", "day", "start", "end")
NEW_SESSION_KIND = SessionKind.PANEL
_CLOCK = re.compile(r"(\d{1,2}):(\d\d)(?::(\d\d))?")
_YES, _NO = ("yes", "y", "true", "1"), ("no", "n", "false", "0")


def export_agenda(event: Event) -> bytes:
    """The agenda as CSV, in the columns the import reads; importing it back changes nothing."""
    rows = []
    for s in load_sessions(event):
        start = to_local(s.starts_at, event.timezone)
        end = to_local(s.ends_at, event.timezone)
        rows.append(
            [
                s.title,
                start.date().isoformat(),
                start.strftime("%H:%M"),
                end.strftime("%H:%M"),
                s.room.name if s.room else "",
                s.track.name if s.track else "",
                "; ".join(sp.name for sp in s.speakers),
                s.description,
                s.kind.value,
                s.status.value,
                "yes" if s.takes_signups else "no",
                "" if s.capacity is None else s.capacity,
                s.id,
            ]
        )
    return csv_bytes([*COLUMNS, *OPTIONAL_COLUMNS], rows)


def session_data(event: Event, session: AgendaSession) -> SessionData:
    """A stored session as the organiser describes it, to compare a row with."""
    start = to_local(session.starts_at, event.timezone)
    end = to_local(session.ends_at, event.timezone)
    return SessionData(
        title=session.title,
        day=start.date(),
        start=start.time(),
        end=end.time(),
        kind=session.kind,
        description=session.description,
        room_id=session.room_id,
        track_id=session.track_id,
        speaker_ids=sorted(s.id for s in session.speakers),
        takes_signups=session.takes_signups,
        capacity=session.capacity,
    )


@dataclass
class Lookups:
    """The event's rooms, tracks and speakers by name, and its sessions, read once per file."""

    rooms: dict[str, int]
    tracks: dict[str, int]
    speakers: dict[str, int]
    room_names: dict[int, str]
    track_names: dict[int, str]
    speaker_names: dict[int, str]

    @classmethod
    def of(cls, event: Event) -> Lookups:
        """Everything a row may name, case-insensitively."""
        tracks = {t.slug.casefold(): t.id for t in event.tracks}
        return cls(
            rooms={r.name.casefold(): r.id for r in event.rooms},
            tracks=tracks | {t.name.casefold(): t.id for t in event.tracks},
            speakers={s.name.casefold(): s.id for s in event.speakers},
            room_names={r.id: r.name for r in event.rooms},
            track_names={t.id: t.name for t in event.tracks},
            speaker_names={s.id: s.name for s in event.speakers},
        )


@dataclass
class ParsedRow:
    """What one line says, read as far as it can be, and what is wrong with it."""

    day: date | None = None
    start: time | None = None
    end: time | None = None
    session_id: int | None = None
    status: SessionStatus | None = None
    errors: list[str] = field(default_factory=list)


def parse_keys(values: dict[str, str]) -> ParsedRow:
    """The values that find the row's session: id, day, start (and end, status)."""
    parsed = ParsedRow()
    try:
        parsed.day = date.fromisoformat(values["day"])
    except ValueError:
        parsed.errors.append("day: use YYYY-MM-DD.")
    for name in ("start", "end"):
        setattr(parsed, name, _clock(values[name]))
        if getattr(parsed, name) is None:
            parsed.errors.append(f"{name}: use HH:MM.")
    if values.get("id"):
        if values["id"].isdigit() and len(values["id"]) < 10:
            parsed.session_id = int(values["id"])
        else:
            parsed.errors.append("id: a session number from the export, or empty for a new one.")
    if values.get("status"):
        try:
            parsed.status = SessionStatus(values["status"].casefold())
        except ValueError:
            parsed.errors.append("status: “scheduled” or “cancelled”.")
    return parsed


def _clock(value: str) -> time | None:
    """'09:00', or '9:00' and '09:00:00' as a spreadsheet may save it."""
    match = _CLOCK.fullmatch(value)
    if match is None:
        return None
    hour, minute, second = (int(part or 0) for part in match.groups())
    if hour > 23 or minute > 59 or second > 59:
        return None
    return time(hour, minute, second)


def build_data(
    event: Event,
    values: dict[str, str],
    parsed: ParsedRow,
    lookups: Lookups,
    current: SessionData | None,
) -> SessionData | None:
    """The row as a session; a column the file leaves out keeps the session's current value.

    Adds to ``parsed.errors`` and returns None when the row cannot be saved.
    """
    errors = parsed.errors
    kept = current or SessionData("", parsed.day, parsed.start, parsed.end, NEW_SESSION_KIND)
    room_id, track_id, speaker_ids = kept.room_id, kept.track_id, kept.speaker_ids
    if "room" in values:
        room_id = _named(values["room"], lookups.rooms, "room", errors)
    if "track" in values:
        track_id = _named(values["track"], lookups.tracks, "track", errors)
    if "speakers" in values:
        names = filter(None, (n.strip() for n in values["speakers"].split(";")))
        speaker_ids = [_named(name, lookups.speakers, "speakers", errors) for name in names]
    kind = _kind(values.get("kind"), errors) or kept.kind
    takes_signups = _yes_no(values.get("signups"), errors)
    if takes_signups is None:
        takes_signups = kept.takes_signups
    capacity = _capacity(values["capacity"], errors) if "capacity" in values else kept.capacity
    if errors:
        return None
    data = SessionData(
        title=values["title"],
        day=parsed.day,
        start=parsed.start,
        end=parsed.end,
        kind=kind,
        description=values.get("description", kept.description),
        room_id=room_id,
        track_id=track_id,
        speaker_ids=sorted(set(speaker_ids)),
        takes_signups=takes_signups,
        capacity=capacity,
    )
    problems = check_session(event, data)
    errors.extend(f"{k.removesuffix('_id')}: {v}" for k, v in problems.items())
    return None if errors else data


def _named(name: str, known: dict[str, int], column: str, errors: list[str]) -> int | None:
    if not name:
        return None
    found = known.get(name.casefold())
    if found is None:
        errors.append(f"{column}: no {column.removesuffix('s')} named “{name}”.")
    return found


def _kind(value: str | None, errors: list[str]) -> SessionKind | None:
    if not value:
        return None
    code = value.strip().casefold().replace(" ", "_").replace("-", "_")
    try:
        return SessionKind(code)
    except ValueError:
        names = ", ".join(k.label.lower() for k in SessionKind)
        errors.append(f"kind: no kind “{value}”; use one of {names}.")
        return None


def _yes_no(value: str | None, errors: list[str]) -> bool | None:
    if not value:
        return None
    if value.casefold() in _YES:
        return True
    if value.casefold() in _NO:
        return False
    errors.append("signups: “yes” or “no”.")
    return None


def _capacity(value: str, errors: list[str]) -> int | None:
    if not value:
        return None
    if value.isdigit() and len(value) < 7:
        return int(value)
    errors.append("capacity: a number of seats, or empty for no limit.")
    return None


def describe_changes(current: SessionData, data: SessionData, lookups: Lookups) -> list[str]:
    """What importing the row changes, field by field, in the organiser's words."""

    def clock(value: time) -> str:
        return value.strftime("%H:%M")

    def names(ids, table) -> str:
        return "; ".join(sorted(table.get(i, "?") for i in ids)) or "none"

    shown = {
        "title": lambda d: d.title,
        "day": lambda d: d.day.isoformat(),
        "time": lambda d: f"{clock(d.start)}–{clock(d.end)}",
        "room": lambda d: lookups.room_names.get(d.room_id, "none"),
        "track": lambda d: lookups.track_names.get(d.track_id, "none"),
        "speakers": lambda d: names(d.speaker_ids, lookups.speaker_names),
        "kind": lambda d: d.kind.label.lower(),
        "signups": lambda d: "yes" if d.takes_signups else "no",
        "capacity": lambda d: "no limit" if d.capacity is None else str(d.capacity),
    }
    changes = [
        f"{name}: {show(current)} → {show(data)}"
        for name, show in shown.items()
        if show(current) != show(data)
    ]
    if current.description.strip() != data.description.strip():
        changes.append("description changed")
    return changes
