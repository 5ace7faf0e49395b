"""The organiser back office: events, agendas, delegations, mail and the dashboard."""

from flask import Blueprint

from amf.accounts.access import guard

bp = guard(Blueprint("organiser", __name__, url_prefix="/organiser"))

from amf.organiser.views import (  # noqa: E402,F401
    agenda,
    delegations,
    events,
    home,
    outbox,
    registrations,
)
