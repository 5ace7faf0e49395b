"""Organisers' event operations: create, edit, publish, cancel; rooms, tracks, speakers."""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import date, datetime

import sqlalchemy as sa

from amf.audit.services import diff, record
from amf.db import utcnow
from amf.events.models import AgendaSession, Event, EventStatus, Room, Speaker, Track
from amf.extensions import db
from amf.notices.models import NoticeKind
from amf.notices.services import start_run
from amf.organiser.text import slugify
from amf.registration import seats


class EventError(Exception):
    """An event change that cannot be made, with a message for the organiser."""


@dataclass
class EventData:
    """The fields of an event an organiser edits."""

    slug: str
    title: str
    first_day: date
    last_day: date
    timezone: str
    venue_name: str
    organiser: str
    short_title: str = ""
    theme: str = ""
    description: str = ""
    venue_address: str = ""
    host_city_name: str = ""
    host_country: str = ""
    contact_email: str = ""
    registration_opens_at: datetime | None = None
    registration_closes_at: datetime | None = None
    capacity: int | None = None
    requires_approval: bool = False


def list_events() -> list[Event]:
    """Every event, newest first."""
    return list(db.session.scalars(sa.select(Event).order_by(Event.first_day.desc())))


def _check(data: EventData, event: Event | None = None) -> None:
    if data.last_day < data.first_day:
        raise EventError("The last day cannot be before the first.")
    if (
        data.registration_opens_at
        and data.registration_closes_at
        and data.registration_closes_at <= data.registration_opens_at
    ):
        raise EventError("Registration must close after it opens.")
    taken = db.session.scalar(
        sa.select(Event.id).where(Event.slug == data.slug, Event.id != (event.id if event else 0))
    )
    if taken:
        raise EventError("Another event already uses that web address.")


def _values(data: EventData) -> dict:
    values = {f.name: getattr(data, f.name) for f in fields(data)}
    for name in ("short_title", "contact_email"):
        values[name] = values[name] or None
    return values


def create_event(data: EventData, actor) -> Event:
    """A new draft event."""
    _check(data)
    event = Event(status=EventStatus.DRAFT, **_values(data))
    db.session.add(event)
    db.session.flush()
    record(actor, "event created", "event", event.id, event.title)
    db.session.commit()
    return event


def update_event(event: Event, data: EventData, actor) -> Event:
    """Change an event's details; moving its days must keep every session inside them."""
    _check(data, event)
    changes = diff(event, _values(data))
    for name, (_, new) in changes.items():
        setattr(event, name, new)
    try:
        db.session.flush()
    except sa.exc.IntegrityError as exc:
        db.session.rollback()
        raise EventError("Some sessions would fall outside the new days: move them first.") from exc
    if changes:
        record(actor, "event changed", "event", event.id, event.title, changes)
    if "capacity" in changes:  # more seats: whoever waits takes them now, in order
        seats.refill_event(event, utcnow())
    db.session.commit()
    return event


def set_status(event: Event, status: EventStatus, actor) -> int:
    """Publish, unpublish (back to draft) or cancel; cancelling tells registered delegates.

    Returns how many delegates are being notified.
    """
    if event.status == status:
        return 0
    if event.status == EventStatus.CANCELLED:
        raise EventError("A cancelled event stays cancelled.")
    old = event.status
    event.status = status
    notified = 0
    if status == EventStatus.CANCELLED:
        notified = start_run(NoticeKind.EVENT_CANCELLED, event)
    verb = {"published": "published", "draft": "unpublished", "cancelled": "cancelled"}[status]
    record(actor, f"event {verb}", "event", event.id, event.title, {"status": [old, status]})
    db.session.commit()
    return notified


# ---------------------------------------------------------------- rooms, tracks, speakers


def add_room(event: Event, name: str, capacity: int | None, actor) -> Room:
    """A new room at the venue."""
    name = name.strip()
    if any(r.name == name for r in event.rooms):
        raise EventError("There is already a room with that name.")
    room = Room(event=event, name=name, capacity=capacity, position=len(event.rooms))
    db.session.add(room)
    db.session.flush()
    record(actor, "room added", "room", room.id, f"{event.slug}: {name}")
    db.session.commit()
    return room


def update_room(room: Room, name: str, capacity: int | None, actor) -> Room:
    """Rename a room or change its capacity (not below a session's capacity in it)."""
    if capacity is not None:
        larger = db.session.scalar(
            sa.select(sa.func.max(AgendaSession.capacity)).where(AgendaSession.room_id == room.id)
        )
        if larger is not None and larger > capacity:
            raise EventError(f"A session in this room takes {larger}; the room must hold as many.")
    changes = diff(room, {"name": name.strip(), "capacity": capacity})
    for field, (_, new) in changes.items():
        setattr(room, field, new)
    if changes:
        record(actor, "room changed", "room", room.id, room.name, changes)
    db.session.commit()
    return room


def add_track(event: Event, name: str, actor) -> Track:
    """A new track."""
    slug = slugify(name)
    if any(t.slug == slug for t in event.tracks):
        raise EventError("There is already a track with that name.")
    track = Track(event=event, name=name.strip(), slug=slug)
    db.session.add(track)
    db.session.flush()
    record(actor, "track added", "track", track.id, f"{event.slug}: {track.name}")
    db.session.commit()
    return track


@dataclass
class SpeakerData:
    """A speaker's public details, optionally linked to an officer."""

    name: str
    honorific: str = ""
    position: str = ""
    organisation: str = ""
    bio: str = ""
    officer_id: int | None = None


def save_speaker(event: Event, data: SpeakerData, actor, speaker: Speaker | None = None) -> Speaker:
    """Add a speaker, or change one."""
    values = {f.name: getattr(data, f.name) for f in fields(data)}
    if speaker is None:
        speaker = Speaker(event=event, **values)
        db.session.add(speaker)
        db.session.flush()
        record(actor, "speaker added", "speaker", speaker.id, f"{event.slug}: {speaker.name}")
    else:
        changes = diff(speaker, values)
        for field, (_, new) in changes.items():
            setattr(speaker, field, new)
        if changes:
            record(actor, "speaker changed", "speaker", speaker.id, speaker.name, changes)
    db.session.commit()
    return speaker
