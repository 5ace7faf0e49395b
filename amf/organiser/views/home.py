"""The back office's front page: every event."""

from __future__ import annotations

from flask import render_template

from amf.accounts.access import STAFF, requires
from amf.organiser import event_admin
from amf.organiser.views import bp


@bp.get("/")
@requires(*STAFF)
def home():
    """Every event, newest first."""
    return render_template("organiser/home.html", events=event_admin.list_events())
