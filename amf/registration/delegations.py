"""Pilot-city delegations as the public pages show them."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from amf.cities.models import PilotCity
from amf.events.models import Event
from amf.events.services import PUBLIC_STATUSES
from amf.extensions import db
from amf.registration.models import Registration, RegistrationStatus


def pilot_cities_with_delegates(event: Event) -> int:
    """How many pilot cities have at least one confirmed delegate at the event."""
    return (
        db.session.scalar(
            sa.select(sa.func.count(sa.distinct(Registration.city_id))).where(
                Registration.event_id == event.id,
                Registration.status == RegistrationStatus.CONFIRMED,
                Registration.city_id.is_not(None),
            )
        )
        or 0
    )


def listed_delegates(city: PilotCity) -> list[Registration]:
    """A city's confirmed delegates who agreed to be listed publicly, by event then name."""
    return list(
        db.session.scalars(
            sa.select(Registration)
            .join(Registration.event)
            .where(
                Registration.city_id == city.id,
                Registration.status == RegistrationStatus.CONFIRMED,
                Registration.listed_publicly.is_(True),
                Event.status.in_(PUBLIC_STATUSES),
            )
            .order_by(Event.first_day.desc(), Registration.family_name, Registration.given_names)
            .options(selectinload(Registration.event))
        )
    )
