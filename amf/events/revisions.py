"""Revision tracking for calendars: every agenda change is counted where it happens.

Calendar clients only take an update when a session's SEQUENCE rises, and feed caches are
keyed by the event's agenda revision. Doing both in a flush hook means no service, import or
command that changes sessions can forget to.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Session

from amf.db import before_flush, utcnow
from amf.events.models import AgendaSession, Event, Room, Speaker, Track

# A change to any of these is one a calendar shows (SUMMARY, DESCRIPTION with the speakers,
# DTSTART, DTEND, STATUS, LOCATION with the room), so it raises SEQUENCE by one; the kind and
# the track are not in a calendar entry, so changing them does not. Foreign keys and their
# relationships both count: a relationship fills its key only during the flush.
CALENDAR_FIELDS = (
    "title",
    "description",
    "starts_at",
    "ends_at",
    "status",
    "room_id",
    "room",
    "speakers",
)


def _session_changed(session: AgendaSession) -> bool:
    state = sa.inspect(session)
    return any(state.attrs[name].history.has_changes() for name in CALENDAR_FIELDS)


# Changes elsewhere that alter what a session's calendar entry shows (its LOCATION names the
# room and the venue; its DESCRIPTION names the speakers): they raise those sessions' SEQUENCE.
INDIRECT_FIELDS = {
    Room: ("name",),
    Speaker: ("name", "honorific"),
    Event: ("venue_name",),
}


def _indirectly_changed_sessions(session: Session, obj) -> list[AgendaSession]:
    """The sessions whose calendar entry changes with this room, speaker or event."""
    fields = INDIRECT_FIELDS.get(type(obj), ())
    state = sa.inspect(obj)
    if not fields or state.key is None:
        return []
    if not any(state.attrs[name].history.has_changes() for name in fields):
        return []
    with session.no_autoflush:
        if isinstance(obj, Speaker):
            return list(obj.sessions)
        column = AgendaSession.room_id if isinstance(obj, Room) else AgendaSession.event_id
        return list(session.scalars(sa.select(AgendaSession).where(column == obj.id)))


def _event_of(obj) -> Event | None:
    if isinstance(obj, AgendaSession | Room | Track | Speaker):
        return obj.event
    return None


def bump_revisions(session: Session) -> None:
    """Raise the SEQUENCE of changed sessions and the agenda revision of their events."""
    now = utcnow()
    touched: set[int] = set()
    events: list[Event] = []
    bumped: set[int] = set()
    for obj in list(session.dirty):
        if isinstance(obj, AgendaSession) and session.is_modified(obj) and _session_changed(obj):
            obj.revision = (obj.revision or 0) + 1
            obj.modified_at = now
            bumped.add(id(obj))
    for obj in list(session.dirty):
        if not session.is_modified(obj):
            continue
        for affected in _indirectly_changed_sessions(session, obj):
            if id(affected) not in bumped and affected not in session.deleted:
                affected.revision = (affected.revision or 0) + 1
                affected.modified_at = now
                bumped.add(id(affected))
    for obj in list(session.new) + list(session.dirty) + list(session.deleted):
        if obj in session.dirty and not session.is_modified(obj):
            continue
        event = _event_of(obj)
        if event is not None and id(event) not in touched:
            touched.add(id(event))
            events.append(event)
    for event in events:
        if sa.inspect(event).deleted or event in session.deleted:
            continue
        event.agenda_revision = (event.agenda_revision or 0) + 1
        event.agenda_modified_at = now


def install_revision_tracking() -> None:
    """Count revisions in every flush (through amf.db's one set of session hooks)."""
    before_flush("events.revisions", bump_revisions)
