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


def test_one_active_registration_per_event_and_address_whatever_its_case(seeded):
    """The unique index is on lower(email), partial on the active statuses."""
    from builders import delegate, open_registration

    from amf.registration import services
    from amf.registration.models import Registration, RegistrationStatus
    from amf.registration.states import ACTIVE_STATUSES

    table = Registration.__table__
    with seeded.app_context():
        event = open_registration(make_event())
        first = services.submit_registration(event, delegate(1, email="delegate1@example.org"))
        db.session.commit()
        row = dict(
            db.session.execute(sa.select(table).where(table.c.id == first.id)).one()._mapping
        )

        def copy(n: int, email: str, status: RegistrationStatus) -> None:
            values = {**row, "email": email, "status": status.value, "reference": f"COPY{n:04d}"}
            values.update(manage_token_hash=f"m{n}", calendar_token_hash=f"c{n}")
            del values["id"]
            db.session.execute(sa.insert(table).values(values))
            db.session.flush()

        for n, status in enumerate(ACTIVE_STATUSES):
            _refused(lambda n=n, status=status: copy(n, "Delegate1@Example.ORG", status))
        copy(10, "Delegate1@Example.ORG", RegistrationStatus.CANCELLED)  # inactive: allowed
        db.session.execute(
            sa.update(table).where(table.c.id == first.id).values(status="cancelled")
        )
        copy(11, "DELEGATE1@example.org", RegistrationStatus.CONFIRMED)  # the old one is gone
        db.session.commit()
        emails = db.session.scalars(sa.select(table.c.email).where(table.c.status == "confirmed"))
        assert list(emails) == ["DELEGATE1@example.org"]
