"""A delegate's ways in: the manage link and the calendar feed, found, resent, replaced."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import selectinload

from amf.cities.models import PilotCity
from amf.db import utcnow
from amf.events.models import Event
from amf.extensions import db
from amf.registration import notifications
from amf.registration.models import (
    Registration,
    RegistrationLog,
    RegistrationStatus,
    SessionSignup,
)
from amf.registration.states import ACTIVE_STATUSES, RegistrationError
from amf.registration.tokens import calendar_token, hash_secret, manage_token, new_nonce


def set_manage_nonce(registration: Registration) -> None:
    """Give the registration a new manage link; the previous one stops working."""
    registration.manage_nonce = new_nonce()
    registration.manage_token_hash = hash_secret(manage_token(registration))


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


def find_active_registration(event: Event, email: str) -> Registration | None:
    """The active registration of this address for the event, if any (case-insensitive)."""
    return db.session.scalars(
        sa.select(Registration).where(
            Registration.event_id == event.id,
            sa.func.lower(Registration.email) == email.strip().lower(),
            Registration.status.in_(ACTIVE_STATUSES),
        )
    ).first()


# History steps of a link emailed on request, which AMF_RESEND_PER_HOUR caps.
RESENT, REMINDED, REPLACED = (
    "manage link resent",
    "registered again: link sent",
    "manage link replaced",
)
SUBMITTED_AGAIN = "submitted again"
_LINK_REQUESTS = (RESENT, REMINDED, REPLACED, SUBMITTED_AGAIN)


def resend_manage_link(event: Event, email: str) -> bool:
    """Email the manage link again to an active registration of this address.

    Returns whether one was found; callers must not reveal that to the visitor.
    """
    registration = find_active_registration(event, email)
    if registration is None:
        return False
    if link_emails_capped(registration):
        return True
    registration.log(RESENT)
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
    if link_emails_capped(registration):
        return True
    registration.log(REMINDED)
    if registration.status == RegistrationStatus.PENDING_VERIFICATION:  # lost a race to it
        notifications.verification_requested(registration)
    else:
        notifications.already_registered(registration)
    db.session.commit()
    return True


def link_emails_capped(registration: Registration) -> bool:
    """Whether the last hour's link emails sent on request reached AMF_RESEND_PER_HOUR.

    Enough for anyone who lost the email; more would let a stranger flood the inbox from
    many addresses, which the per-client rate limit cannot see.
    """
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
    if link_emails_capped(registration):
        raise RegistrationError(
            "You have asked for several links in the last hour. Please try again later."
        )
    set_manage_nonce(registration)
    set_calendar_nonce(registration)
    registration.log(REPLACED)
    notifications.manage_link(registration, replaced=True)
    db.session.commit()
    return registration
