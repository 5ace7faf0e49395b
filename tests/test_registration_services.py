"""The registration state machine: every change in one service, each queuing its email."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa
from builders import delegate, make_event, make_session, open_registration
from calendar_checks import check_calendar
from conftest import delivered, invitations_in, text_of

from amf.cities.models import Officer
from amf.db import utcnow
from amf.events.models import EventStatus
from amf.extensions import db
from amf.mail.models import OutboxMessage
from amf.registration import seats, services
from amf.registration.models import (
    Registration,
    RegistrationLog,
    RegistrationStatus,
    SignupStatus,
)
from amf.registration.states import organiser
from amf.registration.tokens import ExpiredLink, InvalidLink, make_verification_token


def _mail_to(address: str) -> list[OutboxMessage]:
    rows = db.session.scalars(sa.select(OutboxMessage).order_by(OutboxMessage.id)).all()
    return [m for m in rows if any(r["email"] == address for r in m.recipients)]


def _templates_sent_to(address: str) -> list[str]:
    return [m.template for m in _mail_to(address)]


def _register_and_verify(event, n: int, **fields) -> Registration:
    registration = services.submit_registration(event, delegate(n, **fields))
    token = make_verification_token(registration.id, registration.email, registration.manage_nonce)
    return services.verify_registration(token).registration


@pytest.fixture
def event(seeded):
    with seeded.app_context():
        event = open_registration(make_event(), capacity=2)
        db.session.commit()
        yield event


def test_submit_stores_pending_registration_and_queues_verification(event):
    registration = services.submit_registration(event, delegate(1, email="Delegate1@Example.org"))
    assert registration.status == RegistrationStatus.PENDING_VERIFICATION
    assert registration.email == "delegate1@example.org"
    assert registration.city.name == "Hanoi"
    assert _templates_sent_to("delegate1@example.org") == ["registration/verify"]
    message = text_of(delivered(_mail_to("delegate1@example.org")[0]))
    assert "/registrations/verify/" in message
    assert registration.reference in message
    assert [log.action for log in registration.history] == ["submitted"]


def test_verification_confirms_then_waitlists_when_full(event):
    first = _register_and_verify(event, 1)
    second = _register_and_verify(event, 2)
    third = _register_and_verify(event, 3)
    assert [r.status for r in (first, second, third)] == [
        RegistrationStatus.CONFIRMED,
        RegistrationStatus.CONFIRMED,
        RegistrationStatus.WAITLISTED,
    ]
    assert _templates_sent_to("delegate1@example.org") == [
        "registration/verify",
        "registration/confirmed",
    ]
    assert _templates_sent_to("delegate3@example.org")[-1] == "registration/waitlisted"
    confirmation = delivered(_mail_to("delegate1@example.org")[-1])
    assert "/registrations/" in text_of(confirmation)
    assert [method for method, _ in invitations_in(confirmation)] == ["REQUEST"]
    [qr] = [p for p in confirmation.walk() if p.get_content_type() == "image/png"]
    assert qr.get_content_disposition() == "inline"  # the check-in QR code, shown in the HTML


def test_the_event_invitation_is_all_day_on_the_event_days(event, tmp_path):
    """Not a 48-hour block from midnight in Jakarta, which Manila would see from 01:00."""
    registration = _register_and_verify(event, 1)
    services.cancel_registration(registration)
    confirmation, cancellation = (delivered(_mail_to("delegate1@example.org")[n]) for n in (1, 2))
    uids = []
    for email, method in ((confirmation, "REQUEST"), (cancellation, "CANCEL")):
        [part] = [
            p
            for p in email.walk()
            if p.get_content_type() == "text/calendar"
            and p.get_content_disposition() == "attachment"
        ]
        body = part.get_payload(decode=True)
        [vevent] = check_calendar(body, tmp_path)  # bytes, ical, vobject, icalendar, calcurse
        assert vevent["DTSTART;VALUE=DATE"] == f"{event.first_day:%Y%m%d}"
        assert vevent["DTEND;VALUE=DATE"] == f"{event.last_day + timedelta(days=1):%Y%m%d}"
        assert b"BEGIN:VTIMEZONE" not in body and part.get_param("method") == method
        uids.append(vevent["UID"])
    assert uids[0] == uids[1]


def test_once_approved_name_category_and_delegation_stay_as_approved(seeded):
    from amf.registration.models import DelegateCategory

    with seeded.app_context():
        event = open_registration(
            make_event(), requires_approval=True, contact_email="sec@amf.test"
        )
        registration = _register_and_verify(event, 1)
        # Before the decision the delegate may still correct anything.
        services.update_details(registration, delegate(1, category=DelegateCategory.OBSERVER))
        services.approve_registration(registration, organiser("organiser@amf.test"))
        assert registration.identity_locked

        approved = {"category": DelegateCategory.OBSERVER}
        for change in ({"category": DelegateCategory.HEAD_OF_CITY}, {"given_names": "Someone"}):
            with pytest.raises(services.RegistrationError, match=r"write to sec@amf\.test"):
                services.update_details(registration, delegate(1, **{**approved, **change}))
        db.session.expire_all()
        kept = db.session.get(Registration, registration.id)
        assert (kept.given_names, kept.category) == ("Delegate 1", DelegateCategory.OBSERVER)

        services.update_details(
            kept, delegate(1, category=DelegateCategory.OBSERVER, phone="+84 24 1234")
        )
        assert kept.phone == "+84 24 1234"
        steps = [
            (step.action, step.detail) for step in kept.history if step.action == "details changed"
        ]
        assert steps == [("details changed", "category"), ("details changed", "phone")]
        page = seeded.test_client().get(f"/registrations/{services.manage_token(kept)}").text
        assert "approved your registration with your name, category and delegation" in page
        assert '<a href="mailto:sec@amf.test">' in page


def test_cancelling_a_seat_promotes_the_first_in_line(event):
    first = _register_and_verify(event, 1)
    _register_and_verify(event, 2)
    third = _register_and_verify(event, 3)
    fourth = _register_and_verify(event, 4)
    services.cancel_registration(first)
    db.session.expire_all()
    assert db.session.get(Registration, third.id).status == RegistrationStatus.CONFIRMED
    assert db.session.get(Registration, fourth.id).status == RegistrationStatus.WAITLISTED
    assert _templates_sent_to("delegate3@example.org")[-1] == "registration/promoted"
    cancellation = _mail_to("delegate1@example.org")[-1]
    assert cancellation.template == "registration/cancelled"
    assert [method for method, _ in invitations_in(delivered(cancellation))] == ["CANCEL"]
    assert seats.seats_taken(event) == 2


def test_verification_link_used_twice_says_already_verified(event):
    registration = services.submit_registration(event, delegate(1))
    token = make_verification_token(registration.id, registration.email, registration.manage_nonce)
    assert not services.verify_registration(token).already_verified
    again = services.verify_registration(token)
    assert again.already_verified and again.registration.status == RegistrationStatus.CONFIRMED
    assert _templates_sent_to("delegate1@example.org").count("registration/confirmed") == 1


def test_forged_and_expired_verification_links_are_refused(event, monkeypatch):
    registration = services.submit_registration(event, delegate(1))
    token = make_verification_token(registration.id, registration.email, registration.manage_nonce)
    with pytest.raises(InvalidLink):
        services.verify_registration(token[:-2] + ("AA" if token[-2:] != "AA" else "BB"))
    with pytest.raises(InvalidLink):
        services.verify_registration(
            make_verification_token(registration.id, "other@example.org", registration.manage_nonce)
        )
    with pytest.raises(InvalidLink):
        services.verify_registration(
            make_verification_token(999999, registration.email, registration.manage_nonce)
        )
    import itsdangerous.timed

    later = int(utcnow().timestamp()) + 49 * 3600
    monkeypatch.setattr(itsdangerous.timed.TimestampSigner, "get_timestamp", lambda self: later)
    with pytest.raises(ExpiredLink):
        services.verify_registration(token)
    assert db.session.get(Registration, registration.id).status == (
        RegistrationStatus.PENDING_VERIFICATION
    )


def test_one_active_registration_per_email(event):
    first = services.submit_registration(event, delegate(1))
    # Unverified: a second form for the address replaces the first; still one registration.
    again = services.submit_registration(event, delegate(2, email="DELEGATE1@example.org"))
    assert (again.id, again.given_names) == (first.id, "Delegate 2")
    services.verify_registration(make_verification_token(first.id, first.email, first.manage_nonce))
    with pytest.raises(services.AlreadyRegistered):
        services.submit_registration(event, delegate(3, email="delegate1@example.org"))
    registration = services.find_active_registration(event, "delegate1@example.org")
    services.cancel_registration(registration)
    later = services.submit_registration(event, delegate(3, email="delegate1@example.org"))
    assert later.status == RegistrationStatus.PENDING_VERIFICATION and later.id != first.id


def test_database_refuses_a_second_active_registration(event):
    services.submit_registration(event, delegate(1))
    twin = services.submit_registration(event, delegate(2))
    twin.email = "delegate1@example.org"
    with pytest.raises(sa.exc.IntegrityError):
        db.session.flush()
    db.session.rollback()


def test_registration_window_and_event_status(seeded):
    with seeded.app_context():
        event = open_registration(make_event(slug="closed"))
        event.registration_closes_at = utcnow() - timedelta(minutes=1)
        event.registration_opens_at = utcnow() - timedelta(days=2)
        draft = open_registration(make_event(slug="draft", status=EventStatus.DRAFT))
        cancelled = open_registration(make_event(slug="off", status=EventStatus.CANCELLED))
        db.session.commit()
        for closed in (event, draft, cancelled):
            with pytest.raises(services.RegistrationClosed):
                services.submit_registration(closed, delegate(1))
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Registration)) == 0


def test_unverified_registrations_expire_and_release_nothing(event):
    _register_and_verify(event, 1)
    stale = services.submit_registration(event, delegate(2))
    fresh = services.submit_registration(event, delegate(3))
    stale.verify_by = utcnow() - timedelta(minutes=1)
    db.session.commit()
    assert services.expire_unverified() == 1
    db.session.expire_all()
    assert db.session.get(Registration, stale.id).status == RegistrationStatus.EXPIRED
    assert db.session.get(Registration, fresh.id).status == RegistrationStatus.PENDING_VERIFICATION
    assert seats.seats_taken(event) == 1


def test_stale_pending_registration_does_not_block_registering_again(event, runner):
    stale = services.submit_registration(event, delegate(1))
    stale.verify_by = utcnow() - timedelta(minutes=1)
    db.session.commit()
    again = services.submit_registration(event, delegate(1, given_names="Retyped"))
    assert again.status == RegistrationStatus.PENDING_VERIFICATION
    assert db.session.get(Registration, stale.id).status == RegistrationStatus.EXPIRED
    token = make_verification_token(stale.id, stale.email, stale.manage_nonce)
    assert services.verify_registration(token).already_verified  # says so, changes nothing
    assert db.session.get(Registration, stale.id).status == RegistrationStatus.EXPIRED


def test_expire_command(event, runner):
    stale = services.submit_registration(event, delegate(1))
    stale.verify_by = utcnow() - timedelta(minutes=1)
    db.session.commit()
    result = runner.invoke(args=["amf", "expire-registrations"])
    assert result.exit_code == 0 and "Expired 1 unverified registration(s)." in result.output


def test_approval_mode(event):
    event.requires_approval = True
    db.session.commit()
    waiting = _register_and_verify(event, 1)
    assert waiting.status == RegistrationStatus.AWAITING_APPROVAL
    assert _templates_sent_to("delegate1@example.org")[-1] == "registration/awaiting_approval"
    services.approve_registration(waiting, actor=organiser("organiser@amf.test"))
    assert waiting.status == RegistrationStatus.CONFIRMED
    declined = _register_and_verify(event, 2)
    services.reject_registration(
        declined, actor=organiser("organiser@amf.test"), reason="Duplicate delegate"
    )
    assert declined.status == RegistrationStatus.REJECTED
    rejection = _mail_to("delegate2@example.org")[-1]
    assert "Duplicate delegate" in text_of(delivered(rejection))
    with pytest.raises(services.RegistrationError):
        services.approve_registration(declined, actor=organiser("organiser@amf.test"))


def test_officer_registers_as_themselves(event):
    tantinny = db.session.scalars(
        sa.select(Officer).where(Officer.name == "Tantinny Fung Chew Li")
    ).one()
    registration = _register_and_verify(
        event, 1, city_id=tantinny.city_id, officer_id=tantinny.id, given_names="Tantinny"
    )
    assert registration.is_officer and registration.officer.name == "Tantinny Fung Chew Li"
    hanoi_id = db.session.scalar(
        sa.select(Officer.city_id).where(Officer.name == "Nguyen Duc Chung")
    )
    with pytest.raises(services.RegistrationError, match="not listed for the chosen city"):
        services.submit_registration(event, delegate(2, city_id=hanoi_id, officer_id=tantinny.id))


def test_other_organisation_needs_a_name(event):
    registration = services.submit_registration(
        event, delegate(1, other_organisation="UN-Habitat", other_country="Kenya")
    )
    assert registration.city is None and registration.represents == "UN-Habitat, Kenya"
    with pytest.raises(services.RegistrationError):
        services.submit_registration(event, delegate(2, city_id=None, other_organisation=" "))


def test_session_waiting_list_is_served_in_order(event):
    event.capacity = None
    workshop = make_session(event, title="Workshop", takes_signups=True, capacity=1)
    db.session.commit()
    first = _register_and_verify(event, 1, session_ids=[workshop.id])
    second = _register_and_verify(event, 2, session_ids=[workshop.id])
    third = _register_and_verify(event, 3, session_ids=[workshop.id])
    assert [r.signups[0].status for r in (first, second, third)] == [
        SignupStatus.CONFIRMED,
        SignupStatus.WAITLISTED,
        SignupStatus.WAITLISTED,
    ]
    services.change_sessions(first, [])
    db.session.expire_all()
    statuses = {r.id: db.session.get(Registration, r.id).signups[0].status for r in (second, third)}
    assert statuses == {second.id: SignupStatus.CONFIRMED, third.id: SignupStatus.WAITLISTED}
    assert _templates_sent_to("delegate2@example.org")[-1] == "registration/session_promoted"


def test_sessions_at_the_same_time_cannot_both_be_chosen(event):
    morning = make_session(event, "09:00", "10:30", title="Morning workshop", takes_signups=True)
    overlap = make_session(event, "10:00", "11:00", title="Overlapping panel", takes_signups=True)
    after = make_session(event, "10:30", "11:30", title="Next workshop", takes_signups=True)
    db.session.commit()
    with pytest.raises(services.RegistrationError, match="at the same time"):
        services.submit_registration(event, delegate(1, session_ids=[morning.id, overlap.id]))
    registration = services.submit_registration(
        event, delegate(2, session_ids=[morning.id, after.id])
    )
    assert len(registration.signups) == 2


def test_sessions_must_take_signups_and_belong_to_the_event(event):
    plenary = make_session(event, title="Plenary")
    other_event = make_event(slug="other")
    elsewhere = make_session(other_event, title="Elsewhere", takes_signups=True)
    db.session.commit()
    for session_id in (plenary.id, elsewhere.id, 424242):
        with pytest.raises(services.RegistrationError):
            services.submit_registration(event, delegate(1, session_ids=[session_id]))


def test_manage_link_finds_the_registration_and_can_be_replaced(event):
    registration = _register_and_verify(event, 1)
    token = services.manage_token(registration)
    assert len(token) >= 43
    assert services.get_by_manage_token(token).id == registration.id
    assert services.get_by_manage_token(token[:-1]) is None
    assert services.get_by_manage_token("") is None
    services.revoke_manage_link(registration)
    assert services.get_by_manage_token(token) is None
    assert services.get_by_manage_token(services.manage_token(registration)).id == registration.id


def test_resend_manage_link_only_mails_known_addresses(event):
    _register_and_verify(event, 1)
    assert services.resend_manage_link(event, "DELEGATE1@example.org")
    assert _templates_sent_to("delegate1@example.org")[-1] == "registration/manage_link"
    assert not services.resend_manage_link(event, "stranger@example.org")
    assert _mail_to("stranger@example.org") == []


def test_resending_the_link_is_capped_per_registration_whatever_the_client(event):
    """The per-client rate limit cannot see a flood from many addresses; this cap can."""
    _register_and_verify(event, 1)
    for _ in range(5):
        assert services.resend_manage_link(event, "delegate1@example.org")  # same answer
    sent = _templates_sent_to("delegate1@example.org").count("registration/manage_link")
    assert sent == 3
    # An hour later the delegate can ask again.
    for step in db.session.scalars(sa.select(RegistrationLog)):
        step.at -= timedelta(hours=2)
    db.session.commit()
    services.resend_manage_link(event, "delegate1@example.org")
    assert _templates_sent_to("delegate1@example.org").count("registration/manage_link") == 4


def test_rolled_back_registration_leaves_no_email(event):
    before = db.session.scalar(sa.select(sa.func.count()).select_from(OutboxMessage))
    with pytest.raises(services.RegistrationError):
        services.submit_registration(event, delegate(1, session_ids=[123456]))
    after = db.session.scalar(sa.select(sa.func.count()).select_from(OutboxMessage))
    assert before == after


def test_a_seat_decision_reads_the_event_and_registration_as_committed_elsewhere(app, seeded):
    """Objects outlive commits (expire_on_commit is off); the locks re-read them."""
    from amf.events.models import Event

    with app.app_context():
        event = open_registration(make_event(), capacity=10)
        registration = services.submit_registration(event, delegate(1))
        event_id, registration_id = event.id, registration.id
        assert event.capacity == 10 and registration.status.value == "pending_verification"
        with db.engine.begin() as other:  # another process, after this session's commit
            other.execute(sa.update(Event).values(capacity=0))
            other.execute(sa.update(Registration).values(status=RegistrationStatus.CANCELLED.value))
        assert seats.lock_event(event_id).capacity == 0
        assert seats.lock_registration(registration_id).status == RegistrationStatus.CANCELLED
        db.session.rollback()
