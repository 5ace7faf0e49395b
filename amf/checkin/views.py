"""The check-in screen (phone-friendly) and printable badges."""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, request, url_for
from flask_login import current_user
from markupsafe import Markup

from amf.accounts.access import CHECKIN, STAFF, guard, requires
from amf.checkin import services
from amf.events.models import Event
from amf.extensions import db
from amf.form_fields import ConfirmForm
from amf.registration.passes import CheckinPass, checkin_code, qr_svg

bp = guard(Blueprint("checkin", __name__, url_prefix="/organiser/checkin"))


@bp.app_template_global()
def checkin_code_for(registration):
    """The confirmed delegate's code and QR (SVG made by segno from our own code)."""
    if registration.status.value != "confirmed":
        return None
    checkin_pass = db.session.get(CheckinPass, registration.id)
    if checkin_pass is None:
        return None
    code = checkin_code(checkin_pass)
    return {"code": code, "svg": Markup(qr_svg(code))}  # noqa: S704 - segno output, code is ours


@bp.get("/")
@requires(*CHECKIN)
def screen():
    """Choose the event to check in for."""
    events = services.events_for_checkin()
    if len(events) == 1:
        return redirect(url_for(".desk", event_id=events[0].id))
    return render_template("checkin/choose.html", events=events)


@bp.route("/<int:event_id>", methods=["GET", "POST"])
@requires(*CHECKIN)
def desk(event_id: int):
    """Scan or type a code, or search by name; the result is shown big enough to read."""
    event = db.get_or_404(Event, event_id)
    form = ConfirmForm()
    result = None
    if request.method == "POST" and form.validate_on_submit():
        registration_id = request.form.get("registration_id", type=int)  # bounded: amf.inputs
        if registration_id is not None:
            result = services.check_in_registration(event, registration_id, current_user)
        else:
            result = services.check_in_code(event, request.form.get("code", ""), current_user)
    query = request.args.get("q", "")
    found = services.search_delegates(event, query)
    status = 200 if result is None or result.outcome in ("checked_in", "already") else 422
    return render_template(
        "checkin/desk.html",
        event=event,
        form=form,
        result=result,
        query=query,
        found=found,
        arrived=services.checked_in_ids(found),
        counts=services.counts_by_city(event),
    ), status


@bp.get("/<int:event_id>/badges")
@requires(*STAFF)
def badges(event_id: int):
    """Name badges of every confirmed delegate, ready to print."""
    event = db.get_or_404(Event, event_id)
    return render_template(
        "checkin/badges.html", event=event, registrations=services.badge_registrations(event)
    )
