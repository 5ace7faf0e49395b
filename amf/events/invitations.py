"""Email invitations for agenda sessions, sharing UIDs and SEQUENCE with the feeds."""

from __future__ import annotations

from amf.events.calendar_entries import session_entry
from amf.events.models import AgendaSession
from amf.mail.invitations import InvitationMethod, invitation_attachment
from amf.mail.models import Attachment


def session_invitation(
    session: AgendaSession,
    attendee_email: str,
    attendee_name: str = "",
    method: InvitationMethod | str = InvitationMethod.REQUEST,
    sequence: int | None = None,
) -> Attachment:
    """A REQUEST or CANCEL for one session: UID as in every feed, SEQUENCE its revision.

    A CANCEL carries revision + 1, so it outranks the last REQUEST even when the session
    itself was not changed (the delegate left it); a cancelled session has already been
    bumped by the change that cancelled it. ``sequence`` gives one delegate's own
    (SessionSignup.sequence), which already counts the seats they gave up.
    """
    method = InvitationMethod(method)
    event = session.event
    entry = session_entry(session, event)
    if sequence is None:
        sequence = session.revision
        if method is InvitationMethod.CANCEL and not session.is_cancelled:
            sequence += 1
    return invitation_attachment(
        method=method,
        uid=entry.uid,
        sequence=sequence,
        summary=entry.summary,
        starts_at=entry.starts_at,
        ends_at=entry.ends_at,
        tz_name=event.timezone,
        attendee_email=attendee_email,
        attendee_name=attendee_name,
        location=entry.location,
        description=entry.description,
        url=entry.url,
        dtstamp=entry.dtstamp,
    )
