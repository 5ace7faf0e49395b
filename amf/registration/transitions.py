"""Every change of a registration's state, each one transaction that also queues its email.

Seats are allocated under a row lock on the event (SELECT ... FOR UPDATE on PostgreSQL):
verification, approval, cancellation, session changes and promotion of the same event
take turns, so the last seat cannot be given twice nor left stranded. SQLite serialises
writers but does not lock rows on read; the concurrency guarantees hold on PostgreSQL.
Which moves are allowed, and by whom, is the table in amf.registration.states.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app

from amf.cities.models import Officer, PilotCity
from amf.db import utcnow
from amf.events.models import AgendaSession, Event
from amf.events.services import registration_state
from amf.extensions import db
from amf.registration import notifications, seats
from amf.registration.details import (
    DelegateDetails,
    apply_details,
    check_city_and_officer,
    detail_fields,
    signup_sessions,
)
from amf.registration.links import (
    SUBMITTED_AGAIN,
    find_active_registration,
    link_emails_capped,
    set_calendar_nonce,
    set_manage_nonce,
)
from amf.registration.models import (
    Registration,
    RegistrationStatus,
    SessionSignup,
    SignupStatus,
)
from amf.registration.states import DELEGATE, Actor, RegistrationError
from amf.registration.tokens import (
    InvalidLink,
    link_digest,
    new_reference,
    read_verification_token,
)


class RegistrationClosed(RegistrationError):
    """The event does not take registrations now."""


class AlreadyRegistered(RegistrationError):
    """This email already has an active registration for the event."""


@dataclass
class Verified:
    """The outcome of following a verification link."""

    registration: Registration
    already_verified: bool = False


def submit_registration(event: Event, details: DelegateDetails) -> Registration:
    """Store a registration awaiting email verification and queue the verification email."""
    now = utcnow()
    if registration_state(event, now) != "open":
        raise RegistrationClosed("This event is not taking registrations.")
    email = details.email.strip().lower()
    # Every check of the form's values comes before the address is looked up: an error
    # shown only for unknown addresses would tell a stranger which ones are registered.
    city, officer = check_city_and_officer(details)
    sessions = signup_sessions(event, details.session_ids)
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
        **detail_fields(details),
    )
    set_manage_nonce(registration)
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
    if link_emails_capped(registration):
        return registration
    apply_details(registration, details, city, officer)
    registration.verify_by = now + timedelta(hours=current_app.config["AMF_VERIFY_HOURS"])
    registration.signups = [
        SessionSignup(session=s, status=SignupStatus.REQUESTED) for s in sessions
    ]
    registration.log(SUBMITTED_AGAIN)
    notifications.verification_requested(registration)
    db.session.commit()
    return registration


def verify_registration(token: str) -> Verified:
    """Confirm the email behind a verification link; raises InvalidLink or ExpiredLink."""
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
    registration.mark_verified(now)
    if event.requires_approval:
        registration.await_approval(now)
        notifications.awaiting_approval(registration)
    else:
        seats.admit(event, registration, now)
    db.session.commit()
    return Verified(registration)


def approve_registration(registration: Registration, actor: Actor) -> Registration:
    """Admit a delegate awaiting approval: confirmed if a seat is free, else waitlisted."""
    event = seats.lock_event(registration.event_id)
    registration = seats.lock_registration(registration.id)
    registration.approve(actor)
    seats.admit(event, registration, utcnow())
    db.session.commit()
    return registration


def promote_registration(registration: Registration, actor: Actor) -> Registration:
    """An organiser gives a waitlisted delegate a seat now, even past the event's capacity."""
    seats.lock_event(registration.event_id)
    registration = seats.lock_registration(registration.id)
    registration.move_up(actor)
    seats.confirm(registration, utcnow(), promoted=True)
    db.session.commit()
    return registration


def reject_registration(registration: Registration, actor: Actor, reason: str = "") -> Registration:
    """Decline a delegate awaiting approval."""
    seats.lock_event(registration.event_id)
    registration = seats.lock_registration(registration.id)
    registration.reject(actor, utcnow(), reason)
    notifications.rejected(registration, reason)
    db.session.commit()
    return registration


def change_sessions(registration: Registration, session_ids: Iterable[int]) -> Registration:
    """Replace the sessions a delegate signed up for; freed seats go to the next in line."""
    event = seats.lock_event(registration.event_id)
    registration = seats.lock_registration(registration.id)
    registration.check_open()
    wanted = {s.id: s for s in signup_sessions(event, session_ids)}
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


def cancel_registration(registration: Registration, actor: Actor = DELEGATE) -> Registration:
    """Cancel a registration, free its seats and promote whoever waits for them."""
    event = seats.lock_event(registration.event_id)
    registration = seats.lock_registration(registration.id)
    had_seat = registration.status == RegistrationStatus.CONFIRMED
    notify = registration.status != RegistrationStatus.PENDING_VERIFICATION
    now = utcnow()
    registration.cancel(actor, now)
    released = [s.session for s in registration.active_signups if seats.release_signup(s)]
    db.session.flush()
    if notify:
        notifications.cancelled(registration, released, had_seat, by_delegate=actor.is_delegate)
    if had_seat:
        seats.promote_event_queue(event, now)
    for session in released:
        seats.promote_session_queue(session, now)
    db.session.commit()
    return registration


# History steps of a link emailed on request, which AMF_RESEND_PER_HOUR caps.


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
    registration.expire(now)
    registration.signups.clear()
    db.session.flush()
    return True
