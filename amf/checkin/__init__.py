"""Check-in at the venue: codes, the check-in screen and name badges."""

from flask import Blueprint

from amf.accounts.access import guard

bp = guard(Blueprint("checkin", __name__, url_prefix="/organiser/checkin"))

from amf.checkin import views  # noqa: E402,F401
