"""The database itself refuses inconsistent events and sessions."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa
from builders import local, make_event, make_session

from amf.events.models import AgendaSession, Event
from amf.extensions import db


def _refused(statement_or_flush) -> None:
    with pytest.raises(sa.exc.IntegrityError):
        statement_or_flush()
    db.session.rollback()


def test_event_slugs_are_unique(app):
    with app.app_context():
        make_event(slug="amf-2031")
        db.session.commit()
        _refused(lambda: make_event(slug="amf-2031"))


def test_session_must_end_after_it_starts(app):
    with app.app_context():
        event = make_event()
        db.session.commit()
        _refused(lambda: make_session(event, "10:00", "09:00"))
        _refused(lambda: make_session(event, "10:00", "10:00"))


def test_session_must_fall_within_the_event_days(app):
    with app.app_context():
        event = make_event()  # 10-11 March 2031, Asia/Jakarta
        db.session.commit()
        make_session(event, "00:00", "00:30")
        make_session(event, "23:00", "23:59", day=1)
        db.session.commit()
        _refused(lambda: make_session(event, "23:30", "23:59", day=-1))
        _refused(lambda: make_session(event, "09:00", "10:00", day=2))


def test_raw_sql_cannot_move_a_session_outside_its_event(app):
    with app.app_context():
        event = make_event()
        session = make_session(event)
        db.session.commit()
        later = session.starts_at + timedelta(days=5)
        _refused(
            lambda: db.session.execute(
                sa.update(AgendaSession)
                .where(AgendaSession.id == session.id)
                .values(starts_at=later, ends_at=later + timedelta(hours=1))
            )
        )


def test_shortening_an_event_cannot_strand_its_sessions(app):
    with app.app_context():
        event = make_event()
        make_session(event, day=1)
        db.session.commit()
        event.last_day = event.first_day

        _refused(db.session.flush)
        event = db.session.get(Event, event.id)
        event.last_day = event.first_day + timedelta(days=3)  # lengthening is fine
        db.session.commit()
        session = db.session.scalars(sa.select(AgendaSession)).one()
        assert session.event_window_ends_at == event.window_ends_at


def test_event_days_must_be_in_order(app):
    with app.app_context():
        _refused(
            lambda: make_event(first_day=local_day(2031, 3, 12), last_day=local_day(2031, 3, 10))
        )


def test_registration_must_close_after_it_opens(app):
    with app.app_context():
        event = make_event()
        db.session.commit()
        start = local(event, 0, "09:00")
        event.registration_opens_at = start
        event.registration_closes_at = start - timedelta(days=1)
        _refused(db.session.flush)


def local_day(y, m, d):
    from datetime import date

    return date(y, m, d)
