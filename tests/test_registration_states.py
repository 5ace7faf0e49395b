"""The registration's transition table: every move it allows, and none it does not."""

from __future__ import annotations

import itertools

import pytest
from builders import delegate, make_event, open_registration

from amf.db import utcnow
from amf.extensions import db
from amf.registration import services
from amf.registration.models import Registration
from amf.registration.states import (
    DELEGATE,
    SYSTEM,
    TRANSITIONS,
    ActorKind,
    InvalidTransition,
    RegistrationStatus,
    can_move,
    check_transition,
    organiser,
)

S = RegistrationStatus
ACTORS = {
    ActorKind.DELEGATE: DELEGATE,
    ActorKind.SYSTEM: SYSTEM,
    ActorKind.ORGANISER: organiser("o@amf.test"),
}

# The moves a registration may make, written out once more on purpose: the table is the
# rule, and this is the test that a change to it was meant.
EXPECTED = {
    (S.PENDING_VERIFICATION, S.CONFIRMED, ActorKind.SYSTEM),
    (S.PENDING_VERIFICATION, S.WAITLISTED, ActorKind.SYSTEM),
    (S.PENDING_VERIFICATION, S.AWAITING_APPROVAL, ActorKind.SYSTEM),
    (S.PENDING_VERIFICATION, S.EXPIRED, ActorKind.SYSTEM),
    (S.PENDING_VERIFICATION, S.CANCELLED, ActorKind.DELEGATE),
    (S.PENDING_VERIFICATION, S.CANCELLED, ActorKind.ORGANISER),
    (S.AWAITING_APPROVAL, S.CONFIRMED, ActorKind.SYSTEM),
    (S.AWAITING_APPROVAL, S.WAITLISTED, ActorKind.SYSTEM),
    (S.AWAITING_APPROVAL, S.REJECTED, ActorKind.ORGANISER),
    (S.AWAITING_APPROVAL, S.CANCELLED, ActorKind.DELEGATE),
    (S.AWAITING_APPROVAL, S.CANCELLED, ActorKind.ORGANISER),
    (S.WAITLISTED, S.CONFIRMED, ActorKind.SYSTEM),
    (S.WAITLISTED, S.CONFIRMED, ActorKind.ORGANISER),
    (S.WAITLISTED, S.CANCELLED, ActorKind.DELEGATE),
    (S.WAITLISTED, S.CANCELLED, ActorKind.ORGANISER),
    (S.CONFIRMED, S.CANCELLED, ActorKind.DELEGATE),
    (S.CONFIRMED, S.CANCELLED, ActorKind.ORGANISER),
}


@pytest.mark.parametrize(("current", "target", "kind"), list(itertools.product(S, S, ActorKind)))
def test_the_table_allows_exactly_the_expected_moves(current, target, kind):
    allowed = (current, target, kind) in EXPECTED
    assert can_move(current, target, ACTORS[kind]) is allowed
    if allowed:
        check_transition(current, target, ACTORS[kind])
    else:
        with pytest.raises(InvalidTransition):
            check_transition(current, target, ACTORS[kind])


def test_closed_states_have_no_way_out():
    for closed in (S.CANCELLED, S.REJECTED, S.EXPIRED):
        assert closed not in TRANSITIONS and not closed.is_active


def test_a_refused_move_changes_nothing_and_records_nothing(seeded):
    with seeded.app_context():
        event = open_registration(make_event())
        registration = services.submit_registration(event, delegate(1))
        services.cancel_registration(registration)
        registration = db.session.get(Registration, registration.id)
        steps = len(registration.history)
        changed_at = registration.status_changed_at
        with pytest.raises(InvalidTransition, match="already closed"):
            registration.cancel(DELEGATE, utcnow())
        with pytest.raises(services.RegistrationError, match="awaiting approval"):
            registration.approve(organiser("o@amf.test"))
        with pytest.raises(InvalidTransition, match="waiting list can be moved up"):
            registration.move_up(organiser("o@amf.test"))
        db.session.flush()
        assert registration.status == S.CANCELLED
        assert registration.status_changed_at == changed_at
        assert len(registration.history) == steps


def test_history_names_the_actor_of_each_move(seeded):
    with seeded.app_context():
        event = open_registration(make_event(), requires_approval=True)
        registration = services.submit_registration(event, delegate(1))
        from amf.registration.tokens import make_verification_token

        services.verify_registration(
            make_verification_token(registration.id, registration.email, registration.manage_nonce)
        )
        services.reject_registration(registration, organiser("o@amf.test"), "No seat")
        steps = [(s.action, s.actor) for s in db.session.get(Registration, registration.id).history]
    assert steps == [
        ("submitted", "delegate"),
        ("verified", "delegate"),
        ("rejected", "o@amf.test"),
    ]
