"""iCalendar for agendas: feeds, downloads and the invitations emails carry."""

from flask import Blueprint

bp = Blueprint("calendar", __name__)

from amf.calendar import links, views  # noqa: E402,F401
