"""Delegates' pages: register, verify, resend the link, and the self-service manage page."""

from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    current_app,
    redirect,
    render_template,
    request,
    session,
    url_for,
)

from amf.cities.choices import delegation_choices
from amf.events.models import Event
from amf.events.services import get_public_event, registration_state
from amf.extensions import limiter
from amf.registration import forms, queues, seats, services
from amf.registration.models import Registration, RegistrationStatus
from amf.registration.tokens import ExpiredLink, InvalidLink
from amf.security import no_store

bp = Blueprint("registration", __name__)

_CHECK_EMAIL_KEY = "amf_check_email"
# Pages that show a secret link (manage, calendar, check-in code) or the delegate's address.
_PRIVATE_PAGES = {
    "registration.check_email",
    "registration.verify",
    "registration.manage",
    "registration.update_details",
    "registration.update_sessions",
    "registration.cancel",
    "registration.replace_link",
}


@bp.after_request
def _keep_private_pages_out_of_caches(response):
    if request.endpoint in _PRIVATE_PAGES:
        no_store(response)
    return response


def _form_rate_limit() -> str:
    return current_app.config["AMF_FORM_RATE_LIMIT"]


def _event_or_404(slug: str) -> Event:
    event = get_public_event(slug)
    if event is None:
        abort(404)
    return event


def _prepare(form, event: Event) -> None:
    """Fill a form's choices: cities, officers and the sessions that take sign-ups."""
    if hasattr(form, "set_cities"):
        form.set_cities(delegation_choices())
    if hasattr(form, "set_sessions"):
        sessions, labels = seats.signup_choices(event)
        form.set_sessions(sessions, labels)


@bp.route("/events/<slug:slug>/register", methods=["GET", "POST"])
@limiter.limit(_form_rate_limit, methods=["POST"])
def register(slug: str):
    """The registration form."""
    event = _event_or_404(slug)
    state = registration_state(event)
    if state != "open":
        return render_template("registration/closed.html", event=event, state=state)
    form = forms.RegistrationForm()
    _prepare(form, event)
    if form.validate_on_submit():
        email = form.email.data
        try:
            services.submit_registration(event, form.details(email, form.sessions.data or []))
        except services.AlreadyRegistered:
            # The same answer as a new registration: the form does not tell a stranger who
            # is registered. The address's owner gets their link by email instead.
            services.remind_existing_registration(event, email)
        except services.RegistrationError as exc:
            form.form_errors.append(str(exc))
        if not form.form_errors:
            session[_CHECK_EMAIL_KEY] = email.strip().lower()
            return redirect(url_for(".check_email", slug=slug), code=303)
    status = 422 if request.method == "POST" else 200
    return render_template("registration/register.html", event=event, form=form), status


@bp.get("/events/<slug:slug>/register/check-email")
def check_email(slug: str):
    """After submitting: look for the verification email."""
    event = _event_or_404(slug)
    return render_template(
        "registration/check_email.html", event=event, email=session.get(_CHECK_EMAIL_KEY)
    )


@bp.route("/events/<slug:slug>/register/resend", methods=["GET", "POST"])
@limiter.limit(_form_rate_limit, methods=["POST"])
def resend_link(slug: str):
    """Email the manage link again; the answer never reveals whether the address is known."""
    event = _event_or_404(slug)
    form = forms.ResendLinkForm()
    if form.validate_on_submit():
        services.resend_manage_link(event, form.email.data)
        return render_template("registration/resend_sent.html", event=event)
    return render_template("registration/resend.html", event=event, form=form)


@bp.get("/registrations/verify/<token>")
def verify(token: str):
    """Follow the link from the verification email."""
    try:
        result = services.verify_registration(token)
    except ExpiredLink:
        return render_template("registration/link_problem.html", problem="expired"), 410
    except InvalidLink:
        return render_template("registration/link_problem.html", problem="invalid"), 404
    if result.registration.status == RegistrationStatus.EXPIRED:
        return render_template("registration/link_problem.html", problem="expired"), 410
    return render_template(
        "registration/verified.html",
        registration=result.registration,
        already_verified=result.already_verified,
        manage_token=services.manage_token(result.registration),
    )


def _registration_or_404(token: str) -> Registration:
    registration = services.get_by_manage_token(token)
    if registration is None:
        abort(404)
    return registration


def _manage_page(registration: Registration, token: str, status: int = 200, **forms_given):
    event = registration.event
    details = forms_given.get("details_form")
    if details is None:
        details = forms.EditDetailsForm.showing(registration, delegation_choices())
    sessions = forms_given.get("sessions_form") or forms.SessionsForm(
        sessions=[s.session_id for s in registration.active_signups], formdata=None
    )
    cancel = forms_given.get("cancel_form") or forms.CancelForm(formdata=None)
    for form in (details, sessions):
        _prepare(form, event)
    return render_template(
        "registration/manage.html",
        registration=registration,
        event=event,
        token=token,
        details_form=details,
        sessions_form=sessions,
        cancel_form=cancel,
        saved=request.args.get("saved"),
        replace_error=forms_given.get("replace_error"),
        waiting_positions=queues.waiting_positions(registration),
        event_position=queues.event_waiting_position(registration),
    ), status


@bp.get("/registrations/<token:token>")
def manage(token: str):
    """A delegate's own registration, reached by the secret link in their email."""
    return _manage_page(_registration_or_404(token), token)


@bp.post("/registrations/<token:token>/details")
@limiter.limit(_form_rate_limit)
def update_details(token: str):
    """Save the delegate's own details."""
    registration = _registration_or_404(token)
    form = forms.EditDetailsForm()
    _prepare(form, registration.event)
    if form.validate_on_submit():
        try:
            services.update_details(registration, form.details(registration.email, []))
        except services.RegistrationError as exc:
            form.form_errors.append(str(exc))
        else:
            return redirect(url_for(".manage", token=token, saved="details"), code=303)
    return _manage_page(registration, token, 422, details_form=form)


@bp.post("/registrations/<token:token>/sessions")
@limiter.limit(_form_rate_limit)
def update_sessions(token: str):
    """Save the delegate's choice of sessions."""
    registration = _registration_or_404(token)
    form = forms.SessionsForm()
    _prepare(form, registration.event)
    if form.validate_on_submit():
        try:
            services.change_sessions(registration, form.sessions.data or [])
        except services.RegistrationError as exc:
            form.form_errors.append(str(exc))
        else:
            return redirect(url_for(".manage", token=token, saved="sessions"), code=303)
    return _manage_page(registration, token, 422, sessions_form=form)


@bp.post("/registrations/<token:token>/replace-link")
@limiter.limit(_form_rate_limit)
def replace_link(token: str):
    """Replace the manage link (it was forwarded, say): the new one goes by email."""
    registration = _registration_or_404(token)
    if not forms.ReplaceLinkForm().validate_on_submit():
        abort(400)
    try:
        services.revoke_manage_link(registration)
    except services.RegistrationError as exc:
        return _manage_page(registration, token, 429, replace_error=str(exc))
    return render_template("registration/link_replaced.html", event=registration.event)


@bp.post("/registrations/<token:token>/cancel")
@limiter.limit(_form_rate_limit)
def cancel(token: str):
    """Cancel the registration."""
    registration = _registration_or_404(token)
    form = forms.CancelForm()
    if form.validate_on_submit():
        try:
            services.cancel_registration(registration)
        except services.RegistrationError as exc:
            form.form_errors.append(str(exc))
        else:
            return redirect(url_for(".manage", token=token, saved="cancelled"), code=303)
    return _manage_page(registration, token, 422, cancel_form=form)
