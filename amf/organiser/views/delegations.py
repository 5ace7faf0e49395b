"""The per-city delegation overview and officers' contact details."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user

from amf.accounts.access import STAFF, requires
from amf.cities.models import Officer
from amf.events.models import Event
from amf.extensions import db
from amf.organiser import delegations as delegation_service
from amf.organiser import event_admin, forms
from amf.organiser.views import bp


@bp.get("/delegations")
@requires(*STAFF)
def delegations():
    """All 26 pilot cities for one event; cities with no delegation stand out."""
    events = event_admin.list_events()
    event_id = request.args.get("event", type=int) or (events[0].id if events else None)
    event = db.session.get(Event, event_id) if event_id else None
    overview = delegation_service.delegation_overview(event) if event else []
    return render_template(
        "organiser/delegations.html",
        events=events,
        selected=event,
        overview=overview,
        missing=sum(1 for d in overview if not d.has_delegation),
    )


@bp.route("/officers/<int:officer_id>", methods=["GET", "POST"])
@requires(*STAFF)
def edit_officer(officer_id: int):
    """An officer's email and phone."""
    officer = db.get_or_404(Officer, officer_id)
    form = forms.OfficerContactForm(obj=officer if request.method == "GET" else None)
    if form.validate_on_submit():
        delegation_service.update_officer_contact(
            officer, form.email.data or "", form.phone.data or "", current_user
        )
        flash(f"Saved {officer.name}'s contact details.", "info")
        return redirect(url_for(".delegations", event=request.args.get("event")), code=303)
    status = 422 if request.method == "POST" else 200
    return render_template("organiser/officer_form.html", officer=officer, form=form), status
