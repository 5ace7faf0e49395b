"""The emails a registration's changes send, queued in the caller's transaction."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa

from amf.calendar_uids import event_uid
from amf.events.invitations import session_invitation
from amf.events.models import AgendaSession
from amf.extensions import db
from amf.mail.invitations import InvitationMethod, invitation_attachment
from amf.mail.services import RelatedObject, queue_templated_message
from amf.registration.addresses import manage_url, personal_feed_url, verification_url
from amf.registration.calendar_rule import seated_sessions
from amf.registration.models import Registration, RegistrationStatus, SignupStatus
from amf.registration.passes import checkin_context
from amf.registration.queues import event_waiting_position, waiting_positions
from amf.urls import absolute_url


@dataclass(frozen=True)
class CalendarChange:
    """One iTIP object for the delegate: the event's (session None) or a session's."""

    method: InvitationMethod
    session: AgendaSession | None = None


def _requests(sessions: Iterable[AgendaSession]) -> list[CalendarChange]:
    return [CalendarChange(InvitationMethod.REQUEST, s) for s in sessions]


def _cancels(sessions: Iterable[AgendaSession]) -> list[CalendarChange]:
    return [CalendarChange(InvitationMethod.CANCEL, s) for s in sessions]


def _invitation(registration: Registration, change: CalendarChange):
    """The change as an invitation, with this delegate's SEQUENCE for the session."""
    if change.session is None:
        return _event_invitation(registration, change.method)
    signup = next((s for s in registration.signups if s.session_id == change.session.id), None)
    sequence = None
    if signup is not None:
        sequence = signup.sequence
        still_held = signup.status != SignupStatus.RELEASED and not change.session.is_cancelled
        if change.method is InvitationMethod.CANCEL and still_held:
            sequence += 1  # e.g. the event called off: the session itself did not change
    return session_invitation(
        change.session, registration.email, registration.display_name, change.method, sequence
    )


def _context(registration: Registration) -> dict:
    """What every delegate email shows: links, their sessions and places in line, clocks."""
    event = registration.event
    return {
        "registration": registration,
        "event": event,
        "recipient_name": registration.display_name,
        "manage_url": manage_url(registration),
        "calendar_url": personal_feed_url(registration),
        "event_url": absolute_url("events.event_page", slug=event.slug),
        "signups": registration.active_signups,
        "waiting_positions": waiting_positions(registration),
        "event_position": event_waiting_position(registration),
        "home_tz": registration.home_timezone,
        "home_name": registration.city.name if registration.city is not None else "",
    }


def send_to_delegate(
    template: str,
    registration: Registration,
    changes: Sequence[CalendarChange] = (),
    attachments=(),
    **context,
) -> None:
    """Queue the email, carrying the first calendar change as its invitation.

    Mail clients act on one invitation per message (iMIP: one iTIP object, one UID), so
    each further change goes in a short email of its own.
    """
    shown = {**_context(registration), **context}
    invitations = [_invitation(registration, change) for change in changes]
    related = RelatedObject("registration", registration.id)
    to = (registration.display_name, registration.email)
    queue_templated_message(
        template,
        to,
        context={**shown, "calendar_change": changes[0] if changes else None},
        attachments=[*invitations[:1], *attachments],
        related=related,
    )
    for change, invitation in zip(changes[1:], invitations[1:], strict=True):
        queue_templated_message(
            "registration/calendar_entry",
            to,
            context={**shown, "calendar_change": change, "agenda_session": change.session},
            attachments=[invitation],
            related=related,
        )


def _send(template: str, registration: Registration, changes=(), attachments=(), **context):
    send_to_delegate(f"registration/{template}", registration, changes, attachments, **context)


def event_sequence(registration: Registration, method: InvitationMethod) -> int:
    """The event invitation's SEQUENCE: 0 for the first REQUEST to an address, its CANCEL
    1, and two more for each earlier registration of that address that held a seat and was
    cancelled, so a new REQUEST always outranks the last CANCEL.
    """
    earlier = db.session.scalar(
        sa.select(sa.func.count()).where(
            Registration.event_id == registration.event_id,
            sa.func.lower(Registration.email) == registration.email.lower(),
            Registration.id != registration.id,
            Registration.status == RegistrationStatus.CANCELLED,
            Registration.confirmed_at.is_not(None),
        )
    )
    return 2 * (earlier or 0) + (1 if method is InvitationMethod.CANCEL else 0)


def _event_invitation(registration: Registration, method: InvitationMethod):
    """The whole event as one all-day calendar invitation for this delegate.

    All-day, so a two-day forum shows on its two days in any zone, not as a 48-hour block
    from midnight in the venue's.
    """
    event = registration.event
    return invitation_attachment(
        method=method,
        uid=event_uid(event.id),
        sequence=event_sequence(registration, method),
        summary=event.title,
        starts_at=event.first_day,
        ends_at=event.last_day + timedelta(days=1),  # DTEND of an all-day event is exclusive
        tz_name=event.timezone,
        attendee_email=registration.email,
        attendee_name=registration.display_name,
        location=", ".join(event.venue_lines),
        description=event.theme or "",
        url=absolute_url("events.event_page", slug=event.slug),
    )


def verification_requested(registration: Registration) -> None:
    """Ask the delegate to confirm their address."""
    _send("verify", registration, verify_url=verification_url(registration))


def confirmed(registration: Registration, promoted: bool = False, resent: bool = False) -> None:
    """A seat is the delegate's: manage link, calendar link, an invitation, a check-in code.

    The city's officers hear of a new seat, not of an organiser resending the email.
    """
    # What these read (the pass, the officers) no seat change touches: the changes so far
    # are written once, at commit, instead of before each read.
    with db.session.no_autoflush:
        checkin, qr_image = checkin_context(registration)
        _send(
            "promoted" if promoted else "confirmed",
            registration,
            changes=[
                CalendarChange(InvitationMethod.REQUEST),
                *_requests(seated_sessions(registration)),
            ],
            attachments=[qr_image],
            **checkin,
        )
        if not resent:
            notify_city_officers(registration)


def waitlisted(registration: Registration) -> None:
    """The event is full: the delegate waits in line."""
    _send("waitlisted", registration)


def awaiting_approval(registration: Registration) -> None:
    """The organisers will decide."""
    _send("awaiting_approval", registration)


def rejected(registration: Registration, reason: str) -> None:
    """The organisers declined the registration."""
    _send("rejected", registration, reason=reason)


def cancelled(
    registration: Registration, released: Sequence[AgendaSession], had_seat: bool, by_delegate: bool
) -> None:
    """The registration is cancelled; a delegate who held a seat gets the cancellations of
    the event and of each session seat, which take them out of their calendar.
    """
    changes = [CalendarChange(InvitationMethod.CANCEL), *_cancels(released)] if had_seat else []
    _send("cancelled", registration, changes=changes, by_delegate=by_delegate, had_seat=had_seat)


def sessions_changed(
    registration: Registration,
    seated: Sequence[AgendaSession] = (),
    released: Sequence[AgendaSession] = (),
) -> None:
    """The delegate's choice of sessions is saved: an invitation for each new seat and a
    cancellation for each seat given up; a waiting place is told, never invited.
    """
    _send(
        "sessions_changed",
        registration,
        changes=[*_requests(seated), *_cancels(released)],
        released=released,
    )


def session_promoted(registration: Registration, session: AgendaSession) -> None:
    """A seat in a full session came free for the delegate: the session's invitation."""
    _send("session_promoted", registration, changes=_requests([session]), agenda_session=session)


def manage_link(registration: Registration, replaced: bool = False) -> None:
    """The manage link again on the delegate's request, or its replacement."""
    _send("manage_link", registration, replaced=replaced)


def already_registered(registration: Registration) -> None:
    """The address was registered again: nothing changed, and here is the manage link."""
    _send("already_registered", registration)


# ---------------------------------------------------------------- agenda notices


@dataclass(frozen=True)
class Before:
    """What a changed session was, for the email that says what changed."""

    title: str
    starts_at: datetime
    ends_at: datetime
    room: str
    changed: frozenset[str]


def session_before(session: AgendaSession, changes: dict | None) -> Before | None:
    """The session as it was, from a notice's stored changes ({field: [before, after]})."""
    changes = changes or {}
    shown = {"title", "starts_at", "ends_at", "room"} & changes.keys()
    if not shown:
        return None

    def before(name: str, now):
        return changes[name][0] if name in changes else now

    def instant(name: str, now: datetime) -> datetime:
        value = before(name, None)
        return datetime.fromisoformat(value) if value else now

    room_now = session.room.name if session.room else ""
    return Before(
        title=before("title", session.title),
        starts_at=instant("starts_at", session.starts_at),
        ends_at=instant("ends_at", session.ends_at),
        room=before("room", room_now) or "",
        changed=frozenset(shown),
    )


def session_notice(
    registration: Registration, session: AgendaSession, cancelled: bool, changes: dict | None
) -> None:
    """A session the delegate signed up for changed or was called off: the seat holder gets
    its invitation or cancellation, a delegate still waiting a plain notice.
    """
    signup = next((s for s in registration.signups if s.session_id == session.id), None)
    seated = signup is not None and signup.status == SignupStatus.CONFIRMED
    method = InvitationMethod.CANCEL if cancelled else InvitationMethod.REQUEST
    send_to_delegate(
        "notices/session_cancelled" if cancelled else "notices/session_changed",
        registration,
        [CalendarChange(method, session)] if seated else [],
        agenda_session=session,
        seated=seated,
        before=None if cancelled else session_before(session, changes),
    )


def event_cancelled_notice(registration: Registration) -> None:
    """The event is called off: a delegate with a seat gets the cancellations of the event
    and of each session seat; others, who had nothing in their calendar, a plain notice.
    """
    seated = registration.status == RegistrationStatus.CONFIRMED
    changes = (
        [CalendarChange(InvitationMethod.CANCEL), *_cancels(seated_sessions(registration))]
        if seated
        else []
    )
    send_to_delegate("notices/event_cancelled", registration, changes, seated=seated)


def notify_city_officers(registration: Registration) -> int:
    """Tell the city's officers who have an email that one of their delegates is confirmed.

    An officer named by the delegate hears of it too, unless it is their own address: a
    stranger who picks an officer's name is thereby reported to that officer.
    """
    city = registration.city
    if city is None:
        return 0
    sent = 0
    for officer in city.officers:
        if not officer.email or officer.email.strip().lower() == registration.email.lower():
            continue
        queue_templated_message(
            "organiser/officer_notice",
            (officer.name, officer.email),
            context={
                "registration": registration,
                "event": registration.event,
                "city": city,
                "recipient_name": officer.name,
            },
            related=RelatedObject("registration", registration.id),
        )
        sent += 1
    return sent
