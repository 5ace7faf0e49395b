"""A delegate's own addresses: manage page, personal calendar feed, verification link."""

from __future__ import annotations

from amf.registration.models import Registration
from amf.registration.tokens import calendar_token, make_verification_token, manage_token
from amf.urls import absolute_url


def manage_url(registration: Registration) -> str:
    """The delegate's manage page."""
    return absolute_url("registration.manage", token=manage_token(registration))


def personal_feed_url(registration: Registration) -> str:
    """The delegate's personal calendar feed (https://; any calendar can subscribe to it)."""
    return absolute_url("calendar.personal_feed", token=calendar_token(registration))


def verification_url(registration: Registration) -> str:
    """The link that proves the address, valid until the manage link is replaced."""
    token = make_verification_token(registration.id, registration.email, registration.manage_nonce)
    return absolute_url("registration.verify", token=token)
