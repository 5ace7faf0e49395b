"""Checking delegates in by code or by name, counts per city, and the badge list."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from amf.audit.services import record
from amf.cities.models import PilotCity
from amf.db import utcnow
from amf.events.models import Event, EventStatus
from amf.extensions import db
from amf.registration.models import Registration, RegistrationStatus
from amf.registration.passes import CheckinPass, code_hash, ensure_pass, normalise_code


@dataclass
class CheckinResult:
    """What the desk sees after a scan: who, and whether they were already in."""

    outcome: str  # "checked_in", "already", "unknown", "not_confirmed", "other_event"
    registration: Registration | None = None
    checkin_pass: CheckinPass | None = None


def _details():
    return selectinload(CheckinPass.registration).options(
        selectinload(Registration.city).selectinload(PilotCity.member_state)
    )


def check_in_code(event: Event, text: str, actor) -> CheckinResult:
    """Check in the delegate whose code this is; a second scan says when they came."""
    code = normalise_code(text)
    if not code:
        return CheckinResult("unknown")
    checkin_pass = db.session.scalars(
        sa.select(CheckinPass).where(CheckinPass.code_hash == code_hash(code)).options(_details())
    ).one_or_none()
    if checkin_pass is None:
        return CheckinResult("unknown")
    return _check_in(event, checkin_pass, actor)


def check_in_registration(event: Event, registration_id: int, actor) -> CheckinResult:
    """Check in a delegate found by name."""
    registration = db.session.get(Registration, registration_id)
    if registration is None:
        return CheckinResult("unknown")
    if registration.event_id != event.id:
        return CheckinResult("other_event", registration)
    if registration.status != RegistrationStatus.CONFIRMED:
        return CheckinResult("not_confirmed", registration)
    return _check_in(event, ensure_pass(registration), actor)


def _check_in(event: Event, checkin_pass: CheckinPass, actor) -> CheckinResult:
    registration = checkin_pass.registration
    if registration.event_id != event.id:
        return CheckinResult("other_event", registration, checkin_pass)
    if registration.status != RegistrationStatus.CONFIRMED:
        return CheckinResult("not_confirmed", registration, checkin_pass)
    # One UPDATE decides who checks in first, even if two desks scan the same code at once.
    updated = db.session.execute(
        sa.update(CheckinPass)
        .where(CheckinPass.registration_id == registration.id, CheckinPass.checked_in_at.is_(None))
        .values(checked_in_at=utcnow(), checked_in_by=getattr(actor, "email", str(actor)))
        .execution_options(synchronize_session=False)
    ).rowcount
    if updated:
        record(actor, "checked in", "registration", registration.id, registration.display_name)
    db.session.commit()
    db.session.refresh(checkin_pass)
    return CheckinResult("checked_in" if updated else "already", registration, checkin_pass)


def search_delegates(event: Event, query: str, limit: int = 20) -> list[Registration]:
    """Confirmed delegates whose name, email, reference or organisation contains the query."""
    query = query.strip()
    if len(query) < 2:
        return []
    return list(
        db.session.scalars(
            sa.select(Registration)
            .where(
                Registration.event_id == event.id,
                Registration.status == RegistrationStatus.CONFIRMED,
                Registration.matching(query),
            )
            .order_by(Registration.family_name, Registration.given_names)
            .limit(limit)
            .options(selectinload(Registration.city))
        )
    )


def checked_in_ids(registrations: list[Registration]) -> dict[int, CheckinPass]:
    """The passes of these registrations that are checked in."""
    ids = [r.id for r in registrations]
    if not ids:
        return {}
    rows = db.session.scalars(
        sa.select(CheckinPass).where(
            CheckinPass.registration_id.in_(ids), CheckinPass.checked_in_at.is_not(None)
        )
    )
    return {p.registration_id: p for p in rows}


@dataclass
class CityCount:
    """Arrivals of one delegation."""

    name: str
    checked_in: int
    confirmed: int


def counts_by_city(event: Event) -> list[CityCount]:
    """Confirmed and checked-in delegates per city (other organisations grouped), one query."""
    arrived = sa.case((CheckinPass.checked_in_at.is_not(None), 1), else_=0)
    rows = db.session.execute(
        sa.select(PilotCity.name, sa.func.count(Registration.id), sa.func.sum(arrived))
        .select_from(Registration)
        .outerjoin(PilotCity, PilotCity.id == Registration.city_id)
        .outerjoin(CheckinPass, CheckinPass.registration_id == Registration.id)
        .where(
            Registration.event_id == event.id,
            Registration.status == RegistrationStatus.CONFIRMED,
        )
        .group_by(PilotCity.name)
        .order_by(PilotCity.name)
    )
    return [
        CityCount(name or "Other organisations", int(done or 0), total)
        for name, total, done in rows
    ]


def badge_registrations(event: Event) -> list[Registration]:
    """Confirmed delegates in badge order (family name), with city and member state."""
    return list(
        db.session.scalars(
            sa.select(Registration)
            .where(
                Registration.event_id == event.id,
                Registration.status == RegistrationStatus.CONFIRMED,
            )
            .order_by(Registration.family_name, Registration.given_names, Registration.id)
            .options(selectinload(Registration.city).selectinload(PilotCity.member_state))
        )
    )


def events_for_checkin() -> list[Event]:
    """Published events, soonest last day first."""
    return list(
        db.session.scalars(
            sa.select(Event)
            .where(Event.status == EventStatus.PUBLISHED)
            .order_by(Event.last_day.desc())
        )
    )
