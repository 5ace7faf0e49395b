"""Agenda changes raise the session's SEQUENCE and the event's agenda revision by themselves."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from builders import make_event, make_session

from amf.events.models import AgendaSession, Event, Room, SessionStatus, Speaker
from amf.extensions import db


def _fresh(model, id_):
    db.session.expire_all()
    return db.session.get(model, id_)


def test_calendar_relevant_changes_raise_sequence_and_agenda_revision(app):
    with app.app_context():
        event = make_event()
        session = make_session(event, title="Opening")
        db.session.commit()
        start_revision = _fresh(Event, event.id).agenda_revision
        first_modified = session.modified_at
        assert session.revision == 0

        session = _fresh(AgendaSession, session.id)
        session.starts_at += timedelta(minutes=15)
        db.session.commit()
        session = _fresh(AgendaSession, session.id)
        assert session.revision == 1 and session.modified_at > first_modified
        assert _fresh(Event, event.id).agenda_revision == start_revision + 1

        for change in (
            lambda s: setattr(s, "title", "Opening ceremony"),
            lambda s: setattr(s, "description", "Welcome; with commas, and \\\\ backslash"),
            lambda s: setattr(s, "room", Room(event=s.event, name="Hall B")),
            lambda s: setattr(s, "status", SessionStatus.CANCELLED),
            lambda s: s.speakers.append(Speaker(event=s.event, name="Dian Ekowati")),
        ):
            before = _fresh(AgendaSession, session.id).revision
            change(_fresh(AgendaSession, session.id))
            db.session.commit()
            assert _fresh(AgendaSession, session.id).revision == before + 1


def test_unrelated_changes_do_not_raise_sequence(app):
    with app.app_context():
        event = make_event()
        session = make_session(event, takes_signups=True, capacity=10)
        db.session.commit()
        session = _fresh(AgendaSession, session.id)
        session.capacity = 12
        db.session.commit()
        assert _fresh(AgendaSession, session.id).revision == 0


def test_kind_and_track_are_not_in_a_calendar_entry_and_leave_sequence_alone(app):
    from amf.events.models import SessionKind, Track

    with app.app_context():
        event = make_event()
        session = make_session(event)
        db.session.commit()
        revision = _fresh(Event, event.id).agenda_revision
        session = _fresh(AgendaSession, session.id)
        session.kind = SessionKind.WORKSHOP
        session.track = Track(event=session.event, slug="water", name="Water")
        db.session.commit()
        assert _fresh(AgendaSession, session.id).revision == 0
        # The track feeds still change: the agenda's revision rises.
        assert _fresh(Event, event.id).agenda_revision > revision


def test_adding_and_deleting_sessions_raise_the_agenda_revision(app):
    with app.app_context():
        event = make_event()
        db.session.commit()
        revisions = [_fresh(Event, event.id).agenda_revision]
        session = make_session(event)
        db.session.commit()
        revisions.append(_fresh(Event, event.id).agenda_revision)
        db.session.delete(_fresh(AgendaSession, session.id))
        db.session.commit()
        revisions.append(_fresh(Event, event.id).agenda_revision)
        assert revisions == sorted(set(revisions)) and len(revisions) == 3


def test_deleting_an_event_with_its_agenda_works(app):
    with app.app_context():
        event = make_event()
        make_session(event)
        db.session.commit()
        db.session.delete(_fresh(Event, event.id))
        db.session.commit()
        assert db.session.scalar(sa.select(sa.func.count()).select_from(AgendaSession)) == 0
