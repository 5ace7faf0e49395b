"""Feeds, downloads and schedule exports: thin views over amf.calendar.feeds and .schedule."""

from __future__ import annotations

from functools import partial

from flask import Blueprint, abort, current_app, redirect, url_for

from amf.calendar import feeds, schedule
from amf.calendar.http import document_response
from amf.events.models import Event
from amf.extensions import limiter
from amf.registration import services as registration_services

bp = Blueprint("calendar", __name__)


def _event_or_404(slug: str) -> Event:
    event = feeds.public_event(slug)
    if event is None:
        abort(404)
    return event


def _built_or_404(build):
    """The built document, or 404 when the event, track, room or session does not exist."""
    try:
        document = build()
    except feeds.FeedNotFound:
        abort(404)
    if document is None:
        abort(404)
    return document


@bp.get("/events/<slug:slug>/calendar.ics")
def event_feed(slug: str):
    """Every session of the event, as a calendar to subscribe to."""
    return document_response(_built_or_404(partial(feeds.cached_event_feed, slug)))


@bp.get("/events/<slug:slug>/tracks/<slug:track_slug>/calendar.ics")
def track_feed(slug: str, track_slug: str):
    """One track's sessions, as a calendar of its own name."""
    build = partial(feeds.cached_event_feed, slug, track_slug=track_slug)
    return document_response(_built_or_404(build))


@bp.get("/events/<slug:slug>/rooms/<int:room_id>/calendar.ics")
def room_feed(slug: str, room_id: int):
    """One room's sessions, as a calendar of its own name."""
    build = partial(feeds.cached_event_feed, slug, room_id=room_id)
    return document_response(_built_or_404(build))


@bp.get("/events/<slug:slug>/sessions/<int:session_id>.ics")
def session_download(slug: str, session_id: int):
    """One session as a file to import once."""
    event = _event_or_404(slug)
    document = _built_or_404(lambda: feeds.session_download(event, session_id))
    return document_response(document, filename=f"{event.slug}-session-{session_id}.ics")


@bp.get("/calendar/<token:token>.ics")
def personal_feed(token: str):
    """A delegate's own calendar, opened by its secret token."""
    registration = registration_services.get_by_calendar_token(token)
    if registration is None:
        abort(404)
    return document_response(feeds.personal_feed(registration), private=True)


@bp.get("/events/<slug:slug>/schedule.json")
def schedule_json(slug: str):
    """The agenda for conference apps, frab/c3voc JSON."""
    document = schedule.schedule_json(_event_or_404(slug))
    return document_response(document, content_type="application/json; charset=utf-8")


@bp.get("/events/<slug:slug>/schedule.xml")
def schedule_xml(slug: str):
    """The agenda for conference apps, frab/c3voc XML."""
    document = schedule.schedule_xml(_event_or_404(slug))
    return document_response(document, content_type="application/xml; charset=utf-8")


def _form_rate_limit() -> str:
    return current_app.config["AMF_FORM_RATE_LIMIT"]


@bp.post("/registrations/<token:token>/calendar")
@limiter.limit(_form_rate_limit)
def regenerate_feed(token: str):
    """Give the delegate a new personal-feed address; the old one stops working."""
    registration = registration_services.get_by_manage_token(token)
    if registration is None:
        abort(404)
    registration_services.regenerate_calendar_token(registration)
    return redirect(url_for("registration.manage", token=token, saved="calendar"), code=303)
