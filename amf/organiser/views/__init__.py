"""The back office's screens, one module per area, on one guarded blueprint."""

from flask import Blueprint

from amf.accounts.access import guard

bp = guard(Blueprint("organiser", __name__, url_prefix="/organiser"))
