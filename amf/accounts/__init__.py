"""Organiser accounts: sign-in, roles, and the admins' account screens."""

from flask import Blueprint

from amf.accounts.access import guard

bp = guard(Blueprint("accounts", __name__, url_prefix="/organiser"))

from amf.accounts import views  # noqa: E402,F401
