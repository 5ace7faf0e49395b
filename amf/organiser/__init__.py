"""The organiser back office: events, agendas, delegations, mail and the dashboard."""

from amf.organiser.views import (  # noqa: F401 - each module adds its routes to bp
    agenda,
    bp,
    delegations,
    events,
    home,
    outbox,
    registrations,
)
