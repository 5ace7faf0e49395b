"""What a delegate tells us about themselves: checking it, and writing it down."""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from amf.cities.models import Officer, PilotCity
from amf.events.models import AgendaSession, Event, SessionStatus
from amf.extensions import db
from amf.registration.models import DelegateCategory, Registration
from amf.registration.states import DELEGATE, Actor, RegistrationError


@dataclass
class DelegateDetails:
    """What a delegate tells us about themselves, as plain values."""

    given_names: str
    email: str
    category: DelegateCategory
    family_name: str = ""
    honorific: str = ""
    phone: str = ""
    position: str = ""
    organisation: str = ""
    city_id: int | None = None
    officer_id: int | None = None
    other_organisation: str = ""
    other_country: str = ""
    dietary_needs: str = ""
    accessibility_needs: str = ""
    listed_publicly: bool = False
    session_ids: list[int] = field(default_factory=list)


def update_details(
    registration: Registration, details: DelegateDetails, actor: Actor = DELEGATE
) -> Registration:
    """Change a delegate's details (not their email, which identifies them), by the delegate
    or, for what organisers approved, by an organiser.
    """
    registration.check_open()
    city, officer = check_city_and_officer(details)
    wanted = {
        **detail_fields(details),
        "city_id": city and city.id,
        "officer_id": officer and officer.id,
    }
    changed = [name for name, value in wanted.items() if getattr(registration, name) != value]
    if actor.is_delegate and registration.identity_locked and set(changed) & _APPROVED_IDENTITY:
        contact = registration.event.contact_email
        ask = f"to change them, write to {contact}." if contact else "only they can change them."
        raise RegistrationError(
            "The organisers approved your registration with this name, category and "
            f"delegation; {ask}"
        )
    apply_details(registration, details, city, officer)
    registration.log(
        "details changed", actor, detail=", ".join(n.replace("_", " ") for n in changed)
    )
    db.session.commit()
    return registration


# What organisers approve when an event requires approval (Registration.identity_locked).


_APPROVED_IDENTITY = {
    "given_names",
    "family_name",
    "category",
    "city_id",
    "officer_id",
    "other_organisation",
    "other_country",
}


def detail_fields(details: DelegateDetails) -> dict:
    """The registration columns a delegate fills in themselves."""
    return {
        "honorific": details.honorific.strip(),
        "given_names": details.given_names.strip(),
        "family_name": details.family_name.strip(),
        "phone": details.phone.strip(),
        "position": details.position.strip(),
        "organisation": details.organisation.strip(),
        "category": details.category,
        "other_organisation": "" if details.city_id else details.other_organisation.strip(),
        "other_country": "" if details.city_id else details.other_country.strip(),
        "dietary_needs": details.dietary_needs.strip(),
        "accessibility_needs": details.accessibility_needs.strip(),
        "listed_publicly": details.listed_publicly,
    }


def apply_details(
    registration: Registration,
    details: DelegateDetails,
    city: PilotCity | None,
    officer: Officer | None,
) -> None:
    """Write the delegate's own columns and their (checked) city and officer."""
    for name, value in detail_fields(details).items():
        setattr(registration, name, value)
    registration.city, registration.officer = city, officer


def check_city_and_officer(details: DelegateDetails) -> tuple[PilotCity | None, Officer | None]:
    """The chosen city and officer, checked to belong together."""
    if details.city_id is None:
        if not details.other_organisation.strip():
            raise RegistrationError("Choose a pilot city or name your organisation.")
        if details.officer_id is not None:
            raise RegistrationError("Only a pilot city's own officers can register as one.")
        return None, None
    city = db.session.get(  # the emails name the city's country
        PilotCity, details.city_id, options=[joinedload(PilotCity.member_state)]
    )
    if city is None:
        raise RegistrationError("Choose one of the pilot cities.")
    officer = None
    if details.officer_id is not None:
        officer = db.session.get(Officer, details.officer_id)
        if officer is None or officer.city_id != city.id:
            raise RegistrationError("That officer is not listed for the chosen city.")
    return city, officer


def signup_sessions(event: Event, session_ids: Iterable[int]) -> list[AgendaSession]:
    """The event's scheduled sessions that take sign-ups, among those asked for."""
    ids = sorted(set(session_ids))
    if not ids:
        return []
    sessions = db.session.scalars(
        sa.select(AgendaSession).where(
            AgendaSession.id.in_(ids),
            AgendaSession.event_id == event.id,
            AgendaSession.takes_signups.is_(True),
            AgendaSession.status == SessionStatus.SCHEDULED,
        )
    ).all()
    if len(sessions) != len(ids):
        raise RegistrationError("One of the chosen sessions does not take sign-ups.")
    ordered = sorted(sessions, key=lambda s: s.starts_at)
    # Sorted by start, any overlap shows up between neighbours.
    for earlier, later in itertools.pairwise(ordered):
        if later.starts_at < earlier.ends_at:
            raise RegistrationError(
                f"“{earlier.title}” and “{later.title}” take place at the same time: "
                "choose one of them."
            )
    return ordered
