"""Agenda feeds and downloads: which sessions each one shows, built once per version."""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import joinedload, subqueryload

from amf.caching import BuiltDocument
from amf.calendar.cache import document_cache, event_feed_key, stamp_memo
from amf.db import utcnow
from amf.events.calendar_entries import session_entry, session_url_builder
from amf.events.models import AgendaSession, Event, Room, Track
from amf.events.services import PUBLIC_STATUSES
from amf.extensions import db
from amf.ics import CalendarHeader, ZoneWriter, render_calendar
from amf.mail.invitations import calendar_zone
from amf.registration.calendar_rule import held_sessions
from amf.registration.models import Registration, RegistrationStatus
from amf.urls import absolute_url

_SESSION_OPTIONS = (
    joinedload(AgendaSession.room),
    subqueryload(AgendaSession.speakers),
)


class FeedNotFound(LookupError):
    """The feed's track, room or session does not exist in this event."""


def public_event(slug: str) -> Event | None:
    """A published or cancelled event, in one query (drafts have no feeds)."""
    return db.session.scalars(
        sa.select(Event).where(Event.slug == slug, Event.status.in_(PUBLIC_STATUSES))
    ).one_or_none()


def _load_version(slug: str) -> tuple[Hashable, ...] | None:
    """The version of a public event's documents, in one narrow query; None if not public."""
    row = db.session.execute(
        sa.select(Event.id, Event.agenda_revision, Event.updated_at, Event.status).where(
            Event.slug == slug, Event.status.in_(PUBLIC_STATUSES)
        )
    ).one_or_none()
    return None if row is None else (row.id, row.agenda_revision, row.updated_at, row.status.value)


def memoized_event_version(slug: str) -> tuple[Hashable, ...] | None:
    """A public event's version (see event_version) from the memo; None if not public."""
    return stamp_memo().get_or_load(slug, lambda: _load_version(slug))


def cached_event_feed(
    slug: str, track_slug: str | None = None, room_id: int | None = None
) -> BuiltDocument | None:
    """The event's feed, answered from memory when unchanged; None if the event is not public.

    A poll of an unchanged feed finds its version in the memo and its bytes in the cache,
    so it touches neither the database nor the renderer.
    """
    version = memoized_event_version(slug)
    if version is None:
        return None
    document = document_cache().get(event_feed_key(version, track_slug, room_id))
    if document is not None:
        return document
    event = public_event(slug)
    if event is None:
        return None
    return event_feed(event, track_slug=track_slug, room_id=room_id)


def event_version(event: Event) -> tuple[Hashable, ...]:
    """What every document of the event depends on; any agenda or event change alters it."""
    return (event.id, event.agenda_revision, event.updated_at, event.status.value)


def event_last_modified(event: Event) -> datetime:
    """When the event or its agenda last changed."""
    return max(event.agenda_modified_at, event.updated_at)


def refresh_interval() -> timedelta:
    """How often subscribers should poll (REFRESH-INTERVAL and X-PUBLISHED-TTL)."""
    return timedelta(minutes=current_app.config["AMF_CALENDAR_REFRESH_MINUTES"])


def event_feed(event: Event, track_slug: str | None = None, room_id: int | None = None):
    """The event's agenda as a subscribable calendar, optionally one track's or one room's."""
    key = event_feed_key(event_version(event), track_slug, room_id)
    return document_cache().get_or_build(key, lambda: _build_event_feed(event, track_slug, room_id))


def _build_event_feed(event: Event, track_slug: str | None, room_id: int | None):
    query = sa.select(AgendaSession).where(AgendaSession.event_id == event.id)
    name, description = event.title, event.theme or ""
    if track_slug is not None:
        track = db.session.scalars(
            sa.select(Track).where(Track.event_id == event.id, Track.slug == track_slug)
        ).one_or_none()
        if track is None:
            raise FeedNotFound(track_slug)
        query = query.where(AgendaSession.track_id == track.id)
        name, description = f"{event.title} · {track.name}", f"The {track.name} track."
    if room_id is not None:
        room = db.session.scalars(
            sa.select(Room).where(Room.event_id == event.id, Room.id == room_id)
        ).one_or_none()
        if room is None:
            raise FeedNotFound(room_id)
        query = query.where(AgendaSession.room_id == room.id)
        name, description = f"{event.title} · {room.name}", f"Sessions in {room.name}."
    sessions = _load_sessions(query)
    header = CalendarHeader(
        name=name,
        description=description,
        refresh=refresh_interval(),
        url=absolute_url("events.agenda", slug=event.slug),
    )
    return BuiltDocument.of(_render(event, header, sessions), event_last_modified(event))


def session_download(event: Event, session_id: int) -> BuiltDocument:
    """One session as a one-time download (no refresh properties: it is not a subscription)."""
    key = ("session-download", *event_version(event), session_id)

    def build() -> BuiltDocument:
        sessions = _load_sessions(
            sa.select(AgendaSession).where(
                AgendaSession.event_id == event.id, AgendaSession.id == session_id
            )
        )
        if not sessions:
            raise FeedNotFound(session_id)
        header = CalendarHeader(name=f"{sessions[0].title} · {event.title}")
        return BuiltDocument.of(_render(event, header, sessions), sessions[0].modified_at)

    return document_cache().get_or_build(key, build)


def personal_feed(registration: Registration) -> BuiltDocument:
    """A delegate's own calendar, as amf.registration.calendar_rule says: the sessions
    everyone attends and their seats once they hold one, and all of it as CANCELLED once a
    registration that held a seat is cancelled. Its name stays the same in every state.
    """
    event = registration.event
    signups = tuple(
        sorted((s.session_id, s.status.value, s.sequence_offset) for s in registration.signups)
    )
    key = (
        "personal-feed",
        *event_version(event),
        registration.id,
        registration.calendar_token_hash,
        registration.status.value,
        registration.confirmed_at is not None,
        signups,
    )

    def build() -> BuiltDocument:
        own = [session_id for session_id, _, _ in signups]
        sessions = _load_sessions(
            sa.select(AgendaSession).where(
                AgendaSession.event_id == event.id,
                sa.or_(AgendaSession.takes_signups.is_(False), AgendaSession.id.in_(own)),
            )
        )
        held = held_sessions(registration, sessions)
        header = CalendarHeader(
            name=personal_feed_name(event),
            description=_personal_description(registration),
            refresh=refresh_interval(),
            url=absolute_url("events.event_page", slug=event.slug),
        )
        session_url = session_url_builder()
        entries = (
            session_entry(h.session, event, session_url, sequence=h.sequence, cancelled=h.cancelled)
            for h in held
        )
        body = render_calendar(header, _zone_writer(event), entries)
        # Sign-up changes carry no time stamp of their own: the build time is the change time.
        return BuiltDocument.of(body, utcnow())

    return document_cache().get_or_build(key, build)


def personal_feed_name(event: Event) -> str:
    """The personal feed's name, the same in every state (a calendar keeps its name)."""
    return f"{event.title} · My agenda"


def _personal_description(registration: Registration) -> str:
    """What the personal feed holds now, in a sentence."""
    name, title = registration.display_name, registration.event.title
    status = registration.status
    if status == RegistrationStatus.CONFIRMED:
        return (
            f"{name}'s agenda for {title}: the sessions every delegate attends and the "
            "sessions in which you hold a seat."
        )
    if status.is_active:
        return (
            f"{name}'s agenda for {title}. {status.label}: your sessions appear here once "
            "you hold a seat."
        )
    return f"{name}'s registration for {title} is closed ({status.label.lower()})."


def _load_sessions(query) -> list[AgendaSession]:
    """Sessions in agenda order with what their entries show, in a fixed number of queries."""
    return list(
        db.session.scalars(
            query.order_by(AgendaSession.starts_at, AgendaSession.id).options(*_SESSION_OPTIONS)
        )
    )


def _zone_writer(event: Event) -> ZoneWriter:
    return ZoneWriter(calendar_zone(event.timezone, event.window_starts_at), event.window_starts_at)


def _render(event: Event, header: CalendarHeader, sessions: Sequence[AgendaSession]) -> bytes:
    session_url = session_url_builder()
    return render_calendar(
        header, _zone_writer(event), (session_entry(s, event, session_url) for s in sessions)
    )
