"""Registrations: the filtered list, a delegate's record, decisions, exports, the dashboard."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from amf.accounts.access import STAFF, requires
from amf.cities.choices import delegation_choices
from amf.cities.services import list_member_states_with_cities
from amf.form_fields import ConfirmForm
from amf.organiser import charts, forms
from amf.organiser import dashboard as dashboard_service
from amf.organiser import registrations as registration_service
from amf.organiser.spreadsheet import csv_bytes, download, xlsx_bytes
from amf.organiser.views import bp
from amf.organiser.views.events import event_or_404
from amf.registration import seats
from amf.registration.forms import CorrectDetailsForm
from amf.registration.models import DelegateCategory, RegistrationStatus
from amf.registration.services import RegistrationError


@bp.get("/events/<int:event_id>/")
@requires(*STAFF)
def dashboard(event_id: int):
    """Counts, a chart of registrations over time, and session fill rates."""
    event = event_or_404(event_id)
    numbers = dashboard_service.event_dashboard(event)
    return render_template(
        "organiser/dashboard.html",
        event=event,
        numbers=numbers,
        over_time=charts.cumulative_line(numbers.by_day),
        states_chart=charts.bars(numbers.by_member_state),
        categories_chart=charts.bars(numbers.by_category),
    )


@bp.get("/events/<int:event_id>/registrations")
@requires(*STAFF)
def registrations(event_id: int):
    """Registrations, filtered, searched and paged."""
    event = event_or_404(event_id)
    filters = registration_service.RegistrationFilters.from_args(request.args)
    return render_template(
        "organiser/registrations.html",
        event=event,
        filters=filters,
        page=registration_service.list_registrations(event, filters),
        statuses=list(RegistrationStatus),
        categories=list(DelegateCategory),
        member_states=list_member_states_with_cities(),
        args={k: v for k, v in request.args.items() if k != "page"},
    )


@bp.get("/events/<int:event_id>/registrations.<any(csv, xlsx):fmt>")
@requires(*STAFF)
def export_registrations(event_id: int, fmt: str):
    """The filtered registrations as CSV (UTF-8 with BOM) or XLSX."""
    event = event_or_404(event_id)
    header, rows = registration_service.export_rows(
        event, registration_service.RegistrationFilters.from_args(request.args)
    )
    name = f"{event.slug}-registrations.{fmt}"
    if fmt == "csv":
        return download(csv_bytes(header, rows), name)
    return download(xlsx_bytes("Registrations", header, rows), name)


@bp.get("/events/<int:event_id>/registrations/<int:registration_id>")
@requires(*STAFF)
def registration_detail(event_id: int, registration_id: int):
    """A delegate's record, history and the actions open to organisers."""
    event = event_or_404(event_id)
    registration = registration_service.get_registration(event, registration_id) or abort(404)
    return _detail_page(event, registration)


def _detail_page(event, registration, details_form=None, status: int = 200):
    waitlisted = registration.status == RegistrationStatus.WAITLISTED
    if details_form is None and registration.status.is_active:
        details_form = CorrectDetailsForm.showing(registration, delegation_choices())
    return render_template(
        "organiser/registration.html",
        event=event,
        registration=registration,
        reject_form=forms.RejectForm(),
        confirm_form=ConfirmForm(),
        cancel_form=forms.CancelRegistrationForm(),
        details_form=details_form,
        seats_taken=seats.seats_taken(event) if waitlisted else None,
    ), status


@bp.post("/events/<int:event_id>/registrations/<int:registration_id>/details")
@requires(*STAFF)
def correct_details(event_id: int, registration_id: int):
    """Correct a delegate's details, those the organisers approved included."""
    event = event_or_404(event_id)
    registration = registration_service.get_registration(event, registration_id) or abort(404)
    form = CorrectDetailsForm()
    form.set_cities(delegation_choices())
    if form.validate_on_submit():
        try:
            registration_service.correct_details(
                registration, form.details(registration.email, []), current_user
            )
        except RegistrationError as exc:
            form.form_errors.append(str(exc))
        else:
            flash("Details corrected.", "info")
            return redirect(
                url_for(".registration_detail", event_id=event.id, registration_id=registration.id),
                code=303,
            )
    return _detail_page(event, registration, form, 422)


_ACTION_FORMS = {"reject": forms.RejectForm, "cancel": forms.CancelRegistrationForm}


@bp.post(
    "/events/<int:event_id>/registrations/<int:registration_id>/"
    "<any(approve, reject, promote, cancel, resend):action>"
)
@requires(*STAFF)
def registration_action(event_id: int, registration_id: int, action: str):
    """Approve, reject, move up from the waiting list, cancel, or resend the confirmation."""
    event = event_or_404(event_id)
    registration = registration_service.get_registration(event, registration_id) or abort(404)
    form = _ACTION_FORMS.get(action, ConfirmForm)()
    if form.validate_on_submit():
        reason = form.reason.data or "" if action == "reject" else ""
        try:
            registration_service.act(registration, action, current_user, reason)
        except RegistrationError as exc:
            flash(str(exc), "error")
        else:
            flash(f"Done: {action}. The delegate has been emailed.", "info")
    else:
        for errors in form.errors.values():
            flash(" ".join(errors), "error")
    return redirect(
        url_for(".registration_detail", event_id=event.id, registration_id=registration_id),
        code=303,
    )
