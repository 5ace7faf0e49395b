"""One delegate search for the back office's list and the check-in desk."""

from __future__ import annotations

import pytest
from builders import delegate, make_event, open_registration

from amf.checkin.services import search_delegates
from amf.extensions import db
from amf.organiser.registrations import RegistrationFilters, list_registrations
from amf.registration import services
from amf.registration.tokens import make_verification_token


@pytest.fixture
def delegates(seeded):
    with seeded.app_context():
        event = open_registration(make_event())
        people = [
            delegate(1, given_names="Maria", family_name="Santos", email="maria@manila.example"),
            delegate(2, given_names="Somchai", family_name="Wong", other_organisation="100% Cities",
                     city_id=None),
            delegate(3, given_names="Linh", family_name="Tran", email="linh_tran@hanoi.example"),
        ]  # fmt: skip
        for details in people:
            registration = services.submit_registration(event, details)
            services.verify_registration(
                make_verification_token(
                    registration.id, registration.email, registration.manage_nonce
                )
            )
        db.session.commit()
        return event.id


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("maria sant", {"Maria"}),  # part of the full name, any case
        ("MANILA.example", {"Maria"}),  # the email
        ("100%", {"Somchai"}),  # the organisation; % is a character, not a wildcard
        ("_tran", {"Linh"}),  # _ likewise
        ("%", {"Somchai"}),
    ],
)
def test_the_list_and_the_desk_find_the_same_delegates(seeded, delegates, text, expected):
    from amf.events.models import Event

    with seeded.app_context():
        event = db.session.get(Event, delegates)
        at_desk = {r.given_names for r in search_delegates(event, text)}
        in_list = {
            r.given_names for r in list_registrations(event, RegistrationFilters(q=text)).items
        }
    assert in_list == expected
    # The desk waits for two characters before it searches.
    assert at_desk == (expected if len(text) >= 2 else set())
