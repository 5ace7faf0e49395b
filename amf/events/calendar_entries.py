"""What a session looks like in any calendar: one mapping for feeds, downloads and emails."""

from __future__ import annotations

from collections.abc import Callable

from amf.calendar_uids import session_uid
from amf.events.models import AgendaSession, Event, EventStatus
from amf.ics import CalendarEntry
from amf.urls import absolute_url_builder


def session_location(session: AgendaSession, event: Event) -> str:
    """'Room, Venue': where the session takes place."""
    room = session.room.name if session.room else ""
    return ", ".join(part for part in (room, event.venue_name) if part)


def session_description(session: AgendaSession) -> str:
    """The session's description, then its speakers."""
    parts = [session.description.strip()] if session.description.strip() else []
    if session.speakers:
        parts.append("Speakers: " + "; ".join(s.display_name for s in session.speakers))
    return "\n\n".join(parts)


def session_url_builder() -> Callable[[AgendaSession, Event], str]:
    """A fast builder of sessions' public page addresses (one URL adapter for a whole feed)."""
    build = absolute_url_builder()

    def session_url(session: AgendaSession, event: Event) -> str:
        return build("events.session_page", slug=event.slug, session_id=session.id)

    return session_url


def session_entry(
    session: AgendaSession,
    event: Event,
    session_url: Callable[[AgendaSession, Event], str] | None = None,
    *,
    sequence: int | None = None,
    cancelled: bool = False,
) -> CalendarEntry:
    """A session as a calendar entry: UID shared everywhere, SEQUENCE its revision.

    ``sequence`` and ``cancelled`` give one delegate's copy (amf.registration.calendar_rule).
    A session of a cancelled event shows as cancelled, one SEQUENCE above what it had, so
    clients that already hold it take the cancellation.
    """
    sequence = session.revision if sequence is None else sequence
    cancelled = cancelled or session.is_cancelled
    if event.status == EventStatus.CANCELLED and not cancelled:
        cancelled, sequence = True, sequence + 1
    url = (session_url or session_url_builder())(session, event)
    return CalendarEntry(
        uid=session_uid(session.id),
        sequence=sequence,
        summary=session.title,
        starts_at=session.starts_at,
        ends_at=session.ends_at,
        dtstamp=session.modified_at,
        location=session_location(session, event),
        description=session_description(session),
        url=url,
        cancelled=cancelled,
    )
