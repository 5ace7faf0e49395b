"""The agenda editor: the programme by day and room, sessions, conflicts, CSV in and out."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user

from amf.accounts.access import STAFF, requires
from amf.events.models import AgendaSession, SessionKind
from amf.extensions import db
from amf.form_fields import ConfirmForm
from amf.notices.services import pending_runs
from amf.organiser import agenda as agenda_service
from amf.organiser import agenda_csv, agenda_import, forms
from amf.organiser.agenda_grid import agenda_grid
from amf.organiser.spreadsheet import download
from amf.organiser.views import bp
from amf.organiser.views.events import event_or_404
from amf.timezones import to_local


@bp.get("/events/<int:event_id>/agenda")
@requires(*STAFF)
def agenda(event_id: int):
    """Every day as a grid of rooms, with the conflicts listed above it."""
    event = event_or_404(event_id)
    sessions = agenda_service.load_sessions(event)
    conflicts = agenda_service.find_conflicts(sessions)
    return render_template(
        "organiser/agenda.html",
        event=event,
        days=agenda_grid(event, sessions),
        conflicts=conflicts,
        conflicted={s.id for c in conflicts for s in (c.first, c.second)},
        runs=pending_runs(event),
        confirm_form=ConfirmForm(),
    )


def _session_or_404(event_id: int, session_id: int) -> AgendaSession:
    session = db.get_or_404(AgendaSession, session_id)
    if session.event_id != event_id:
        from flask import abort

        abort(404)
    return session


def _session_form(event, session=None) -> forms.SessionForm:
    form = forms.SessionForm(obj=session if request.method == "GET" else None)
    form.set_choices(event)
    if request.method == "GET" and session is not None:
        start, end = (to_local(t, event.timezone) for t in (session.starts_at, session.ends_at))
        form.day.data, form.start.data, form.end.data = (
            start.date().isoformat(),
            start.time(),
            end.time(),
        )
        form.kind.data = session.kind.value
        form.room_id.data, form.track_id.data = session.room_id, session.track_id
        form.speaker_ids.data = [s.id for s in session.speakers]
    elif request.method == "GET" and request.args.get("day"):
        form.day.data = request.args["day"]
    return form


def _report(result: agenda_service.SaveResult) -> None:
    flash(f"Saved “{result.session.title}”.", "info")
    if result.notified:
        flash(f"{result.notified} signed-up delegate(s) are being sent the update.", "info")
    for conflict in result.conflicts:
        flash(f"Conflict: {conflict.message}", "warning")


@bp.route("/events/<int:event_id>/sessions/new", methods=["GET", "POST"])
@requires(*STAFF)
def new_session(event_id: int):
    """Add a session."""
    event = event_or_404(event_id)
    form = _session_form(event)
    if form.validate_on_submit():
        try:
            result = agenda_service.create_session(event, form.data_object(), current_user)
        except agenda_service.AgendaError as exc:
            _attach_errors(form, exc)
        else:
            _report(result)
            return redirect(
                url_for(".edit_session", event_id=event.id, session_id=result.session.id), code=303
            )
    status = 422 if request.method == "POST" else 200
    return render_template(
        "organiser/session_form.html", event=event, form=form, session=None
    ), status


@bp.route("/events/<int:event_id>/sessions/<int:session_id>", methods=["GET", "POST"])
@requires(*STAFF)
def edit_session(event_id: int, session_id: int):
    """Change a session; its conflicts are shown under the form."""
    event = event_or_404(event_id)
    session = _session_or_404(event.id, session_id)
    form = _session_form(event, session)
    if form.validate_on_submit():
        try:
            result = agenda_service.update_session(session, form.data_object(), current_user)
        except agenda_service.AgendaError as exc:
            _attach_errors(form, exc)
        else:
            _report(result)
            return redirect(
                url_for(".edit_session", event_id=event.id, session_id=session.id), code=303
            )
    status = 422 if request.method == "POST" else 200
    return render_template(
        "organiser/session_form.html",
        event=event,
        form=form,
        session=session,
        conflicts=agenda_service.conflicts_for(event, session.id),
        confirm_form=ConfirmForm(),
    ), status


@bp.post("/events/<int:event_id>/sessions/<int:session_id>/cancel")
@requires(*STAFF)
def cancel_session(event_id: int, session_id: int):
    """Call a session off; delegates who signed up get a calendar cancellation."""
    session = _session_or_404(event_id, session_id)
    if ConfirmForm().validate_on_submit():
        try:
            notified = agenda_service.cancel_session(session, current_user)
        except agenda_service.AgendaError as exc:
            flash(str(exc), "error")
        else:
            flash(f"“{session.title}” is cancelled; {notified} delegate(s) notified.", "info")
    return redirect(url_for(".agenda", event_id=event_id), code=303)


@bp.post("/events/<int:event_id>/sessions/<int:session_id>/delete")
@requires(*STAFF)
def delete_session(event_id: int, session_id: int):
    """Delete a session nobody signed up for."""
    session = _session_or_404(event_id, session_id)
    if ConfirmForm().validate_on_submit():
        try:
            agenda_service.delete_session(session, current_user)
        except agenda_service.AgendaError as exc:
            flash(str(exc), "error")
            return redirect(
                url_for(".edit_session", event_id=event_id, session_id=session_id), code=303
            )
        flash("Session deleted.", "info")
    return redirect(url_for(".agenda", event_id=event_id), code=303)


@bp.route("/events/<int:event_id>/agenda/import", methods=["GET", "POST"])
@requires(*STAFF)
def import_agenda(event_id: int):
    """Upload a CSV of sessions and see every row checked; nothing is written yet."""
    event = event_or_404(event_id)
    form = forms.ImportForm()
    preview = text = None
    if form.validate_on_submit():
        try:
            text = agenda_import.decode_upload(form.file.data.read())
        except UnicodeDecodeError:
            form.form_errors.append("Save the file as CSV UTF-8 and try again.")
        else:
            preview = agenda_import.preview_import(event, text)
    status = 422 if request.method == "POST" and (preview is None or not preview.ok) else 200
    return render_template(
        "organiser/import.html",
        event=event,
        form=form,
        preview=preview,
        csv_text=text,
        confirm_form=ConfirmForm(),
        kinds=list(SessionKind),
        actions=agenda_import.RowAction,
    ), status


@bp.post("/events/<int:event_id>/agenda/import/confirm")
@requires(*STAFF)
def confirm_import(event_id: int):
    """Import the previewed file: new rows created, changed ones updated, the rest left be."""
    event = event_or_404(event_id)
    if ConfirmForm().validate_on_submit():
        try:
            result = agenda_import.import_sessions(
                event,
                request.form.get("csv_text", ""),
                current_user,
                revision=request.form.get("revision", None, type=int),
            )
        except agenda_import.ImportRefused as exc:
            flash(str(exc), "error")
            return redirect(url_for(".import_agenda", event_id=event.id), code=303)
        flash(
            f"Imported: {result.created} new, {result.updated} updated, "
            f"{result.unchanged} unchanged session(s).",
            "info",
        )
        if result.notified:
            flash(f"{result.notified} signed-up delegate(s) are being sent the update.", "info")
    return redirect(url_for(".agenda", event_id=event.id), code=303)


@bp.get("/events/<int:event_id>/agenda.csv")
@requires(*STAFF)
def export_agenda(event_id: int):
    """The agenda as CSV."""
    event = event_or_404(event_id)
    return download(agenda_csv.export_agenda(event), f"{event.slug}-agenda.csv")


def _attach_errors(form: forms.SessionForm, exc: agenda_service.AgendaError) -> None:
    for name, message in exc.errors.items():
        target = getattr(form, name, None)
        if target is not None and hasattr(target, "errors"):
            target.errors = (
                [*target.errors, message] if isinstance(target.errors, list) else [message]
            )
        else:
            form.form_errors.append(message)
