"""An event's numbers: registrations by status, member state, category and day; session fill."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa

from amf.cities.models import MemberState, PilotCity
from amf.events.models import AgendaSession, Event
from amf.extensions import db
from amf.registration.models import (
    DelegateCategory,
    Registration,
    RegistrationStatus,
    SessionSignup,
    SignupStatus,
)
from amf.timezones import to_local


@dataclass
class SessionFill:
    """Seats taken in a session that takes sign-ups."""

    session: AgendaSession
    confirmed: int
    waitlisted: int

    @property
    def percent(self) -> int | None:
        if not self.session.capacity:
            return None
        return round(100 * self.confirmed / self.session.capacity)


@dataclass
class Dashboard:
    """Everything the dashboard shows."""

    by_status: list[tuple[RegistrationStatus, int]]
    by_member_state: list[tuple[str, int]]
    by_category: list[tuple[str, int]]
    by_day: list[tuple[date, int]]
    sessions: list[SessionFill]
    total: int


def event_dashboard(event: Event) -> Dashboard:
    """The event's numbers in five queries."""
    status_counts = dict(
        db.session.execute(
            sa.select(Registration.status, sa.func.count())
            .where(Registration.event_id == event.id)
            .group_by(Registration.status)
        ).all()
    )
    states = db.session.execute(
        sa.select(MemberState.name, sa.func.count())
        .select_from(Registration)
        .outerjoin(PilotCity, PilotCity.id == Registration.city_id)
        .outerjoin(MemberState, MemberState.code == PilotCity.member_state_code)
        .where(
            Registration.event_id == event.id,
            Registration.status == RegistrationStatus.CONFIRMED,
        )
        .group_by(MemberState.name)
        .order_by(sa.func.count().desc(), MemberState.name)
    ).all()
    categories = db.session.execute(
        sa.select(Registration.category, sa.func.count())
        .where(
            Registration.event_id == event.id,
            Registration.status == RegistrationStatus.CONFIRMED,
        )
        .group_by(Registration.category)
        .order_by(sa.func.count().desc())
    ).all()
    created = db.session.scalars(
        sa.select(Registration.created_at).where(Registration.event_id == event.id)
    ).all()
    per_day = Counter(to_local(at, event.timezone).date() for at in created)
    sessions = db.session.scalars(
        sa.select(AgendaSession)
        .where(AgendaSession.event_id == event.id, AgendaSession.takes_signups.is_(True))
        .order_by(AgendaSession.starts_at)
    ).all()
    fills = Counter()
    if sessions:
        for session_id, status, count in db.session.execute(
            sa.select(SessionSignup.session_id, SessionSignup.status, sa.func.count())
            .where(SessionSignup.session_id.in_([s.id for s in sessions]))
            .group_by(SessionSignup.session_id, SessionSignup.status)
        ):
            fills[(session_id, status)] = count
    return Dashboard(
        by_status=[(s, status_counts.get(s, 0)) for s in RegistrationStatus],
        by_member_state=[(name or "Other organisations", count) for name, count in states],
        by_category=[(DelegateCategory(c).label, n) for c, n in categories],
        by_day=sorted(per_day.items()),
        sessions=[
            SessionFill(
                s,
                fills[(s.id, SignupStatus.CONFIRMED)],
                fills[(s.id, SignupStatus.WAITLISTED)],
            )
            for s in sessions
        ],
        total=sum(status_counts.values()),
    )
