"""Where a delegate stands in line: for the event, and for each session they wait for."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import aliased

from amf.extensions import db
from amf.registration.models import (
    Registration,
    RegistrationStatus,
    SessionSignup,
    SignupStatus,
)


def _no_later_in_line(place, mine) -> sa.ColumnElement[bool]:
    """A (joined at, id) place at or before mine in a first-come queue, as seats.py serves it."""
    (at, key), (my_at, my_key) = place, mine
    return sa.or_(at < my_at, sa.and_(at == my_at, key <= my_key))


def waiting_positions(registration: Registration) -> dict[int, int]:
    """The delegate's place in line (1 is next) for each session they wait for, in one query."""
    waiting = [s for s in registration.signups if s.status == SignupStatus.WAITLISTED]
    if not waiting:
        return {}
    ahead = aliased(SessionSignup)
    mine = aliased(SessionSignup)
    rows = db.session.execute(
        sa.select(mine.session_id, sa.func.count(ahead.registration_id))
        .join(
            ahead,
            sa.and_(
                ahead.session_id == mine.session_id,
                ahead.status == SignupStatus.WAITLISTED,
                _no_later_in_line(
                    (ahead.waitlisted_at, ahead.registration_id),
                    (mine.waitlisted_at, mine.registration_id),
                ),
            ),
        )
        .join(Registration, Registration.id == ahead.registration_id)
        .where(
            mine.registration_id == registration.id,
            mine.status == SignupStatus.WAITLISTED,
            Registration.status == RegistrationStatus.CONFIRMED,
        )
        .group_by(mine.session_id)
    )
    return {session_id: count for session_id, count in rows}


def event_waiting_position(registration: Registration) -> int | None:
    """The delegate's place in the event's waiting list (1 is next), if they wait."""
    if registration.status != RegistrationStatus.WAITLISTED:
        return None
    return db.session.scalar(
        sa.select(sa.func.count()).where(
            Registration.event_id == registration.event_id,
            Registration.status == RegistrationStatus.WAITLISTED,
            _no_later_in_line(
                (Registration.waitlisted_at, Registration.id),
                (registration.waitlisted_at, registration.id),
            ),
        )
    )
