"""The registration list, a delegate's record, and organisers' decisions on registrations."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from amf.audit.services import record
from amf.cities.models import PilotCity
from amf.events.models import Event
from amf.extensions import db
from amf.registration import notifications
from amf.registration import services as registration_services
from amf.registration.models import (
    DelegateCategory,
    Registration,
    RegistrationStatus,
    SessionSignup,
    SignupStatus,
)
from amf.registration.states import Actor, organiser
from amf.timezones import to_local

PAGE_SIZE = 50


def wall_clock(instant: datetime, tz_name: str) -> datetime:
    """The instant as the event's local time to the second, without zone: spreadsheets
    take no zone in a date cell, so the column's header names it."""
    return to_local(instant, tz_name).replace(tzinfo=None, microsecond=0)


@dataclass
class RegistrationFilters:
    """What the list is narrowed to."""

    status: str = ""
    member_state: str = ""
    city_id: int | None = None
    category: str = ""
    session_id: int | None = None
    q: str = ""
    page: int = 1

    @classmethod
    def from_args(cls, args) -> RegistrationFilters:
        """Read the filters from a query string, ignoring values that make no sense."""
        status = args.get("status", "")
        category = args.get("category", "")
        return cls(
            status=status if status in RegistrationStatus._value2member_map_ else "",
            member_state=args.get("member_state", "")[:2].upper(),
            city_id=args.get("city", None, type=int),
            category=category if category in DelegateCategory._value2member_map_ else "",
            session_id=args.get("session", None, type=int),
            q=args.get("q", "").strip()[:100],
            page=max(args.get("page", 1, type=int) or 1, 1),
        )


@dataclass
class RegistrationPage:
    """One page of the filtered list."""

    items: list[Registration]
    total: int
    page: int
    pages: int


def filtered_query(event: Event, filters: RegistrationFilters) -> sa.Select:
    """The event's registrations matching the filters, newest first."""
    query = sa.select(Registration).where(Registration.event_id == event.id)
    if filters.status:
        query = query.where(Registration.status == RegistrationStatus(filters.status))
    if filters.category:
        query = query.where(Registration.category == DelegateCategory(filters.category))
    if filters.city_id:
        query = query.where(Registration.city_id == filters.city_id)
    if filters.member_state:
        query = query.where(
            Registration.city_id.in_(
                sa.select(PilotCity.id).where(PilotCity.member_state_code == filters.member_state)
            )
        )
    if filters.session_id:
        query = query.where(
            Registration.id.in_(
                sa.select(SessionSignup.registration_id).where(
                    SessionSignup.session_id == filters.session_id,
                    SessionSignup.status != SignupStatus.RELEASED,  # given up: not in it
                )
            )
        )
    if filters.q:
        query = query.where(Registration.matching(filters.q))
    return query


def list_registrations(event: Event, filters: RegistrationFilters) -> RegistrationPage:
    """A page of registrations with their cities and officers, in a fixed number of queries."""
    query = filtered_query(event, filters)
    total = db.session.scalar(sa.select(sa.func.count()).select_from(query.subquery())) or 0
    pages = max((total + PAGE_SIZE - 1) // PAGE_SIZE, 1)
    page = min(filters.page, pages)
    items = db.session.scalars(
        query.order_by(Registration.created_at.desc(), Registration.id.desc())
        .offset((page - 1) * PAGE_SIZE)
        .limit(PAGE_SIZE)
        .options(
            selectinload(Registration.city).selectinload(PilotCity.member_state),
            selectinload(Registration.officer),
        )
    ).all()
    return RegistrationPage(list(items), total, page, pages)


def export_rows(event: Event, filters: RegistrationFilters) -> tuple[list[str], list[list]]:
    """Header and rows of the filtered registrations for CSV and XLSX."""
    registrations = db.session.scalars(
        filtered_query(event, filters)
        .order_by(Registration.family_name, Registration.given_names, Registration.id)
        .options(
            selectinload(Registration.city).selectinload(PilotCity.member_state),
            selectinload(Registration.officer),
            selectinload(Registration.signups).selectinload(SessionSignup.session),
        )
    ).all()
    header = [
        "reference",
        "status",
        "honorific",
        "given_names",
        "family_name",
        "email",
        "phone",
        "position",
        "organisation",
        "category",
        "pilot_city",
        "member_state",
        "officer",
        "other_organisation",
        "other_country",
        "dietary_needs",
        "accessibility_needs",
        "sessions",
        f"registered_at ({event.timezone})",
    ]
    rows = [
        [
            r.reference,
            r.status.label,
            r.honorific,
            r.given_names,
            r.family_name,
            r.email,
            r.phone,
            r.position,
            r.organisation,
            r.category.label,
            r.city.name if r.city else "",
            r.city.member_state.name if r.city else "",
            r.officer.name if r.officer else "",
            r.other_organisation,
            r.other_country,
            r.dietary_needs,
            r.accessibility_needs,
            "; ".join(f"{s.session.title} ({s.status.value})" for s in r.signups),
            wall_clock(r.created_at, event.timezone),
        ]
        for r in registrations
    ]
    return header, rows


def get_registration(event: Event, registration_id: int) -> Registration | None:
    """One registration of the event with its history, sessions and city."""
    return db.session.scalars(
        sa.select(Registration)
        .where(Registration.id == registration_id, Registration.event_id == event.id)
        .options(
            selectinload(Registration.history),
            selectinload(Registration.signups).selectinload(SessionSignup.session),
            selectinload(Registration.city).selectinload(PilotCity.member_state),
            selectinload(Registration.officer),
        )
    ).one_or_none()


# ---------------------------------------------------------------- decisions

ACTIONS = ("approve", "reject", "promote", "cancel", "resend")


def act(registration: Registration, action: str, actor, reason: str = "") -> Registration:
    """Carry out an organiser's decision; each sends its email and is audited.

    Raises RegistrationError (with nothing written) if the registration's state forbids it.
    """
    who = organiser(actor.email)
    record(
        actor,
        f"registration {action}",
        "registration",
        registration.id,
        f"{registration.reference} {registration.display_name}",
        {"reason": [None, reason]} if reason else None,
    )
    try:
        if action == "approve":
            return registration_services.approve_registration(registration, who)
        if action == "reject":
            return registration_services.reject_registration(registration, who, reason)
        if action == "promote":
            return registration_services.promote_registration(registration, who)
        if action == "cancel":
            return registration_services.cancel_registration(registration, actor=who)
        if action == "resend":
            return resend_confirmation(registration, who)
    except Exception:
        db.session.rollback()
        raise
    db.session.rollback()
    raise registration_services.RegistrationError(f"Unknown action {action!r}.")


def correct_details(registration: Registration, details, actor) -> Registration:
    """An organiser corrects a delegate's details (a misspelt name for the badge, say),
    approved ones included. Audited; the registration's history names the fields changed.
    """
    record(
        actor,
        "registration details corrected",
        "registration",
        registration.id,
        f"{registration.reference} {registration.display_name}",
        _corrections(registration, details),
    )
    try:
        return registration_services.update_details(
            registration, details, actor=organiser(actor.email)
        )
    except Exception:
        db.session.rollback()
        raise


# What a badge and the delegation lists show, old and new. Needs and phone numbers stay out
# of the log (the registration's own history names every field changed).
_SHOWN_IN_AUDIT = ("honorific", "given_names", "family_name", "position", "organisation")


def _corrections(registration: Registration, details) -> dict[str, list]:
    """The corrected details as {field: [old, new]}, categories by their labels."""
    changes = {
        name: [getattr(registration, name), getattr(details, name).strip()]
        for name in _SHOWN_IN_AUDIT
        if getattr(registration, name) != getattr(details, name).strip()
    }
    if registration.category != details.category:
        changes["category"] = [
            registration.category.label,
            DelegateCategory(details.category).label,
        ]
    if registration.city_id != details.city_id:
        old = registration.city.name if registration.city else "another organisation"
        new = db.session.get(PilotCity, details.city_id) if details.city_id else None
        changes["city"] = [old, new.name if new else "another organisation"]
    return changes


def resend_confirmation(registration: Registration, actor: Actor) -> Registration:
    """Send the delegate the email of their current status again."""
    status = registration.status
    if status == RegistrationStatus.CONFIRMED:
        notifications.confirmed(registration, resent=True)
    elif status == RegistrationStatus.WAITLISTED:
        notifications.waitlisted(registration)
    elif status == RegistrationStatus.AWAITING_APPROVAL:
        notifications.awaiting_approval(registration)
    elif status == RegistrationStatus.PENDING_VERIFICATION:
        notifications.verification_requested(registration)
    else:
        raise registration_services.RegistrationError(
            "This registration is closed; there is nothing to resend."
        )
    registration.log("confirmation resent", actor)
    db.session.commit()
    return registration
