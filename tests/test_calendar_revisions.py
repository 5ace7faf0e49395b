"""Changes outside a session that alter its calendar entry still raise its SEQUENCE."""

from __future__ import annotations

from builders import make_event, make_session

from amf.events.models import AgendaSession, Event, Room, Speaker
from amf.extensions import db


def _session_in_room(app):
    with app.app_context():
        event = make_event()
        room = Room(event=event, name="Hall A")
        session = make_session(event, room=room)
        session.speakers.append(Speaker(event=event, name="Lan"))
        other = make_session(event, "11:00", "12:00")
        db.session.commit()
        return event.id, room.id, session.id, other.id


def _revision(session_id):
    db.session.expire_all()
    return db.session.get(AgendaSession, session_id).revision


def test_renaming_a_room_raises_the_sequence_of_its_sessions_only(app, client):
    event_id, room_id, session_id, other_id = _session_in_room(app)
    with app.app_context():
        slug = db.session.get(Event, event_id).slug
    before = client.get(f"/events/{slug}/calendar.ics")
    with app.app_context():
        start, other_start = _revision(session_id), _revision(other_id)
        db.session.get(Room, room_id).name = "Hall B"
        db.session.commit()
        assert _revision(session_id) == start + 1
        assert _revision(other_id) == other_start
    after = client.get(
        f"/events/{slug}/calendar.ics", headers={"If-None-Match": before.headers["ETag"]}
    )
    assert after.status_code == 200 and b"LOCATION:Hall B" in after.data


def test_renaming_a_speaker_or_moving_the_venue_raises_sequence(app):
    event_id, _, session_id, other_id = _session_in_room(app)
    with app.app_context():
        start = _revision(session_id)
        speaker = db.session.scalars(db.select(Speaker)).one()
        speaker.name = "Dr Lan"
        db.session.commit()
        assert _revision(session_id) == start + 1
        other_start = _revision(other_id)
        db.session.get(Event, event_id).venue_name = "Grand City Convention Hall"
        db.session.commit()
        assert _revision(session_id) == start + 2
        assert _revision(other_id) == other_start + 1
