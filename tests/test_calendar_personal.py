"""A delegate's personal feed, its secret address, and the invitations their emails carry."""

from __future__ import annotations

import re

from builders import delegate, make_event, make_session, open_registration
from calendar_checks import calendar_property, check_calendar
from conftest import delivered, invitations_in, text_of

from amf.calendar_uids import session_uid
from amf.extensions import db
from amf.mail.models import OutboxMessage
from amf.registration import services
from amf.registration.models import Registration


def _confirmed_delegate(app, choose_sessions=True):
    """A confirmed delegate; with choose_sessions, signed up for the first of two sessions
    that take sign-ups. An opening plenary, for everyone, comes before both.
    """
    from amf.cities.services import seed_reference_data

    with app.app_context():
        seed_reference_data()
        event = open_registration(make_event())
        make_session(event, "08:00", "08:45", title="Opening plenary")
        chosen = make_session(event, title="Workshop: water", takes_signups=True, capacity=10)
        other = make_session(event, "11:00", "12:00", title="Panel: transport", takes_signups=True)
        db.session.commit()
        details = delegate(session_ids=[chosen.id] if choose_sessions else [])
        registration = services.submit_registration(event, details)
        from amf.registration.tokens import make_verification_token

        services.verify_registration(
            make_verification_token(registration.id, registration.email, registration.manage_nonce)
        )
        return registration.id, chosen.id, other.id


def _plenary_uid(app):
    from amf.events.models import AgendaSession

    with app.app_context():
        plenary = db.session.scalars(
            db.select(AgendaSession).where(AgendaSession.title == "Opening plenary")
        ).one()
        return session_uid(plenary.id)


def _statuses(events):
    return {str(e["UID"]): str(e["STATUS"]) for e in events}


def _feed_path(app, registration_id) -> str:
    with app.app_context():
        registration = db.session.get(Registration, registration_id)
        return f"/calendar/{services.calendar_token(registration)}.ics"


def _uids(app, *ids):
    with app.app_context():
        return [session_uid(i) for i in ids]


def test_personal_feed_shows_the_chosen_sessions(app, client, tmp_path):
    registration_id, chosen_id, _ = _confirmed_delegate(app)
    response = client.get(_feed_path(app, registration_id))
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/calendar; charset=utf-8"
    assert "private" in response.headers["Cache-Control"]
    events = check_calendar(response.data, tmp_path)
    assert [e["UID"] for e in events] == [_plenary_uid(app), *_uids(app, chosen_id)]
    assert calendar_property(response.data, "NAME") == calendar_property(
        response.data, "X-WR-CALNAME"
    )


def test_personal_feed_without_choices_holds_the_sessions_for_everyone(app, client, tmp_path):
    registration_id, _, _ = _confirmed_delegate(app, choose_sessions=False)
    response = client.get(_feed_path(app, registration_id))
    events = check_calendar(response.data, tmp_path)
    assert [e["UID"] for e in events] == [_plenary_uid(app)]
    assert calendar_property(response.data, "X-WR-CALNAME")[0].endswith("· My agenda")


def test_personal_feed_follows_session_changes_and_cancels_everything_after_cancelling(
    app, client, tmp_path
):
    registration_id, chosen_id, other_id = _confirmed_delegate(app)
    path = _feed_path(app, registration_id)
    first = client.get(path)
    name = calendar_property(first.data, "X-WR-CALNAME")
    with app.app_context():
        services.change_sessions(db.session.get(Registration, registration_id), [other_id])
    changed = client.get(path, headers={"If-None-Match": first.headers["ETag"]})
    assert changed.status_code == 200
    [chosen_uid, other_uid] = _uids(app, chosen_id, other_id)
    assert _statuses(check_calendar(changed.data, tmp_path)) == {
        _plenary_uid(app): "CONFIRMED",
        chosen_uid: "CANCELLED",  # the seat given up, for the calendar to take out
        other_uid: "CONFIRMED",
    }
    with app.app_context():
        services.cancel_registration(db.session.get(Registration, registration_id))
    closed = client.get(path)
    assert closed.status_code == 200
    assert calendar_property(closed.data, "X-WR-CALNAME") == name
    assert set(_statuses(check_calendar(closed.data, tmp_path)).values()) == {"CANCELLED"}
    assert len(check_calendar(closed.data, tmp_path)) == 3


def test_unknown_token_is_404_and_regenerating_retires_the_old_address(app, client, tmp_path):
    registration_id, _, _ = _confirmed_delegate(app)
    old_path = _feed_path(app, registration_id)
    assert client.get("/calendar/not-a-real-token.ics").status_code == 404
    assert client.get("/calendar/" + "x" * 200 + ".ics").status_code == 404
    with app.app_context():
        registration = db.session.get(Registration, registration_id)
        manage = services.manage_token(registration)
    page = client.get(f"/registrations/{manage}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    feed_url = old_path.removesuffix(".ics")
    assert "webcal://" in html and feed_url in html
    assert "calendar.google.com" in html and "outlook.live.com" in html
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)
    without_csrf = client.post(f"/registrations/{manage}/calendar")
    assert without_csrf.status_code == 400
    response = client.post(f"/registrations/{manage}/calendar", data={"csrf_token": csrf})
    assert response.status_code == 303
    assert client.get(old_path).status_code == 404
    new_path = _feed_path(app, registration_id)
    assert new_path != old_path
    check_calendar(client.get(new_path).data, tmp_path)
    with app.app_context():
        history = [log.action for log in db.session.get(Registration, registration_id).history]
    assert "calendar link replaced" in history


def _invitations(app, template_name, after_id=0):
    with app.app_context():
        messages = db.session.scalars(
            db.select(OutboxMessage).where(OutboxMessage.id > after_id).order_by(OutboxMessage.id)
        ).all()
        found = []
        for message in messages:
            if template_name in (message.template or ""):
                found += invitations_in(delivered(message))
        return found


def test_email_invitations_share_uids_with_the_feed(app, client, tmp_path):
    registration_id, chosen_id, other_id = _confirmed_delegate(app)
    feed = check_calendar(client.get(_feed_path(app, registration_id)).data, tmp_path)
    with app.app_context():
        before = db.session.scalar(db.select(db.func.max(OutboxMessage.id)))
        services.change_sessions(db.session.get(Registration, registration_id), [other_id])
    invitations = _invitations(app, "sessions_changed", before) + _invitations(
        app, "calendar_entry", before
    )
    by_method = {method: [str(e["UID"]) for e in cal.walk("VEVENT")] for method, cal in invitations}
    assert by_method["CANCEL"] == [feed[1]["UID"]] == _uids(app, chosen_id)
    assert by_method["REQUEST"] == _uids(app, other_id)
    cancel = next(cal for method, cal in invitations if method == "CANCEL").walk("VEVENT")[0]
    assert int(cancel["SEQUENCE"]) > int(feed[1]["SEQUENCE"])
    with app.app_context():
        message = db.session.scalars(
            db.select(OutboxMessage).order_by(OutboxMessage.id.desc())
        ).first()
        email = delivered(message)
        calendar_parts = [p for p in email.walk() if p.get_content_type() == "text/calendar"]
        assert len([p for p in calendar_parts if not p.get_filename()]) == 1
        assert services.calendar_token(db.session.get(Registration, registration_id)) in (
            text_of(email)
        )
