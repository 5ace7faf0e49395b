"""The rendered agenda is reused until anything it shows changes."""

from __future__ import annotations

from builders import make_event, make_session

from amf.events.models import Room
from amf.extensions import db
from amf.main.page_cache import rendered_page_cache


def _builds(app) -> int:
    with app.app_context():
        return rendered_page_cache().builds


def test_agenda_is_rendered_once_then_served_from_the_cache(app, client):
    with app.app_context():
        make_session(make_event(), title="Smart mobility")
        db.session.commit()
    first = client.get("/events/test-forum/agenda")
    second = client.get("/events/test-forum/agenda")
    assert first.status_code == second.status_code == 200
    assert first.data == second.data and "Smart mobility" in first.text
    assert _builds(app) == 1


def test_any_change_to_the_agenda_shows_at_once(app, client):
    with app.app_context():
        event = make_event()
        session = make_session(event, title="Smart mobility")
        db.session.commit()
        session_id, event_id = session.id, event.id
    assert "Smart mobility" in client.get("/events/test-forum/agenda").text
    with app.app_context():
        db.session.get(type(session), session_id).title = "Green buildings"
        db.session.commit()
    page = client.get("/events/test-forum/agenda").text
    assert "Green buildings" in page and "Smart mobility" not in page
    with app.app_context():
        room = Room(event_id=event_id, name="Hall Borobudur", position=0)
        db.session.add(room)
        db.session.flush()
        db.session.get(type(session), session_id).room = room
        db.session.commit()
    assert "Hall Borobudur" in client.get("/events/test-forum/agenda").text
    with app.app_context():
        db.session.get(type(event), event_id).title = "Renamed forum"
        db.session.commit()
    assert "Renamed forum" in client.get("/events/test-forum/agenda").text


def test_each_time_zone_has_its_own_page(app, client):
    with app.app_context():
        make_session(make_event(), start="09:00", end="10:00")
        db.session.commit()
    venue = client.get("/events/test-forum/agenda").text
    manila = client.get("/events/test-forum/agenda?tz=Asia/Manila").text
    assert venue != manila and "10:00" in manila
    assert client.get("/events/test-forum/agenda").text == venue
    unknown = client.get("/events/test-forum/agenda?tz=Mars/Olympus").text
    assert "is not a time zone we know" in unknown
