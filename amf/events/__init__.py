"""Public event pages: event, agenda, sessions and speakers."""

from flask import Blueprint

bp = Blueprint("events", __name__, url_prefix="/events")

from amf.events import views  # noqa: E402,F401
