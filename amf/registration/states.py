"""A registration's states, who may move it between them, and the actors who do."""

from __future__ import annotations

import enum
from dataclasses import dataclass


class RegistrationStatus(enum.StrEnum):
    """Where a registration stands."""

    PENDING_VERIFICATION = "pending_verification"
    CONFIRMED = "confirmed"
    WAITLISTED = "waitlisted"
    AWAITING_APPROVAL = "awaiting_approval"
    REJECTED = "rejected"
    CANCELLED = "cancelled"
    EXPIRED = "expired"

    @property
    def label(self) -> str:
        """Human-readable status."""
        return {
            "pending_verification": "Awaiting email verification",
            "confirmed": "Confirmed",
            "waitlisted": "On the waiting list",
            "awaiting_approval": "Awaiting approval",
            "rejected": "Not approved",
            "cancelled": "Cancelled",
            "expired": "Expired (not verified in time)",
        }[self.value]

    @property
    def is_active(self) -> bool:
        """Whether the registration still counts (one active registration per email)."""
        return self in ACTIVE_STATUSES


ACTIVE_STATUSES = (
    RegistrationStatus.PENDING_VERIFICATION,
    RegistrationStatus.CONFIRMED,
    RegistrationStatus.WAITLISTED,
    RegistrationStatus.AWAITING_APPROVAL,
)


class ActorKind(enum.StrEnum):
    """Who changes a registration."""

    DELEGATE = "delegate"
    ORGANISER = "organiser"
    SYSTEM = "system"


@dataclass(frozen=True)
class Actor:
    """Who did something, as the registration's history names them."""

    kind: ActorKind
    email: str = ""

    @property
    def label(self) -> str:
        """'delegate', 'system', or the organiser's address."""
        return self.email or self.kind.value

    @property
    def is_delegate(self) -> bool:
        """Whether the delegate acts themselves (not an organiser on their behalf)."""
        return self.kind is ActorKind.DELEGATE


DELEGATE = Actor(ActorKind.DELEGATE)
SYSTEM = Actor(ActorKind.SYSTEM)


def organiser(email: str) -> Actor:
    """An organiser, named by their address."""
    return Actor(ActorKind.ORGANISER, email)


_S = RegistrationStatus
_CANCELLERS = frozenset({ActorKind.DELEGATE, ActorKind.ORGANISER})
_SYSTEM = frozenset({ActorKind.SYSTEM})

# Every allowed move: from a status, to a status, by whom. Seats are decided by the system
# (after a verification, an approval, a free seat); organisers reject, move a waiting
# delegate up, and cancel; delegates cancel their own.
TRANSITIONS: dict[RegistrationStatus, dict[RegistrationStatus, frozenset[ActorKind]]] = {
    _S.PENDING_VERIFICATION: {
        _S.CONFIRMED: _SYSTEM,
        _S.WAITLISTED: _SYSTEM,
        _S.AWAITING_APPROVAL: _SYSTEM,
        _S.EXPIRED: _SYSTEM,
        _S.CANCELLED: _CANCELLERS,
    },
    _S.AWAITING_APPROVAL: {
        _S.CONFIRMED: _SYSTEM,
        _S.WAITLISTED: _SYSTEM,
        _S.REJECTED: frozenset({ActorKind.ORGANISER}),
        _S.CANCELLED: _CANCELLERS,
    },
    _S.WAITLISTED: {
        _S.CONFIRMED: frozenset({ActorKind.SYSTEM, ActorKind.ORGANISER}),
        _S.CANCELLED: _CANCELLERS,
    },
    _S.CONFIRMED: {_S.CANCELLED: _CANCELLERS},
}


class RegistrationError(Exception):
    """A registration request that cannot be carried out, with a message for the delegate."""


class InvalidTransition(RegistrationError):
    """A move the table does not allow, with a sentence for whoever asked for it."""


_REFUSALS = {
    _S.PENDING_VERIFICATION: "A registration cannot go back to awaiting verification.",
    _S.CONFIRMED: "Only a registration awaiting a seat can be given one.",
    _S.WAITLISTED: "Only a registration awaiting a seat can join the waiting list.",
    _S.AWAITING_APPROVAL: "Only a newly verified registration can await approval.",
    _S.REJECTED: "Only registrations awaiting approval can be rejected.",
    _S.CANCELLED: "This registration is already closed.",
    _S.EXPIRED: "Only an unverified registration can expire.",
}


def can_move(current: RegistrationStatus, target: RegistrationStatus, actor: Actor) -> bool:
    """Whether the table lets this actor make this move."""
    return actor.kind in TRANSITIONS.get(current, {}).get(target, frozenset())


def check_transition(
    current: RegistrationStatus, target: RegistrationStatus, actor: Actor, refusal: str = ""
) -> None:
    """Raise InvalidTransition unless the table lets this actor make this move."""
    if not can_move(current, target, actor):
        raise InvalidTransition(refusal or _REFUSALS[target])
