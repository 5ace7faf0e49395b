"""Reading events and agendas for the public pages, in a fixed number of queries."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import joinedload, selectinload, subqueryload

from amf.cities.models import Officer, PilotCity
from amf.db import utcnow
from amf.events.models import AgendaSession, Event, EventStatus, Room, Speaker
from amf.extensions import db
from amf.timezones import to_local

PUBLIC_STATUSES = (EventStatus.PUBLISHED, EventStatus.CANCELLED)

_SPEAKER_DETAILS = (
    selectinload(Speaker.officer).selectinload(Officer.city).selectinload(PilotCity.member_state)
)
# For whole agendas: selectinload fetches 500 parents per query, so past 500 sessions it
# would add queries. Rooms and tracks join into the main query; speakers (with their
# officer, city and state, each one row) come in one subquery whatever the agenda's size.
_AGENDA_OPTIONS = (
    joinedload(AgendaSession.room),
    joinedload(AgendaSession.track),
    subqueryload(AgendaSession.speakers)
    .joinedload(Speaker.officer)
    .joinedload(Officer.city)
    .joinedload(PilotCity.member_state),
)


@dataclass
class EventListing:
    """Public events split around today."""

    upcoming: list[Event] = field(default_factory=list)
    past: list[Event] = field(default_factory=list)


@dataclass
class AgendaDay:
    """One day of an agenda, its sessions in order."""

    day: date
    sessions: list[AgendaSession]


def list_public_events(today: date | None = None) -> EventListing:
    """Published and cancelled events: upcoming soonest first, past most recent first."""
    today = today or utcnow().date()
    events = db.session.scalars(
        sa.select(Event).where(Event.status.in_(PUBLIC_STATUSES)).order_by(Event.first_day)
    ).all()
    listing = EventListing()
    for event in events:
        (listing.upcoming if event.last_day >= today else listing.past).append(event)
    listing.past.reverse()
    return listing


def get_public_event(slug: str) -> Event | None:
    """A published or cancelled event by slug; drafts stay hidden.

    Rooms and tracks load when a page asks for them: most pages (registration, check-in,
    a cached agenda) never do.
    """
    return db.session.scalars(
        sa.select(Event).where(Event.slug == slug, Event.status.in_(PUBLIC_STATUSES))
    ).one_or_none()


def load_agenda(event: Event) -> list[AgendaDay]:
    """The event's sessions grouped by local day, with rooms, tracks and speakers loaded."""
    sessions = db.session.scalars(
        sa.select(AgendaSession)
        .where(AgendaSession.event_id == event.id)
        .outerjoin(AgendaSession.room)
        .order_by(AgendaSession.starts_at, Room.position, AgendaSession.id)
        .options(*_AGENDA_OPTIONS)
    ).all()
    by_day: dict[date, list[AgendaSession]] = {day: [] for day in event.days}
    for session in sessions:
        by_day.setdefault(to_local(session.starts_at, event.timezone).date(), []).append(session)
    return [AgendaDay(day, items) for day, items in sorted(by_day.items())]


def get_session(event: Event, session_id: int) -> AgendaSession | None:
    """One session of this event, with its room, track and speakers' cities."""
    return db.session.scalars(
        sa.select(AgendaSession)
        .where(AgendaSession.id == session_id, AgendaSession.event_id == event.id)
        .options(
            selectinload(AgendaSession.room),
            selectinload(AgendaSession.track),
            selectinload(AgendaSession.speakers).options(_SPEAKER_DETAILS),
        )
    ).one_or_none()


def list_speakers(event: Event) -> list[Speaker]:
    """The event's speakers by name, with their officer records and sessions."""
    return list(
        db.session.scalars(
            sa.select(Speaker)
            .where(Speaker.event_id == event.id)
            .order_by(Speaker.name)
            .options(_SPEAKER_DETAILS, selectinload(Speaker.sessions))
        )
    )


def get_speaker(event: Event, speaker_id: int) -> Speaker | None:
    """One speaker of this event, with their sessions and officer record."""
    return db.session.scalars(
        sa.select(Speaker)
        .where(Speaker.id == speaker_id, Speaker.event_id == event.id)
        .options(
            _SPEAKER_DETAILS,
            selectinload(Speaker.sessions).selectinload(AgendaSession.room),
        )
    ).one_or_none()


def registration_state(event: Event, now: datetime | None = None) -> str:
    """'open', 'not_yet_open', 'closed' or 'unavailable' for the event's registration window."""
    now = now or utcnow()
    if event.status != EventStatus.PUBLISHED:
        return "unavailable"
    if event.registration_opens_at and now < event.registration_opens_at:
        return "not_yet_open"
    if event.registration_closes_at and now >= event.registration_closes_at:
        return "closed"
    if event.registration_opens_at is None and event.registration_closes_at is None:
        return "unavailable"
    return "open"
