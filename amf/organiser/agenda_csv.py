"""Agenda sessions to and from CSV: a checked preview first, then one import transaction."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import date, time

from amf.audit.services import record
from amf.events.agenda import SessionData, apply_session_data, check_session, load_sessions
from amf.events.models import AgendaSession, Event, SessionKind, SessionStatus
from amf.extensions import db
from amf.organiser.spreadsheet import csv_bytes
from amf.timezones import to_local

COLUMNS = ("title", "day", "start", "end", "room", "track", "speakers", "description")
MAX_ROWS = 2000


@dataclass
class ImportRow:
    """One line of the file: what it says and what is wrong with it."""

    line: int
    values: dict[str, str]
    data: SessionData | None = None
    errors: list[str] = field(default_factory=list)


@dataclass
class ImportPreview:
    """The whole file checked; nothing is written until every row is valid."""

    rows: list[ImportRow]
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """Whether the file can be imported as it is."""
        return not self.problems and bool(self.rows) and all(not r.errors for r in self.rows)


def decode_upload(raw: bytes) -> str:
    """The file's text: UTF-8 (with or without BOM)."""
    return raw.decode("utf-8-sig")


def preview_import(event: Event, text: str) -> ImportPreview:
    """Parse and check every row against the event's days, rooms, tracks and speakers."""
    reader = csv.DictReader(io.StringIO(text))
    header = [h.strip().lower() for h in (reader.fieldnames or [])]
    missing = [c for c in ("title", "day", "start", "end") if c not in header]
    if missing:
        return ImportPreview(
            [], [f"The first line must name the columns; missing: {', '.join(missing)}."]
        )
    reader.fieldnames = header
    rooms = {r.name.casefold(): r.id for r in event.rooms}
    tracks = {t.name.casefold(): t.id for t in event.tracks} | {
        t.slug.casefold(): t.id for t in event.tracks
    }
    speakers = {s.name.casefold(): s.id for s in event.speakers}
    rows: list[ImportRow] = []
    for number, raw in enumerate(reader, start=2):
        if len(rows) >= MAX_ROWS:
            return ImportPreview(rows, [f"Import at most {MAX_ROWS} sessions at a time."])
        values = {c: (raw.get(c) or "").strip() for c in COLUMNS}
        rows.append(_check_row(event, number, values, rooms, tracks, speakers))
    if not rows:
        return ImportPreview([], ["The file has no sessions."])
    return ImportPreview(rows)


def _check_row(event, number, values, rooms, tracks, speakers) -> ImportRow:
    row = ImportRow(number, values)
    try:
        day = date.fromisoformat(values["day"])
    except ValueError:
        row.errors.append("day: use YYYY-MM-DD.")
        day = None
    times = {}
    for name in ("start", "end"):
        try:
            times[name] = time.fromisoformat(values[name])
        except ValueError:
            row.errors.append(f"{name}: use HH:MM.")
    room_id = track_id = None
    if values["room"]:
        room_id = rooms.get(values["room"].casefold())
        if room_id is None:
            row.errors.append(f"room: no room named “{values['room']}”.")
    if values["track"]:
        track_id = tracks.get(values["track"].casefold())
        if track_id is None:
            row.errors.append(f"track: no track named “{values['track']}”.")
    speaker_ids = []
    for name in filter(None, (n.strip() for n in values["speakers"].split(";"))):
        speaker_id = speakers.get(name.casefold())
        if speaker_id is None:
            row.errors.append(f"speakers: no speaker named “{name}”.")
        else:
            speaker_ids.append(speaker_id)
    if row.errors or day is None:
        return row
    data = SessionData(
        title=values["title"],
        day=day,
        start=times["start"],
        end=times["end"],
        kind=SessionKind.PANEL,
        description=values["description"],
        room_id=room_id,
        track_id=track_id,
        speaker_ids=speaker_ids,
    )
    problems = check_session(event, data)
    row.errors.extend(f"{k.removesuffix('_id')}: {v}" for k, v in problems.items())
    row.data = None if row.errors else data
    return row


def import_sessions(event: Event, text: str, actor) -> int:
    """Create every session of a file that checks out; raises ValueError otherwise."""

    preview = preview_import(event, text)
    if not preview.ok:
        raise ValueError("The file has errors; nothing was imported.")
    with db.session.no_autoflush:
        for row in preview.rows:
            session = AgendaSession(status=SessionStatus.SCHEDULED)
            apply_session_data(session, event, row.data)
            session.event = event
            db.session.add(session)
    db.session.flush()
    record(actor, "sessions imported", "event", event.id, f"{len(preview.rows)} sessions from CSV")
    db.session.commit()
    return len(preview.rows)


def export_agenda(event: Event) -> bytes:
    """The agenda as CSV, in the columns the import reads (plus kind and status)."""
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
            ]
        )
    return csv_bytes([*COLUMNS, "kind", "status"], rows)
