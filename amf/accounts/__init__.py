"""Organiser accounts: sign-in, roles, and the admins' account screens."""

from flask import Blueprint

from amf.accounts.access import guard, may_open

bp = guard(Blueprint("accounts", __name__, url_prefix="/organiser"))
bp.add_app_template_global(may_open)

from amf.accounts import views  # noqa: E402,F401
