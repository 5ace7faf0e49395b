"""Seats and waiting lists: who holds a seat, and who moves up when one comes free.

Every function here runs inside a service's transaction, after lock_event() has locked the
event row (SELECT ... FOR UPDATE on PostgreSQL): verification, approval, cancellation,
session changes and promotion of one event take turns, so the last seat can be neither
given twice nor stranded.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import joinedload, selectinload

from amf.cities.models import PilotCity
from amf.events.models import AgendaSession, Event, SessionStatus
from amf.extensions import db
from amf.registration import notifications
from amf.registration.models import (
    Registration,
    RegistrationStatus,
    SessionSignup,
    SignupStatus,
)
from amf.registration.states import SYSTEM
from amf.templating import local_date, local_time_range


def seats_taken(event: Event) -> int:
    """How many delegates hold a confirmed seat at the event."""
    return (
        db.session.scalar(
            sa.select(sa.func.count())
            .select_from(Registration)
            .where(
                Registration.event_id == event.id,
                Registration.status == RegistrationStatus.CONFIRMED,
            )
        )
        or 0
    )


def session_seats_taken(session_ids: Iterable[int]) -> dict[int, int]:
    """Confirmed sign-ups per session, in one query."""
    ids = list(session_ids)
    if not ids:
        return {}
    rows = db.session.execute(
        sa.select(SessionSignup.session_id, sa.func.count())
        .where(SessionSignup.session_id.in_(ids), SessionSignup.status == SignupStatus.CONFIRMED)
        .group_by(SessionSignup.session_id)
    )
    taken = dict.fromkeys(ids, 0)
    taken.update({session_id: count for session_id, count in rows})
    return taken


def signup_choices(event: Event) -> tuple[list[AgendaSession], dict[int, str]]:
    """The sessions delegates may sign up for, each labelled with its time and free seats."""
    sessions = db.session.scalars(
        sa.select(AgendaSession)
        .where(
            AgendaSession.event_id == event.id,
            AgendaSession.takes_signups.is_(True),
            AgendaSession.status == SessionStatus.SCHEDULED,
        )
        .order_by(AgendaSession.starts_at, AgendaSession.id)
    ).all()
    taken = session_seats_taken(s.id for s in sessions)
    labels = {}
    for s in sessions:
        when = f"{local_date(s.starts_at, event.timezone)}, " + local_time_range(
            s.starts_at, s.ends_at, event.timezone
        )
        if s.capacity is None:
            seats = ""
        elif taken[s.id] >= s.capacity:
            seats = " (full: you join the waiting list)"
        else:
            seats = f" ({s.capacity - taken[s.id]} of {s.capacity} seats free)"
        labels[s.id] = f"{s.title}: {when}{seats}"
    return list(sessions), labels


def admit(event: Event, registration: Registration, now: datetime) -> None:
    """Give a verified or approved delegate a seat, or a place on the waiting list.

    Whoever already waits goes first: a free seat with a queue behind it is theirs.
    """
    promote_event_queue(event, now)
    if event.capacity is None or seats_taken(event) < event.capacity:
        confirm(registration, now)
    else:
        registration.waitlist(now)
        notifications.waitlisted(registration)


def confirm(registration: Registration, now: datetime, promoted: bool = False) -> None:
    """Give the delegate their seat and their sessions' seats, and tell them."""
    registration.confirm(now, promoted)
    for signup in registration.active_signups:
        allocate_signup(signup, now)
    notifications.confirmed(registration, promoted=promoted)


def allocate_signup(signup: SessionSignup, now: datetime) -> None:
    """Seat a confirmed delegate in a session, or queue them behind those already waiting."""
    session = signup.session
    if session.capacity is None:
        signup.status = SignupStatus.CONFIRMED
        return
    promote_session_queue(session, now)
    if session_seats_taken([session.id])[session.id] < session.capacity:
        signup.status = SignupStatus.CONFIRMED
    else:
        signup.status = SignupStatus.WAITLISTED
        signup.waitlisted_at = now


def release_signup(signup: SessionSignup) -> bool:
    """Give up a place in a session. A seat stays as released, one SEQUENCE up, so the
    delegate's calendar takes it out; a waiting or requested place just goes. Returns
    whether it was a seat (whose cancellation the delegate's calendar needs).
    """
    if signup.status == SignupStatus.CONFIRMED:
        signup.status = SignupStatus.RELEASED
        signup.sequence_offset += 1
        return True
    signup.registration.signups.remove(signup)
    return False


def promote_event_queue(event: Event, now: datetime) -> None:
    """Fill free seats from the event's waiting list, first come first served."""
    while event.capacity is None or seats_taken(event) < event.capacity:
        following = db.session.scalars(
            sa.select(Registration)
            .where(
                Registration.event_id == event.id,
                Registration.status == RegistrationStatus.WAITLISTED,
            )
            .order_by(Registration.waitlisted_at, Registration.id)
            .limit(1)
        ).first()
        if following is None:
            return
        confirm(following, now, promoted=True)


def promote_session_queue(session: AgendaSession, now: datetime) -> None:
    """Fill a session's free seats from its waiting list, first come first served."""
    while True:
        taken = session_seats_taken([session.id])[session.id]
        if session.capacity is not None and taken >= session.capacity:
            return
        following = db.session.scalars(
            sa.select(SessionSignup)
            .join(SessionSignup.registration)
            .where(
                SessionSignup.session_id == session.id,
                SessionSignup.status == SignupStatus.WAITLISTED,
                Registration.status == RegistrationStatus.CONFIRMED,
            )
            .order_by(SessionSignup.waitlisted_at, SessionSignup.registration_id)
            .limit(1)
        ).first()
        if following is None:
            return
        following.status = SignupStatus.CONFIRMED
        db.session.flush()
        following.registration.log("promoted in a session", SYSTEM, session.title)
        notifications.session_promoted(following.registration, session)


def refill_event(event: Event, now: datetime) -> None:
    """The event's seats changed: the first in line take any that are free, at once."""
    promote_event_queue(lock_event(event.id), now)


def refill_session(session: AgendaSession, now: datetime) -> None:
    """A session's seats changed: the first in its line take any that are free, at once."""
    lock_event(session.event_id)
    promote_session_queue(session, now)


def lock_event(event_id: int) -> Event:
    """The event, locked until commit and re-read: seat changes for one event take turns."""
    return db.session.scalars(
        sa.select(Event)
        .where(Event.id == event_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one()


def lock_registration(registration_id: int) -> Registration:
    """The registration, locked and re-read, so a decision uses its current state.

    Its city and member state come in the same query, its sign-ups in the next: the
    decisions and the emails that follow use them, before anything needs flushing.
    """
    return db.session.scalars(
        sa.select(Registration)
        .where(Registration.id == registration_id)
        .options(
            joinedload(Registration.city).joinedload(PilotCity.member_state),
            selectinload(Registration.signups),
        )
        .with_for_update(of=Registration)
        .execution_options(populate_existing=True)
    ).one()
