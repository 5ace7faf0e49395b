"""The emails a registration's changes send, queued in the caller's transaction."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from amf.calendar_uids import event_uid
from amf.events.models import AgendaSession
from amf.extensions import db
from amf.mail.invitations import InvitationMethod, invitation_attachment
from amf.mail.services import RelatedObject, queue_templated_message
from amf.registration.models import Registration
from amf.registration.tokens import make_verification_token
from amf.urls import absolute_url

_SEQUENCE_EPOCH = datetime(2020, 1, 1, tzinfo=UTC)


def _manage_url(registration: Registration) -> str:
    from amf.registration.services import manage_token

    return absolute_url("registration.manage", token=manage_token(registration))


def _calendar_url(registration: Registration) -> str | None:
    """The delegate's personal calendar feed (a https:// address any calendar can subscribe to)."""
    from amf.calendar.links import personal_feed_url

    return personal_feed_url(registration)


def _session_invitations(
    registration: Registration,
    requests: Sequence[AgendaSession] = (),
    cancels: Sequence[AgendaSession] = (),
):
    """Session REQUESTs and CANCELs for this delegate, with the UIDs and SEQUENCE of the feeds."""
    from amf.calendar.invitations import session_invitation

    def invite(session: AgendaSession, method: InvitationMethod):
        return session_invitation(session, registration.email, registration.display_name, method)

    return [invite(s, InvitationMethod.REQUEST) for s in requests] + [
        invite(s, InvitationMethod.CANCEL) for s in cancels
    ]


def _seated_sessions(registration: Registration) -> list[AgendaSession]:
    """The scheduled sessions the delegate holds a confirmed seat in."""
    from amf.registration.models import SignupStatus

    return [
        signup.session
        for signup in sorted(registration.signups, key=lambda s: s.session.starts_at)
        if signup.status == SignupStatus.CONFIRMED and not signup.session.is_cancelled
    ]


def _send(template: str, registration: Registration, attachments=(), **context) -> None:
    event = registration.event
    queue_templated_message(
        f"registration/{template}",
        (registration.display_name, registration.email),
        context={
            "registration": registration,
            "event": event,
            "recipient_name": registration.display_name,
            "manage_url": _manage_url(registration),
            "calendar_url": _calendar_url(registration),
            "event_url": absolute_url("events.event_page", slug=event.slug),
            **context,
        },
        attachments=attachments,
        related=RelatedObject("registration", registration.id),
    )


def _event_invitation(registration: Registration, method: InvitationMethod):
    """The whole event as one all-day calendar invitation for this delegate.

    All-day, so a two-day forum shows on its two days in any zone, not as a 48-hour block
    from midnight in the venue's. Its SEQUENCE counts minutes since 2020: each later message
    about the event, even for a new registration after a cancellation, outranks the earlier
    ones in the delegate's calendar.
    """
    from amf.db import utcnow

    event = registration.event
    return invitation_attachment(
        method=method,
        uid=event_uid(event.id),
        sequence=int((utcnow() - _SEQUENCE_EPOCH).total_seconds() // 60),
        summary=event.title,
        starts_at=event.first_day,
        ends_at=event.last_day + timedelta(days=1),  # DTEND of an all-day event is exclusive
        tz_name=event.timezone,
        attendee_email=registration.email,
        attendee_name=registration.display_name,
        location=", ".join(p for p in (event.venue_name, event.venue_address) if p),
        description=event.theme or "",
        url=absolute_url("events.event_page", slug=event.slug),
    )


def verification_requested(registration: Registration) -> None:
    """Ask the delegate to confirm their address."""
    token = make_verification_token(registration.id, registration.email)
    _send("verify", registration, verify_url=absolute_url("registration.verify", token=token))


def confirmed(registration: Registration, promoted: bool = False, resent: bool = False) -> None:
    """A seat is the delegate's: manage link, calendar link, an invitation, a check-in code.

    The city's officers hear of a new seat, not of an organiser resending the email.
    """
    from amf.checkin.notify import checkin_context, notify_city_officers

    # What these read (the pass, the officers) no seat change touches: the changes so far
    # are written once, at commit, instead of before each read.
    with db.session.no_autoflush:
        checkin, qr_image = checkin_context(registration)
        _send(
            "promoted" if promoted else "confirmed",
            registration,
            attachments=[_event_invitation(registration, InvitationMethod.REQUEST), qr_image],
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
    registration: Registration, sessions: Sequence[AgendaSession], by_delegate: bool
) -> None:
    """The registration is cancelled: remove the event and its sessions from their calendar."""
    _send(
        "cancelled",
        registration,
        attachments=[
            _event_invitation(registration, InvitationMethod.CANCEL),
            *_session_invitations(registration, cancels=sessions),
        ],
        sessions=sessions,
        by_delegate=by_delegate,
    )


def sessions_changed(registration: Registration, left: Sequence[AgendaSession] = ()) -> None:
    """Which sessions the delegate now holds a seat in, or waits for.

    A REQUEST for every seated session (resending an unchanged one is harmless: same UID and
    SEQUENCE) and a CANCEL for each session the delegate left.
    """
    _send(
        "sessions_changed",
        registration,
        attachments=_session_invitations(
            registration, requests=_seated_sessions(registration), cancels=left
        ),
    )


def session_promoted(registration: Registration, session: AgendaSession) -> None:
    """A seat in a full session came free for the delegate: the session's invitation."""
    _send(
        "session_promoted",
        registration,
        attachments=_session_invitations(registration, requests=[session]),
        agenda_session=session,
    )


def manage_link(registration: Registration, replaced: bool = False) -> None:
    """The manage link again on the delegate's request, or its replacement."""
    _send("manage_link", registration, replaced=replaced)


def already_registered(registration: Registration) -> None:
    """The address was registered again: nothing changed, and here is the manage link."""
    _send("already_registered", registration)
