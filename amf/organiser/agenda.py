"""Organisers' agenda operations: sessions created, changed, cancelled, deleted; conflicts.

Each operation is one transaction that also records the audit entry and, for a published
session delegates signed up for, starts the fan-out of their update or cancellation emails.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from amf.audit.services import record
from amf.db import utcnow
from amf.events.models import (
    AgendaSession,
    Event,
    EventStatus,
    Room,
    SessionKind,
    SessionStatus,
    Speaker,
    Track,
)
from amf.extensions import db
from amf.notices.models import NoticeKind
from amf.notices.services import start_run
from amf.registration import seats
from amf.registration.models import SessionSignup


class AgendaError(Exception):
    """A session that cannot be saved; ``errors`` says why, field by field."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(errors.values()))
        self.errors = errors


@dataclass
class SessionData:
    """A session as an organiser describes it: local day and wall-clock times."""

    title: str
    day: date
    start: time
    end: time
    kind: SessionKind = SessionKind.PLENARY
    description: str = ""
    room_id: int | None = None
    track_id: int | None = None
    speaker_ids: list[int] = field(default_factory=list)
    takes_signups: bool = False
    capacity: int | None = None


@dataclass(frozen=True)
class Conflict:
    """Two sessions that cannot both happen: same room, or same speaker, at once."""

    kind: str  # "room" or "speaker"
    what: str  # the room's or speaker's name
    first: AgendaSession
    second: AgendaSession

    def involves(self, session_id: int) -> bool:
        """Whether one of the two sessions is this one."""
        return session_id in (self.first.id, self.second.id)

    @property
    def message(self) -> str:
        """A sentence for the organiser."""
        verb = "are both in" if self.kind == "room" else "both have speaker"
        return f"“{self.first.title}” and “{self.second.title}” overlap and {verb} {self.what}."


@dataclass
class SaveResult:
    """A saved session, the conflicts it is in, and how many delegates will be told."""

    session: AgendaSession
    conflicts: list[Conflict]
    notified: int = 0


# ---------------------------------------------------------------- validation


def session_instants(event: Event, data: SessionData) -> tuple[datetime, datetime]:
    """The UTC start and end of a session given as local day and times."""
    zone = event.zone
    return (
        datetime.combine(data.day, data.start, zone),
        datetime.combine(data.day, data.end, zone),
    )


def check_session(event: Event, data: SessionData) -> dict[str, str]:
    """Everything wrong with the session, by field (empty when it can be saved)."""
    errors: dict[str, str] = {}
    if not data.title.strip():
        errors["title"] = "Give the session a title."
    if data.day < event.first_day or data.day > event.last_day:
        errors["day"] = "The day must be one of the event's days."
    if data.end <= data.start:
        errors["end"] = "The session must end after it starts."
    room = db.session.get(Room, data.room_id) if data.room_id else None
    if data.room_id and (room is None or room.event_id != event.id):
        errors["room_id"] = "Choose one of this event's rooms."
    if data.track_id:
        track = db.session.get(Track, data.track_id)
        if track is None or track.event_id != event.id:
            errors["track_id"] = "Choose one of this event's tracks."
    if data.speaker_ids:
        found = db.session.scalar(
            sa.select(sa.func.count()).where(
                Speaker.id.in_(data.speaker_ids), Speaker.event_id == event.id
            )
        )
        if found != len(set(data.speaker_ids)):
            errors["speaker_ids"] = "Choose speakers of this event."
    if data.capacity is not None:
        if data.capacity <= 0:
            errors["capacity"] = "The capacity must be at least 1, or empty for no limit."
        elif room is not None and room.capacity is not None and data.capacity > room.capacity:
            errors["capacity"] = f"{room.name} holds {room.capacity}; the capacity cannot be more."
    return errors


def apply_session_data(session: AgendaSession, event: Event, data: SessionData) -> None:
    """Copy the organiser's values onto the session (already checked)."""
    starts_at, ends_at = session_instants(event, data)
    session.title = data.title.strip()
    session.description = data.description.strip()
    session.kind = SessionKind(data.kind)
    session.starts_at, session.ends_at = starts_at, ends_at
    session.room = db.session.get(Room, data.room_id) if data.room_id else None
    session.track = db.session.get(Track, data.track_id) if data.track_id else None
    speakers = (
        db.session.scalars(sa.select(Speaker).where(Speaker.id.in_(data.speaker_ids))).all()
        if data.speaker_ids
        else []
    )
    if {s.id for s in session.speakers} != {s.id for s in speakers}:
        session.speakers = list(speakers)
    session.takes_signups = data.takes_signups
    session.capacity = data.capacity


def _snapshot(session: AgendaSession) -> dict:
    return {
        "title": session.title,
        "starts_at": session.starts_at,
        "ends_at": session.ends_at,
        "room": session.room.name if session.room else None,
        "track": session.track.name if session.track else None,
        "speakers": sorted(s.name for s in session.speakers),
        "kind": session.kind,
        "capacity": session.capacity,
        "takes_signups": session.takes_signups,
        "description": session.description,
    }


# ---------------------------------------------------------------- operations


def create_session(event: Event, data: SessionData, actor) -> SaveResult:
    """Add a session to the agenda; raises AgendaError if it is not valid."""
    errors = check_session(event, data)
    if errors:
        raise AgendaError(errors)
    session = AgendaSession(status=SessionStatus.SCHEDULED)
    with db.session.no_autoflush:
        apply_session_data(session, event, data)
        session.event = event
    db.session.add(session)
    db.session.flush()
    record(actor, "session created", "session", session.id, f"{event.slug}: {session.title}")
    conflicts = conflicts_for(event, session.id)
    db.session.commit()
    return SaveResult(session, conflicts)


def update_session(session: AgendaSession, data: SessionData, actor) -> SaveResult:
    """Change a session; delegates signed up for a published one get the updated invitation."""
    event = session.event
    errors = check_session(event, data)
    if errors:
        raise AgendaError(errors)
    before = _snapshot(session)
    revision = session.revision
    with db.session.no_autoflush:
        apply_session_data(session, event, data)
    after = _snapshot(session)
    changes = {k: [before[k], after[k]] for k in before if before[k] != after[k]}
    if not changes:
        db.session.rollback()
        return SaveResult(session, conflicts_for(event, session.id))
    db.session.flush()  # raises the revision if the calendar must show the change
    record(actor, "session changed", "session", session.id, session.title, changes)
    if {"capacity", "takes_signups"} & changes.keys():  # more seats go to those waiting
        seats.refill_session(session, utcnow())
    notified = 0
    if session.revision > revision and _tells_delegates(session):
        notified = start_run(NoticeKind.SESSION_CHANGED, event, session, _notice_changes(changes))
    conflicts = conflicts_for(event, session.id)
    db.session.commit()
    return SaveResult(session, conflicts, notified)


def cancel_session(session: AgendaSession, actor) -> int:
    """Call a session off; its delegates get a calendar CANCEL. Returns how many."""
    if session.is_cancelled:
        raise AgendaError({"status": "The session is already cancelled."})
    session.status = SessionStatus.CANCELLED
    db.session.flush()
    record(actor, "session cancelled", "session", session.id, session.title)
    notified = 0
    if _tells_delegates(session):
        notified = start_run(NoticeKind.SESSION_CANCELLED, session.event, session)
    db.session.commit()
    return notified


def delete_session(session: AgendaSession, actor) -> None:
    """Remove a session nobody has signed up for (published ones with delegates are cancelled)."""
    has_signups = db.session.scalar(
        sa.select(sa.func.count()).where(SessionSignup.session_id == session.id)
    )
    if has_signups:
        raise AgendaError(
            {"status": "Delegates have signed up for this session: cancel it instead."}
        )
    record(actor, "session deleted", "session", session.id, session.title, _snapshot(session))
    db.session.delete(session)
    db.session.commit()


def _notice_changes(changes: dict) -> dict:
    """The changes a delegate's email shows, as JSON values (instants in ISO form)."""

    def plain(value):
        return value.isoformat() if isinstance(value, datetime) else value

    shown = ("title", "starts_at", "ends_at", "room")
    return {name: [plain(v) for v in changes[name]] for name in shown if name in changes}


def _tells_delegates(session: AgendaSession) -> bool:
    return session.event.status == EventStatus.PUBLISHED


# ---------------------------------------------------------------- reading and conflicts


def load_sessions(event: Event) -> list[AgendaSession]:
    """Every session of the event with room, track and speakers, by start and room."""
    return list(
        db.session.scalars(
            sa.select(AgendaSession)
            .where(AgendaSession.event_id == event.id)
            .outerjoin(AgendaSession.room)
            .order_by(AgendaSession.starts_at, Room.position, AgendaSession.id)
            .options(
                selectinload(AgendaSession.room),
                selectinload(AgendaSession.track),
                selectinload(AgendaSession.speakers),
            )
        )
    )


def find_conflicts(sessions: list[AgendaSession]) -> list[Conflict]:
    """Scheduled sessions overlapping in one room, or sharing a speaker while overlapping."""
    by_room: dict[int, list[AgendaSession]] = defaultdict(list)
    by_speaker: dict[int, list[AgendaSession]] = defaultdict(list)
    names: dict[tuple[str, int], str] = {}
    for session in sessions:
        if session.is_cancelled:
            continue
        if session.room is not None:
            by_room[session.room.id].append(session)
            names[("room", session.room.id)] = session.room.name
        for speaker in session.speakers:
            by_speaker[speaker.id].append(session)
            names[("speaker", speaker.id)] = speaker.display_name
    conflicts: list[Conflict] = []
    for kind, groups in (("room", by_room), ("speaker", by_speaker)):
        for key, group in groups.items():
            conflicts.extend(_overlaps(kind, names[(kind, key)], group))
    return conflicts


def _overlaps(kind: str, what: str, sessions: list[AgendaSession]) -> list[Conflict]:
    """Overlapping pairs in one room's or speaker's sessions (sweep by start time)."""
    found = []
    ordered = sorted(sessions, key=lambda s: (s.starts_at, s.id))
    for i, first in enumerate(ordered):
        for second in ordered[i + 1 :]:
            if second.starts_at >= first.ends_at:
                break
            found.append(Conflict(kind, what, first, second))
    return found


def conflicts_for(event: Event, session_id: int) -> list[Conflict]:
    """The conflicts a session is part of."""
    return [c for c in find_conflicts(load_sessions(event)) if c.involves(session_id)]
