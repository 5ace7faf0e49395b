"""The audit log and its viewer for admins."""

from flask import Blueprint

from amf.accounts.access import guard

bp = guard(Blueprint("audit", __name__, url_prefix="/organiser/audit"))

from amf.audit import views  # noqa: E402,F401
