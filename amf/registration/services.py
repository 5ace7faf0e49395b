"""Every change of a registration's state, each one transaction that also queues its email.

Seats are allocated under a row lock on the event (SELECT ... FOR UPDATE on PostgreSQL):
verification, approval, cancellation, session changes and promotion of the same event
take turns, so the last seat cannot be given twice nor left stranded. SQLite serialises
writers but does not lock rows on read; the concurrency guarantees hold on PostgreSQL.
"""

from __future__ import annotations

import itertools
import secrets
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import joinedload, selectinload

from amf.cities.models import Officer, PilotCity
from amf.db import utcnow
from amf.events.models import AgendaSession, Event, SessionStatus
from amf.events.services import registration_state
from amf.extensions import db
from amf.registration import notifications, seats
from amf.registration.models import (
    ACTIVE_STATUSES,
    DelegateCategory,
    Registration,
    RegistrationStatus,
    SessionSignup,
    SignupStatus,
)
from amf.registration.tokens import (
    derive_token,
    hash_secret,
    link_digest,
    new_nonce,
    new_reference,
    read_verification_token,
)


class RegistrationError(Exception):
    """A registration request that cannot be carried out, with a message for the delegate."""


class RegistrationClosed(RegistrationError):
    """The event does not take registrations now."""


class AlreadyRegistered(RegistrationError):
    """This email already has an active registration for the event."""


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


@dataclass
class Verified:
    """The outcome of following a verification link."""

    registration: Registration
    already_verified: bool = False


# ---------------------------------------------------------------- submit


def manage_token(registration: Registration) -> str:
    """The token of the registration's manage link."""
    return derive_token("manage", registration.manage_nonce)


def _set_manage_nonce(registration: Registration) -> None:
    registration.manage_nonce = new_nonce()
    registration.manage_token_hash = hash_secret(manage_token(registration))


def calendar_token(registration: Registration) -> str:
    """The token of the registration's personal calendar feed."""
    return derive_token("calendar", registration.calendar_nonce)


def set_calendar_nonce(registration: Registration) -> None:
    """Give the registration a new personal-feed token; the previous feed URL stops working."""
    registration.calendar_nonce = new_nonce()
    registration.calendar_token_hash = hash_secret(calendar_token(registration))


def regenerate_calendar_token(registration: Registration) -> Registration:
    """Replace the personal-feed address (e.g. after it was shared); the old one 404s."""
    set_calendar_nonce(registration)
    registration.log("calendar link replaced")
    db.session.commit()
    return registration


def get_by_calendar_token(token: str) -> Registration | None:
    """The registration whose personal calendar feed this token opens."""
    if not token or len(token) > 100:
        return None
    return db.session.scalars(
        sa.select(Registration).where(Registration.calendar_token_hash == hash_secret(token))
    ).one_or_none()


def submit_registration(event: Event, details: DelegateDetails) -> Registration:
    """Store a registration awaiting email verification and queue the verification email."""
    now = utcnow()
    if registration_state(event, now) != "open":
        raise RegistrationClosed("This event is not taking registrations.")
    email = details.email.strip().lower()
    # Every check of the form's values comes before the address is looked up: an error
    # shown only for unknown addresses would tell a stranger which ones are registered.
    city, officer = _check_city_and_officer(details)
    sessions = _signup_sessions(event, details.session_ids)
    existing = find_active_registration(event, email)
    if existing is not None and _expire_if_stale(existing, now):
        existing = None
    if existing is not None and existing.status == RegistrationStatus.PENDING_VERIFICATION:
        return _submit_again(existing, details, city, officer, sessions, now)
    if existing is not None:
        raise AlreadyRegistered("A registration with this email address already exists.")

    registration = Registration(
        event=event,
        reference=new_reference(),
        status=RegistrationStatus.PENDING_VERIFICATION,
        email=email,
        consented_privacy_at=now,
        verify_by=now + timedelta(hours=current_app.config["AMF_VERIFY_HOURS"]),
        city=city,
        officer=officer,
        **_detail_fields(details),
    )
    _set_manage_nonce(registration)
    set_calendar_nonce(registration)
    registration.signups = [
        SessionSignup(session=s, status=SignupStatus.REQUESTED) for s in sessions
    ]
    registration.log("submitted")
    db.session.add(registration)
    try:
        db.session.flush()
    except sa.exc.IntegrityError as exc:  # a concurrent submission won the unique index
        db.session.rollback()
        raise AlreadyRegistered("A registration with this email address already exists.") from exc
    notifications.verification_requested(registration)
    db.session.commit()
    return registration


def _submit_again(
    registration: Registration,
    details: DelegateDetails,
    city: PilotCity | None,
    officer: Officer | None,
    sessions: list[AgendaSession],
    now: datetime,
) -> Registration:
    """The address registered again before verifying: the new form replaces the unverified
    one (nobody has proved they own the address yet), with a new link and a new deadline.
    """
    if _link_emails_capped(registration):
        return registration
    _apply_details(registration, details, city, officer)
    registration.verify_by = now + timedelta(hours=current_app.config["AMF_VERIFY_HOURS"])
    registration.signups = [
        SessionSignup(session=s, status=SignupStatus.REQUESTED) for s in sessions
    ]
    registration.log(_SUBMITTED_AGAIN)
    notifications.verification_requested(registration)
    db.session.commit()
    return registration


def find_active_registration(event: Event, email: str) -> Registration | None:
    """The active registration of this address for the event, if any (case-insensitive)."""
    return db.session.scalars(
        sa.select(Registration).where(
            Registration.event_id == event.id,
            sa.func.lower(Registration.email) == email.strip().lower(),
            Registration.status.in_(ACTIVE_STATUSES),
        )
    ).first()


# ---------------------------------------------------------------- verify


def verify_registration(token: str) -> Verified:
    """Confirm the email behind a verification link; raises InvalidLink or ExpiredLink."""
    from amf.registration.tokens import InvalidLink

    max_age = current_app.config["AMF_VERIFY_HOURS"] * 3600
    registration_id, digest = read_verification_token(token, max_age)
    registration = db.session.get(Registration, registration_id)
    expected = registration and link_digest(registration.email, registration.manage_nonce)
    if registration is None or not secrets.compare_digest(digest, expected):
        raise InvalidLink
    event = seats.lock_event(registration.event_id)
    registration = seats.lock_registration(registration.id)
    if registration.status != RegistrationStatus.PENDING_VERIFICATION:
        db.session.rollback()
        return Verified(registration, already_verified=True)
    now = utcnow()
    registration.verified_at = now
    registration.log("verified")
    if event.requires_approval:
        registration.set_status(RegistrationStatus.AWAITING_APPROVAL, now)
        notifications.awaiting_approval(registration)
    else:
        seats.admit(event, registration, now)
    db.session.commit()
    return Verified(registration)


# ---------------------------------------------------------------- organiser decisions


def approve_registration(registration: Registration, actor: str) -> Registration:
    """Admit a delegate awaiting approval: confirmed if a seat is free, else waitlisted."""
    event = seats.lock_event(registration.event_id)
    registration = seats.lock_registration(registration.id)
    if registration.status != RegistrationStatus.AWAITING_APPROVAL:
        raise RegistrationError("Only registrations awaiting approval can be approved.")
    registration.log("approved", actor)
    seats.admit(event, registration, utcnow())
    db.session.commit()
    return registration


def promote_registration(registration: Registration, actor: str) -> Registration:
    """An organiser gives a waitlisted delegate a seat now, even past the event's capacity."""
    seats.lock_event(registration.event_id)
    registration = seats.lock_registration(registration.id)
    if registration.status != RegistrationStatus.WAITLISTED:
        raise RegistrationError("Only delegates on the waiting list can be moved up.")
    registration.log("moved from the waiting list", actor)
    seats.confirm(registration, utcnow(), promoted=True)
    db.session.commit()
    return registration


def reject_registration(registration: Registration, actor: str, reason: str = "") -> Registration:
    """Decline a delegate awaiting approval."""
    seats.lock_event(registration.event_id)
    registration = seats.lock_registration(registration.id)
    if registration.status != RegistrationStatus.AWAITING_APPROVAL:
        raise RegistrationError("Only registrations awaiting approval can be rejected.")
    registration.set_status(RegistrationStatus.REJECTED, utcnow())
    registration.log("rejected", actor, reason)
    notifications.rejected(registration, reason)
    db.session.commit()
    return registration


# ---------------------------------------------------------------- self-service


def get_by_manage_token(token: str) -> Registration | None:
    """The registration a manage link belongs to, with its event, city and sign-ups."""
    if not token or len(token) > 100:
        return None
    return db.session.scalars(
        sa.select(Registration)
        .where(Registration.manage_token_hash == hash_secret(token))
        .options(
            selectinload(Registration.event),
            selectinload(Registration.city).selectinload(PilotCity.member_state),
            selectinload(Registration.officer),
            selectinload(Registration.signups).selectinload(SessionSignup.session),
        )
    ).one_or_none()


def update_details(
    registration: Registration, details: DelegateDetails, actor: str = "delegate"
) -> Registration:
    """Change a delegate's details (not their email, which identifies them), by the delegate
    or, for what organisers approved, by an organiser (``actor``: their address).
    """
    if not registration.status.is_active:
        raise RegistrationError("This registration can no longer be changed.")
    city, officer = _check_city_and_officer(details)
    wanted = {
        **_detail_fields(details),
        "city_id": city and city.id,
        "officer_id": officer and officer.id,
    }
    changed = [name for name, value in wanted.items() if getattr(registration, name) != value]
    by_delegate = actor == "delegate"
    if by_delegate and registration.identity_locked and set(changed) & _APPROVED_IDENTITY:
        contact = registration.event.contact_email
        ask = f"to change them, write to {contact}." if contact else "only they can change them."
        raise RegistrationError(
            "The organisers approved your registration with this name, category and "
            f"delegation; {ask}"
        )
    _apply_details(registration, details, city, officer)
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


def change_sessions(registration: Registration, session_ids: Iterable[int]) -> Registration:
    """Replace the sessions a delegate signed up for; freed seats go to the next in line."""
    event = seats.lock_event(registration.event_id)
    registration = seats.lock_registration(registration.id)
    if not registration.status.is_active:
        raise RegistrationError("This registration can no longer be changed.")
    wanted = {s.id: s for s in _signup_sessions(event, session_ids)}
    current = {signup.session_id: signup for signup in registration.signups}
    now = utcnow()
    released: list[AgendaSession] = []
    seated: list[AgendaSession] = []
    for session_id, signup in current.items():
        keep = session_id in wanted or signup.status == SignupStatus.RELEASED
        if not keep and seats.release_signup(signup):
            released.append(signup.session)
    for session_id, session in wanted.items():
        signup = current.get(session_id)
        if signup is not None and signup.status != SignupStatus.RELEASED:
            continue
        if signup is None:
            signup = SessionSignup(session=session, status=SignupStatus.REQUESTED)
            registration.signups.append(signup)
        else:  # taken again after giving it up: the new invitation outranks the cancellation
            signup.status = SignupStatus.REQUESTED
            signup.sequence_offset += 1
        if registration.status == RegistrationStatus.CONFIRMED:
            seats.allocate_signup(signup, now)
            if signup.status == SignupStatus.CONFIRMED:
                seated.append(session)
    db.session.flush()
    registration.log("sessions changed", detail=", ".join(s.title for s in wanted.values()))
    for session in released:
        seats.promote_session_queue(session, now)
    notifications.sessions_changed(registration, seated=seated, released=released)
    db.session.commit()
    return registration


def cancel_registration(registration: Registration, actor: str = "delegate") -> Registration:
    """Cancel a registration, free its seats and promote whoever waits for them."""
    event = seats.lock_event(registration.event_id)
    registration = seats.lock_registration(registration.id)
    if not registration.status.is_active:
        raise RegistrationError("This registration is already closed.")
    had_seat = registration.status == RegistrationStatus.CONFIRMED
    notify = registration.status != RegistrationStatus.PENDING_VERIFICATION
    now = utcnow()
    released = [s.session for s in registration.active_signups if seats.release_signup(s)]
    registration.set_status(RegistrationStatus.CANCELLED, now)
    registration.log("cancelled", actor)
    db.session.flush()
    if notify:
        notifications.cancelled(registration, released, had_seat, by_delegate=actor == "delegate")
    if had_seat:
        seats.promote_event_queue(event, now)
    for session in released:
        seats.promote_session_queue(session, now)
    db.session.commit()
    return registration


# History steps of a link emailed on request, which AMF_RESEND_PER_HOUR caps.
_RESENT, _REMINDED, _REPLACED = (
    "manage link resent",
    "registered again: link sent",
    "manage link replaced",
)
_SUBMITTED_AGAIN = "submitted again"
_LINK_REQUESTS = (_RESENT, _REMINDED, _REPLACED, _SUBMITTED_AGAIN)


def resend_manage_link(event: Event, email: str) -> bool:
    """Email the manage link again to an active registration of this address.

    Returns whether one was found; callers must not reveal that to the visitor.
    """
    registration = find_active_registration(event, email)
    if registration is None:
        return False
    if _link_emails_capped(registration):
        return True
    registration.log(_RESENT)
    notifications.manage_link(registration)
    db.session.commit()
    return True


def remind_existing_registration(event: Event, email: str) -> bool:
    """Someone registered an address whose registration is verified: tell its owner.

    The form answers "check your email" either way, so it does not reveal who registered.
    The owner gets a note that nothing changed, with their manage link. Returns whether
    there was a registration. (submit_registration replaces an unverified one instead; one
    met here was submitted at the same moment, and gets its verification link again.)
    """
    registration = find_active_registration(event, email)
    if registration is None:  # cancelled or expired between the check and now
        return False
    if _link_emails_capped(registration):
        return True
    registration.log(_REMINDED)
    if registration.status == RegistrationStatus.PENDING_VERIFICATION:  # lost a race to it
        notifications.verification_requested(registration)
    else:
        notifications.already_registered(registration)
    db.session.commit()
    return True


def _link_emails_capped(registration: Registration) -> bool:
    """Whether the last hour's link emails sent on request reached AMF_RESEND_PER_HOUR.

    Enough for anyone who lost the email; more would let a stranger flood the inbox from
    many addresses, which the per-client rate limit cannot see.
    """
    from amf.registration.models import RegistrationLog

    sent = db.session.scalar(
        sa.select(sa.func.count()).where(
            RegistrationLog.registration_id == registration.id,
            RegistrationLog.action.in_(_LINK_REQUESTS),
            RegistrationLog.at >= utcnow() - timedelta(hours=1),
        )
    )
    return sent >= current_app.config["AMF_RESEND_PER_HOUR"]


def revoke_manage_link(registration: Registration) -> Registration:
    """Replace the manage link (e.g. after it was forwarded) and the personal calendar feed
    its page showed; the old addresses stop working and the new ones go by email.

    The check-in code stays: it only lets desk staff find the delegate, who shows ID.
    """
    if _link_emails_capped(registration):
        raise RegistrationError(
            "You have asked for several links in the last hour. Please try again later."
        )
    _set_manage_nonce(registration)
    set_calendar_nonce(registration)
    registration.log(_REPLACED)
    notifications.manage_link(registration, replaced=True)
    db.session.commit()
    return registration


def expire_unverified(now: datetime | None = None) -> int:
    """Close registrations whose verification window passed; they held no seat."""
    now = now or utcnow()
    stale = db.session.scalars(
        sa.select(Registration)
        .where(
            Registration.status == RegistrationStatus.PENDING_VERIFICATION,
            Registration.verify_by < now,
        )
        .with_for_update(skip_locked=True)
        .execution_options(populate_existing=True)
    ).all()
    for registration in stale:
        _expire_if_stale(registration, now)
    db.session.commit()
    return len(stale)


def _expire_if_stale(registration: Registration, now: datetime) -> bool:
    """Expire a registration whose verification window has passed (it holds nothing)."""
    if (
        registration.status != RegistrationStatus.PENDING_VERIFICATION
        or registration.verify_by >= now
    ):
        return False
    registration.set_status(RegistrationStatus.EXPIRED, now)
    registration.signups.clear()
    registration.log("expired", "system")
    db.session.flush()
    return True


# ---------------------------------------------------------------- helpers


def _detail_fields(details: DelegateDetails) -> dict:
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


def _apply_details(
    registration: Registration,
    details: DelegateDetails,
    city: PilotCity | None,
    officer: Officer | None,
) -> None:
    """Write the delegate's own columns and their (checked) city and officer."""
    for name, value in _detail_fields(details).items():
        setattr(registration, name, value)
    registration.city, registration.officer = city, officer


def _check_city_and_officer(details: DelegateDetails) -> tuple[PilotCity | None, Officer | None]:
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


def _signup_sessions(event: Event, session_ids: Iterable[int]) -> list[AgendaSession]:
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
