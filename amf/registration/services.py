"""The registration feature's operations, in one place for views, the back office and tests.

Each lives where it belongs: state changes in transitions.py (the moves themselves are the
table in states.py, made by the model's methods), the delegate's ways in (manage link,
calendar feed) in links.py, what the delegate tells us in details.py.
"""

from __future__ import annotations

from amf.registration.details import DelegateDetails, update_details
from amf.registration.links import (
    find_active_registration,
    get_by_calendar_token,
    get_by_manage_token,
    regenerate_calendar_token,
    remind_existing_registration,
    resend_manage_link,
    revoke_manage_link,
)
from amf.registration.states import RegistrationError
from amf.registration.tokens import calendar_token, manage_token
from amf.registration.transitions import (
    AlreadyRegistered,
    RegistrationClosed,
    Verified,
    approve_registration,
    cancel_registration,
    change_sessions,
    expire_unverified,
    promote_registration,
    reject_registration,
    submit_registration,
    verify_registration,
)

__all__ = [
    "AlreadyRegistered",
    "DelegateDetails",
    "RegistrationClosed",
    "RegistrationError",
    "Verified",
    "approve_registration",
    "calendar_token",
    "cancel_registration",
    "change_sessions",
    "expire_unverified",
    "find_active_registration",
    "get_by_calendar_token",
    "get_by_manage_token",
    "manage_token",
    "promote_registration",
    "regenerate_calendar_token",
    "reject_registration",
    "remind_existing_registration",
    "resend_manage_link",
    "revoke_manage_link",
    "submit_registration",
    "update_details",
    "verify_registration",
]
