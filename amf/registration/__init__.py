"""Delegate registration: the form, email verification, self-service and the waiting list."""

from amf.registration.views import bp  # noqa: F401
