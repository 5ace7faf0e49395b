"""Email invitations for agenda sessions, sharing UIDs and SEQUENCE with the feeds."""

from __future__ import annotations

from amf.calendar_uids import session_uid
from amf.events.models import AgendaSession
from amf.mail.invitations import InvitationMethod, invitation_attachment
from amf.mail.models import Attachment
from amf.urls import absolute_url


def session_invitation(
    session: AgendaSession,
    attendee_email: str,
    attendee_name: str = "",
    method: InvitationMethod | str = InvitationMethod.REQUEST,
) -> Attachment:
    """A REQUEST or CANCEL for one session: UID as in every feed, SEQUENCE its revision.

    A CANCEL carries revision + 1, so it outranks the last REQUEST even when the session
    itself was not changed (the delegate left it); a cancelled session has already been
    bumped by the change that cancelled it.
    """
    method = InvitationMethod(method)
    event = session.event
    sequence = session.revision
    if method is InvitationMethod.CANCEL and not session.is_cancelled:
        sequence += 1
    location = ", ".join(
        part for part in (session.room.name if session.room else "", event.venue_name) if part
    )
    return invitation_attachment(
        method=method,
        uid=session_uid(session.id),
        sequence=sequence,
        summary=session.title,
        starts_at=session.starts_at,
        ends_at=session.ends_at,
        tz_name=event.timezone,
        attendee_email=attendee_email,
        attendee_name=attendee_name,
        location=location,
        description=session.description,
        url=absolute_url("events.session_page", slug=event.slug, session_id=session.id),
        dtstamp=session.modified_at,
    )
