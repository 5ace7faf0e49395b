"""The smaller things a delegate sees: the event invitation, both clocks, seats on a session."""

from __future__ import annotations

import sqlalchemy as sa
from builders import delegate, make_event, make_session, open_registration
from conftest import delivered, invitations_in

from amf.cities.models import PilotCity
from amf.events.models import Event
from amf.extensions import db
from amf.mail.models import OutboxMessage
from amf.registration import services
from amf.registration.models import Registration
from amf.registration.tokens import make_verification_token


def _confirm(event, details) -> Registration:
    registration = services.submit_registration(event, details)
    services.verify_registration(
        make_verification_token(registration.id, registration.email, registration.manage_nonce)
    )
    return db.session.get(Registration, registration.id)


def _event_invitations(address: str) -> list[tuple[str, int, str]]:
    """(method, SEQUENCE, LOCATION) of every event invitation sent to the address."""
    found = []
    for message in db.session.scalars(sa.select(OutboxMessage).order_by(OutboxMessage.id)):
        if message.recipients[0]["email"] != address:
            continue
        for method, calendar in invitations_in(delivered(message)):
            [vevent] = calendar.walk("VEVENT")
            if str(vevent["UID"]).startswith("event-"):
                found.append((method, int(vevent["SEQUENCE"]), str(vevent.get("LOCATION"))))
    return found


def test_event_invitation_names_the_place_once_and_counts_from_zero(seeded):
    with seeded.app_context():
        event = open_registration(
            make_event(
                venue_name="Surabaya",
                venue_address="Surabaya, East Java, Indonesia",
                host_city_name="Surabaya",
                host_country="Indonesia",
            )
        )
        registration = _confirm(event, delegate(1))
        services.cancel_registration(registration)
        _confirm(db.session.get(Event, event.id), delegate(1))  # the same address again
        invitations = _event_invitations("delegate1@example.org")
    assert invitations == [
        ("REQUEST", 0, "Surabaya, East Java, Indonesia"),
        ("CANCEL", 1, "Surabaya, East Java, Indonesia"),
        ("REQUEST", 2, "Surabaya, East Java, Indonesia"),  # outranks the cancellation
    ]


def test_manage_page_and_emails_show_the_home_citys_clock(seeded):
    client = seeded.test_client()
    with seeded.app_context():
        event = open_registration(make_event())  # Asia/Jakarta, UTC+07:00
        workshop = make_session(event, "13:30", "15:00", title="Workshop", takes_signups=True)
        db.session.commit()
        manila = db.session.scalar(sa.select(PilotCity.id).where(PilotCity.slug == "manila"))
        registration = _confirm(event, delegate(1, city_id=manila, session_ids=[workshop.id]))
        token = services.manage_token(registration)
        confirmation = db.session.scalars(
            sa.select(OutboxMessage).where(OutboxMessage.template == "registration/confirmed")
        ).one()
        text = delivered(confirmation).get_body(preferencelist=("plain",)).get_content()
    expected = "13:30–15:00 WIB (14:30–16:00 in Manila, UTC+08:00)"
    assert expected in text
    page = client.get(f"/registrations/{token}").get_data(as_text=True)
    assert expected in page
    assert "Seat confirmed" in page


def test_session_page_says_whether_it_takes_sign_ups_and_how_many_seats_are_left(seeded):
    client = seeded.test_client()
    with seeded.app_context():
        event = open_registration(make_event())
        plenary = make_session(event, "08:00", "09:00", title="Plenary")
        workshop = make_session(
            event, "09:30", "10:30", title="Workshop", takes_signups=True, capacity=2
        )
        db.session.commit()
        _confirm(event, delegate(1, session_ids=[workshop.id]))
        slug, plenary_id, workshop_id = event.slug, plenary.id, workshop.id
    plenary_page = client.get(f"/events/{slug}/sessions/{plenary_id}").get_data(as_text=True)
    assert "Open to every delegate: no sign-up needed." in plenary_page
    assert f"Subscribe to the whole agenda of Forum {slug}" in plenary_page
    workshop_page = client.get(f"/events/{slug}/sessions/{workshop_id}").get_data(as_text=True)
    assert "1 of 2 seats left" in workshop_page
    with seeded.app_context():
        _confirm(db.session.get(Event, event.id), delegate(2, session_ids=[workshop_id]))
    full = client.get(f"/events/{slug}/sessions/{workshop_id}").get_data(as_text=True)
    assert "Full (2 seats): new sign-ups join the waiting list." in full
