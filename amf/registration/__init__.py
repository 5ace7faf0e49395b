"""Delegate registration: the form, email verification, self-service and the waiting list."""

from flask import Blueprint

bp = Blueprint("registration", __name__)

from amf.registration import views  # noqa: E402,F401
