"""Per-city delegation overview for an event, and officers' contact details."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from amf.audit.services import diff, record
from amf.cities.models import MemberState, Officer, PilotCity
from amf.events.models import Event
from amf.extensions import db
from amf.registration.models import Registration, RegistrationStatus
from amf.registration.states import ACTIVE_STATUSES


@dataclass
class Delegation:
    """One pilot city at one event."""

    city: PilotCity
    counts: dict[RegistrationStatus, int] = field(default_factory=dict)
    registered_officer_ids: set[int] = field(default_factory=set)
    # Officers a delegate named without the officer's own email address to prove it.
    claimed_officer_ids: set[int] = field(default_factory=set)

    @property
    def confirmed(self) -> int:
        return self.counts.get(RegistrationStatus.CONFIRMED, 0)

    @property
    def waitlisted(self) -> int:
        return self.counts.get(RegistrationStatus.WAITLISTED, 0)

    @property
    def pending(self) -> int:
        return self.counts.get(RegistrationStatus.PENDING_VERIFICATION, 0) + self.counts.get(
            RegistrationStatus.AWAITING_APPROVAL, 0
        )

    @property
    def has_delegation(self) -> bool:
        """Whether anyone of the city has an active registration."""
        return bool(self.confirmed or self.waitlisted or self.pending)

    @property
    def officer_registered(self) -> bool:
        """Whether one of the city's officers has an active registration."""
        return bool(self.registered_officer_ids)


def delegation_overview(event: Event) -> list[Delegation]:
    """Every pilot city with its officers and registration counts, in four queries."""
    cities = db.session.scalars(
        sa.select(PilotCity)
        .join(PilotCity.member_state)
        .order_by(MemberState.name, PilotCity.name)
        .options(selectinload(PilotCity.member_state), selectinload(PilotCity.officers))
    ).all()
    counts: dict[int, dict] = defaultdict(dict)
    for city_id, status, count in db.session.execute(
        sa.select(Registration.city_id, Registration.status, sa.func.count())
        .where(Registration.event_id == event.id, Registration.city_id.is_not(None))
        .group_by(Registration.city_id, Registration.status)
    ):
        counts[city_id][status] = count
    officers: dict[int, set[int]] = defaultdict(set)
    claims: dict[int, set[int]] = defaultdict(set)
    for city_id, officer_id, confirmed in db.session.execute(
        sa.select(
            Registration.city_id, Registration.officer_id, Registration.officer_confirmed
        ).where(
            Registration.event_id == event.id,
            Registration.officer_id.is_not(None),
            Registration.status.in_(ACTIVE_STATUSES),
        )
    ):
        (officers if confirmed else claims)[city_id].add(officer_id)
    return [
        Delegation(c, counts.get(c.id, {}), officers.get(c.id, set()), claims.get(c.id, set()))
        for c in cities
    ]


def update_officer_contact(officer: Officer, email: str, phone: str, actor) -> Officer:
    """Set an officer's email and phone (the seed has neither)."""
    values = {"email": email.strip().lower() or None, "phone": phone.strip() or None}
    changes = diff(officer, values)
    for name, (_, new) in changes.items():
        setattr(officer, name, new)
    if changes:
        record(actor, "officer contact changed", "officer", officer.id, officer.name, changes)
    db.session.commit()
    return officer
