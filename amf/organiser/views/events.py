"""Creating, editing, publishing and cancelling events; rooms, tracks and speakers."""

from __future__ import annotations

import sqlalchemy as sa
from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user

from amf.accounts.access import STAFF, requires
from amf.cities.models import Officer
from amf.events.models import Event, EventStatus, Room, Speaker
from amf.extensions import db
from amf.organiser import event_admin, forms
from amf.organiser.views import bp


def event_or_404(event_id: int) -> Event:
    """The event, or 404."""
    return db.get_or_404(Event, event_id)


@bp.route("/events/new", methods=["GET", "POST"])
@requires(*STAFF)
def new_event():
    """Create a draft event."""
    form = forms.EventForm()
    if form.validate_on_submit():
        try:
            event = event_admin.create_event(form.data_object(), current_user)
        except event_admin.EventError as exc:
            form.form_errors.append(str(exc))
        else:
            flash("Event created as a draft.", "info")
            return redirect(url_for(".edit_event", event_id=event.id), code=303)
    status = 422 if request.method == "POST" else 200
    return render_template("organiser/event_form.html", form=form, event=None), status


@bp.route("/events/<int:event_id>/edit", methods=["GET", "POST"])
@requires(*STAFF)
def edit_event(event_id: int):
    """An event's details and status."""
    event = event_or_404(event_id)
    form = forms.EventForm(obj=event if request.method == "GET" else None)
    if request.method == "GET":
        form.fill_from(event)
    if request.method == "POST" and form.validate_on_submit():
        try:
            event_admin.update_event(event, form.data_object(), current_user)
        except event_admin.EventError as exc:
            form.form_errors.append(str(exc))
        else:
            flash("Event saved.", "info")
            return redirect(url_for(".edit_event", event_id=event.id), code=303)
    status = 422 if request.method == "POST" else 200
    return render_template(
        "organiser/event_form.html", form=form, event=event, status_form=forms.StatusForm()
    ), status


@bp.post("/events/<int:event_id>/status")
@requires(*STAFF)
def event_status(event_id: int):
    """Publish, unpublish or cancel."""
    event = event_or_404(event_id)
    form = forms.StatusForm()
    if form.validate_on_submit():
        try:
            notified = event_admin.set_status(event, EventStatus(form.status.data), current_user)
        except event_admin.EventError as exc:
            flash(str(exc), "error")
        else:
            message = f"The event is now {event.status.value}."
            if notified:
                message += f" {notified} registered delegate(s) are being notified."
            flash(message, "info")
    return redirect(url_for(".edit_event", event_id=event.id), code=303)


# The setup page holds three forms with a `name` field: prefixes keep their ids apart.
_NEW_ROOM, _NEW_TRACK, _NEW_SPEAKER = "new-room", "new-track", "new-speaker"


@bp.get("/events/<int:event_id>/setup")
@requires(*STAFF)
def agenda_setup(event_id: int):
    """Rooms, tracks and speakers."""
    event = event_or_404(event_id)
    speaker_form = forms.SpeakerForm(prefix=_NEW_SPEAKER)
    speaker_form.set_officers(_officers())
    return render_template(
        "organiser/setup.html",
        event=event,
        room_form=forms.RoomForm(prefix=_NEW_ROOM),
        track_form=forms.TrackForm(prefix=_NEW_TRACK),
        speaker_form=speaker_form,
    )


@bp.post("/events/<int:event_id>/rooms")
@requires(*STAFF)
def add_room(event_id: int):
    """Add a room."""
    event = event_or_404(event_id)
    form = forms.RoomForm(prefix=_NEW_ROOM)
    if form.validate_on_submit():
        try:
            event_admin.add_room(event, form.name.data, form.capacity.data, current_user)
        except event_admin.EventError as exc:
            flash(str(exc), "error")
    else:
        flash("Give the room a name and a positive capacity (or none).", "error")
    return redirect(url_for(".agenda_setup", event_id=event.id), code=303)


@bp.post("/events/<int:event_id>/rooms/<int:room_id>")
@requires(*STAFF)
def update_room(event_id: int, room_id: int):
    """Rename a room or change its capacity."""
    event = event_or_404(event_id)
    room = db.get_or_404(Room, room_id)
    form = forms.RoomForm()
    if room.event_id != event.id:
        return redirect(url_for(".agenda_setup", event_id=event.id), code=303)
    if form.validate_on_submit():
        try:
            event_admin.update_room(room, form.name.data, form.capacity.data, current_user)
        except event_admin.EventError as exc:
            flash(str(exc), "error")
    return redirect(url_for(".agenda_setup", event_id=event.id), code=303)


@bp.post("/events/<int:event_id>/tracks")
@requires(*STAFF)
def add_track(event_id: int):
    """Add a track."""
    event = event_or_404(event_id)
    form = forms.TrackForm(prefix=_NEW_TRACK)
    if form.validate_on_submit():
        try:
            event_admin.add_track(event, form.name.data, current_user)
        except event_admin.EventError as exc:
            flash(str(exc), "error")
    return redirect(url_for(".agenda_setup", event_id=event.id), code=303)


@bp.post("/events/<int:event_id>/speakers")
@requires(*STAFF)
def add_speaker(event_id: int):
    """Add a speaker, optionally linked to a pilot-city officer."""
    event = event_or_404(event_id)
    form = forms.SpeakerForm(prefix=_NEW_SPEAKER)
    form.set_officers(_officers())
    if form.validate_on_submit():
        event_admin.save_speaker(event, form.data_object(), current_user)
    else:
        flash("Give the speaker a name.", "error")
    return redirect(url_for(".agenda_setup", event_id=event.id), code=303)


@bp.route("/events/<int:event_id>/speakers/<int:speaker_id>", methods=["GET", "POST"])
@requires(*STAFF)
def edit_speaker(event_id: int, speaker_id: int):
    """Change a speaker."""
    event = event_or_404(event_id)
    speaker = db.get_or_404(Speaker, speaker_id)
    if speaker.event_id != event.id:
        return redirect(url_for(".agenda_setup", event_id=event.id), code=303)
    form = forms.SpeakerForm(obj=speaker if request.method == "GET" else None)
    form.set_officers(_officers())
    if form.validate_on_submit():
        event_admin.save_speaker(event, form.data_object(), current_user, speaker)
        return redirect(url_for(".agenda_setup", event_id=event.id), code=303)
    return render_template("organiser/speaker_form.html", event=event, speaker=speaker, form=form)


def _officers() -> list[Officer]:
    from sqlalchemy.orm import selectinload

    return list(
        db.session.scalars(
            sa.select(Officer).order_by(Officer.name).options(selectinload(Officer.city))
        )
    )
