"""Public event pages: event, agenda, sessions and speakers."""

from __future__ import annotations

import time

from flask import Blueprint, Response, abort, current_app, render_template, request, session

from amf.calendar.feeds import memoized_event_version
from amf.cities.services import list_cities, timezone_choices
from amf.events import services
from amf.events.models import Event
from amf.main.page_cache import cached_page, cached_shared_page
from amf.registration.delegations import pilot_cities_with_delegates
from amf.registration.seats import session_seats_taken
from amf.timezones import valid_timezone

bp = Blueprint("events", __name__, url_prefix="/events")


def _event_or_404(slug: str) -> Event:
    event = services.get_public_event(slug)
    if event is None:
        abort(404)
    return event


def _shared_for_visitors_without_session(slug: str, name: str, render, *variant) -> Response:
    """One rendering shared by every visitor without a session cookie.

    Keyed by the event's version (an edit of the event or its agenda changes it) and renewed
    every AMF_SHARED_PAGE_TTL_SECONDS, so what else the page shows (delegations, seats, the
    registration window, the time-zone choices) is at most that old. Visitors with a session
    (flashed messages, signed in) get their own rendering.
    """
    ttl = current_app.config["AMF_SHARED_PAGE_TTL_SECONDS"]
    if not ttl or current_app.config["SESSION_COOKIE_NAME"] in request.cookies:
        return Response(render(), mimetype="text/html")
    version = memoized_event_version(slug)
    if version is None:
        abort(404)
    key = (name, *version, *variant, int(time.time() // ttl), request.script_root)
    return Response(cached_shared_page(key, render, ttl), mimetype="text/html")


@bp.get("/<slug:slug>/")
def event_page(slug: str):
    """An event's home page: theme, dates, venue, organiser."""
    return _shared_for_visitors_without_session(slug, "event-page", lambda: _event_html(slug))


def _event_html(slug: str) -> str:
    event = _event_or_404(slug)
    return render_template(
        "events/event.html",
        event=event,
        registration_state=services.registration_state(event),
        delegations=pilot_cities_with_delegates(event),
    )


@bp.get("/<slug:slug>/agenda")
def agenda(slug: str):
    """The agenda by day, in the event's time zone and optionally a second one."""
    requested_tz = request.args.get("tz", "").strip()
    if requested_tz and not valid_timezone(requested_tz):  # typed by the visitor: not shared
        return _agenda_html(slug, requested_tz)
    return _shared_for_visitors_without_session(
        slug, "agenda-page", lambda: _agenda_html(slug, requested_tz), requested_tz
    )


def _agenda_html(slug: str, requested_tz: str) -> str:
    event = _event_or_404(slug)
    viewer_tz = valid_timezone(requested_tz)
    if viewer_tz == event.timezone:
        viewer_tz = None
    unknown_tz = requested_tz if requested_tz and not valid_timezone(requested_tz) else None
    choices = tuple(timezone_choices(list_cities()))

    def render() -> str:
        return render_template(
            "events/agenda.html",
            event=event,
            days=services.load_agenda(event),
            viewer_tz=viewer_tz,
            unknown_tz=unknown_tz,
            timezone_choices=choices,
        )

    # Pages with one-off messages or an unknown zone typed by the visitor are not kept.
    if session.get("_flashes") or unknown_tz:
        return render()
    key = (
        "agenda", event.id, event.agenda_revision, event.updated_at,
        viewer_tz, unknown_tz, choices, request.script_root,
    )  # fmt: skip
    return cached_page(key, render).decode("utf-8")


@bp.get("/<slug:slug>/sessions/<int:session_id>")
def session_page(slug: str, session_id: int):
    """One session with its speakers and their cities."""
    event = _event_or_404(slug)
    session = services.get_session(event, session_id)
    if session is None:
        abort(404)
    seats_taken = session_seats_taken([session.id])[session.id] if session.takes_signups else None
    return render_template(
        "events/session.html", event=event, session=session, seats_taken=seats_taken
    )


@bp.get("/<slug:slug>/speakers/")
def speakers(slug: str):
    """Everyone speaking at the event."""
    event = _event_or_404(slug)
    return render_template(
        "events/speakers.html", event=event, speakers=services.list_speakers(event)
    )


@bp.get("/<slug:slug>/speakers/<int:speaker_id>")
def speaker_page(slug: str, speaker_id: int):
    """One speaker and their sessions."""
    event = _event_or_404(slug)
    speaker = services.get_speaker(event, speaker_id)
    if speaker is None:
        abort(404)
    return render_template("events/speaker.html", event=event, speaker=speaker)
