"""What a delegate's calendar holds: the one rule the personal feed and every email follow.

A confirmed delegate's calendar holds the sessions everyone attends (those that take no
sign-ups: plenaries, ceremonies, breaks, open panels) and the sessions in which they hold a
seat. A place on a session's waiting list is not in it, not even as TENTATIVE: a tentative
block tells the delegate to keep the time for a room that is full, its position would
change without any SEQUENCE change a calendar could see, and the invitations by email must
never put a waiting place in a calendar either (a waiting delegate is sent a plain notice).
The manage page and the emails say each waiting place and its position instead.

A registration without a seat (unverified, awaiting approval, waitlisted, rejected,
expired) holds nothing. A seat given up, and everything a cancelled registration held, stay
in the feed as CANCELLED with a higher SEQUENCE, so every calendar takes them out.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from amf.events.models import AgendaSession
from amf.registration.models import Registration, RegistrationStatus, SignupStatus


@dataclass(frozen=True)
class HeldSession:
    """One session in a delegate's calendar, with this delegate's SEQUENCE for it."""

    session: AgendaSession
    sequence: int
    cancelled: bool


def for_everyone(session: AgendaSession) -> bool:
    """Whether every delegate attends the session (it takes no sign-ups)."""
    return not session.takes_signups


def held_sessions(
    registration: Registration, event_sessions: Iterable[AgendaSession]
) -> list[HeldSession]:
    """The delegate's calendar, in agenda order, from the event's sessions that take no
    sign-ups (``event_sessions`` may hold others; they are ignored) and the delegate's own.
    """
    status = registration.status
    had_seat = status == RegistrationStatus.CONFIRMED or (
        status == RegistrationStatus.CANCELLED and registration.confirmed_at is not None
    )
    if not had_seat:
        return []
    closed = status != RegistrationStatus.CONFIRMED
    held: dict[int, HeldSession] = {}
    for session in event_sessions:
        if for_everyone(session):
            taken_out = closed and not session.is_cancelled
            held[session.id] = HeldSession(
                session, session.revision + (1 if taken_out else 0), closed or session.is_cancelled
            )
    for signup in registration.signups:
        if signup.status == SignupStatus.CONFIRMED and not closed:
            held[signup.session_id] = HeldSession(
                signup.session, signup.sequence, signup.session.is_cancelled
            )
        elif signup.status == SignupStatus.RELEASED:
            held[signup.session_id] = HeldSession(signup.session, signup.sequence, True)
    return sorted(held.values(), key=lambda h: (h.session.starts_at, h.session.id))


def seated_sessions(registration: Registration) -> list[AgendaSession]:
    """The scheduled sessions the delegate holds a seat in, in agenda order."""
    return [
        signup.session
        for signup in registration.active_signups
        if signup.status == SignupStatus.CONFIRMED and not signup.session.is_cancelled
    ]
