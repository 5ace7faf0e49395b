"""On PostgreSQL, seats are never given twice nor stranded when delegates act at once."""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest
import sqlalchemy as sa
from builders import delegate, make_event, make_session, open_registration
from conftest import migrate_to_head, opened_app, temporary_postgres_database

from amf.cities.services import seed_reference_data
from amf.extensions import db
from amf.registration import services
from amf.registration.models import Registration, RegistrationStatus, SessionSignup, SignupStatus
from amf.registration.tokens import make_verification_token

pytestmark = pytest.mark.postgres


@pytest.fixture
def pg_app(postgres_admin_url, tmp_path):
    """An app on its own PostgreSQL database, with a pool big enough for every thread."""
    with temporary_postgres_database(postgres_admin_url) as url:
        migrate_to_head(url, tmp_path)
        with opened_app(
            url,
            tmp_path,
            SQLALCHEMY_ENGINE_OPTIONS={"pool_size": 30, "max_overflow": 40, "pool_timeout": 60},
            AMF_MAIL_SEND_AFTER_COMMIT=False,
        ) as app:
            with app.app_context():
                seed_reference_data()
            yield app


def _all_at_once(app, actions: list[Callable[[], None]]) -> list[BaseException]:
    """Run each action in its own thread and app context, released together."""
    barrier = threading.Barrier(len(actions))
    errors: list[BaseException] = []

    def run(action):
        with app.app_context():
            barrier.wait()
            try:
                action()
            except BaseException as exc:  # collected and reported by the test
                errors.append(exc)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run, args=(a,)) for a in actions]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(t.is_alive() for t in threads), "a thread hung"
    return errors


def _submit(app, count: int, capacity: int | None, session_capacity: int | None = None):
    with app.app_context():
        event = open_registration(make_event(), capacity=capacity)
        session_ids = []
        if session_capacity is not None:
            session_ids = [make_session(event, takes_signups=True, capacity=session_capacity).id]
        db.session.commit()
        tokens = []
        for n in range(count):
            registration = services.submit_registration(event, delegate(n, session_ids=session_ids))
            tokens.append(
                make_verification_token(
                    registration.id, registration.email, registration.manage_nonce
                )
            )
        return event.id, tokens


def _verify(token: str) -> Callable[[], None]:
    return lambda: services.verify_registration(token)


def _in_verification_order(app, event_id: int) -> list[Registration]:
    with app.app_context():
        return list(
            db.session.scalars(
                sa.select(Registration)
                .where(Registration.event_id == event_id)
                .order_by(Registration.verified_at)
                .options(sa.orm.selectinload(Registration.signups))
            )
        )


def test_sixty_verifications_for_twenty_seats(pg_app):
    event_id, tokens = _submit(pg_app, 60, capacity=20)
    assert _all_at_once(pg_app, [_verify(t) for t in tokens]) == []
    ordered = _in_verification_order(pg_app, event_id)
    statuses = [r.status for r in ordered]
    assert statuses.count(RegistrationStatus.CONFIRMED) == 20
    assert statuses.count(RegistrationStatus.WAITLISTED) == 40
    # Arrival order: everyone verified before the 21st holds a seat, everyone after waits,
    # and the waiting list is in the order of arrival.
    assert statuses == [RegistrationStatus.CONFIRMED] * 20 + [RegistrationStatus.WAITLISTED] * 40
    waitlist = [r.waitlisted_at for r in ordered[20:]]
    assert waitlist == sorted(waitlist)


def test_sixty_verifications_for_a_session_of_five(pg_app):
    event_id, tokens = _submit(pg_app, 60, capacity=None, session_capacity=5)
    assert _all_at_once(pg_app, [_verify(t) for t in tokens]) == []
    ordered = _in_verification_order(pg_app, event_id)
    assert all(r.status == RegistrationStatus.CONFIRMED for r in ordered)
    signups = [r.signups[0].status for r in ordered]
    assert signups == [SignupStatus.CONFIRMED] * 5 + [SignupStatus.WAITLISTED] * 55


def test_cancellations_racing_verifications_never_overbook_or_strand(pg_app):
    event_id, tokens = _submit(pg_app, 50, capacity=20)
    # Twenty take the seats first.
    assert _all_at_once(pg_app, [_verify(t) for t in tokens[:20]]) == []
    with pg_app.app_context():
        holders = db.session.scalars(
            sa.select(Registration.id).where(Registration.status == RegistrationStatus.CONFIRMED)
        ).all()

    def cancel(registration_id):
        def action():
            services.cancel_registration(db.session.get(Registration, registration_id))

        return action

    actions = [_verify(t) for t in tokens[20:]] + [cancel(rid) for rid in holders[:10]]
    assert _all_at_once(pg_app, actions) == []
    with pg_app.app_context():
        counts = dict(
            db.session.execute(
                sa.select(Registration.status, sa.func.count())
                .where(Registration.event_id == event_id)
                .group_by(Registration.status)
            ).all()
        )
    assert counts == {
        RegistrationStatus.CONFIRMED: 20,
        RegistrationStatus.WAITLISTED: 20,
        RegistrationStatus.CANCELLED: 10,
    }


def test_session_cancellations_racing_signups(pg_app):
    _, tokens = _submit(pg_app, 30, capacity=None, session_capacity=5)
    assert _all_at_once(pg_app, [_verify(t) for t in tokens[:10]]) == []
    with pg_app.app_context():
        seated = db.session.scalars(
            sa.select(SessionSignup.registration_id).where(
                SessionSignup.status == SignupStatus.CONFIRMED
            )
        ).all()

    def leave_session(registration_id):
        def action():
            services.change_sessions(db.session.get(Registration, registration_id), [])

        return action

    actions = [_verify(t) for t in tokens[10:]] + [leave_session(rid) for rid in seated]
    assert _all_at_once(pg_app, actions) == []
    with pg_app.app_context():
        confirmed = db.session.scalar(
            sa.select(sa.func.count())
            .select_from(SessionSignup)
            .where(SessionSignup.status == SignupStatus.CONFIRMED)
        )
        waiting = db.session.scalar(
            sa.select(sa.func.count())
            .select_from(SessionSignup)
            .where(SessionSignup.status == SignupStatus.WAITLISTED)
        )
    assert confirmed == 5 and waiting == 30 - 5 - 5
