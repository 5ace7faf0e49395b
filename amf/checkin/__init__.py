"""Check-in at the venue: the check-in screen and name badges (passes: registration/passes.py)."""

from amf.checkin.views import bp  # noqa: F401
