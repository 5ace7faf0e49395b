"""Delegate registrations, their session sign-ups and their history."""

from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.hybrid import hybrid_property
from sqlalchemy.orm import Mapped, mapped_column, object_session, relationship

from amf.cities.models import Officer, PilotCity
from amf.db import UTCDateTime, str_enum, utcnow
from amf.events.models import AgendaSession, Event
from amf.extensions import db
from amf.registration.states import (
    ACTIVE_STATUSES,
    DELEGATE,
    SYSTEM,
    Actor,
    InvalidTransition,
    RegistrationStatus,
    check_transition,
)


class DelegateCategory(enum.StrEnum):
    """In what capacity a delegate attends."""

    HEAD_OF_CITY = "head_of_city"
    CHIEF_SMART_CITY_OFFICER = "csco"
    NATIONAL_REPRESENTATIVE = "national_representative"
    CITY_OFFICIAL = "city_official"
    PARTNER = "partner"
    OBSERVER = "observer"
    MEDIA = "media"
    SPEAKER = "speaker"

    @property
    def label(self) -> str:
        """Human-readable category."""
        return {
            "head_of_city": "Head of city (mayor, governor, deputy)",
            "csco": "Chief Smart City Officer",
            "national_representative": "National representative",
            "city_official": "City official",
            "partner": "Partner",
            "observer": "Observer",
            "media": "Media",
            "speaker": "Speaker",
        }[self.value]


class SignupStatus(enum.StrEnum):
    """A delegate's place in one session."""

    REQUESTED = "requested"  # chosen, but the registration holds no seat yet
    CONFIRMED = "confirmed"
    WAITLISTED = "waitlisted"
    # The seat was given up (the session left, or the registration cancelled): kept so the
    # delegate's calendar gets the session's cancellation, and a later REQUEST outranks it.
    RELEASED = "released"

    @property
    def label(self) -> str:
        """What the delegate's place in the session is, in words."""
        return {
            "requested": "requested",
            "confirmed": "seat confirmed",
            "waitlisted": "on the waiting list",
            "released": "given up",
        }[self.value]


class Registration(db.Model):
    """One delegate's registration for one event."""

    __tablename__ = "registration"
    __table_args__ = (
        # One active registration per event and address, whatever its case, enforced by the
        # database; the lookups compare lower(email), so they can use this index.
        sa.Index(
            "uq_registration_active_email",
            "event_id",
            sa.func.lower(sa.column("email")),
            unique=True,
            sqlite_where=sa.column("status").in_([s.value for s in ACTIVE_STATUSES]),
            postgresql_where=sa.column("status").in_([s.value for s in ACTIVE_STATUSES]),
        ),
        sa.Index("ix_registration_event_status", "event_id", "status"),
        sa.CheckConstraint(
            "city_id IS NOT NULL OR other_organisation <> ''", name="city_or_organisation"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(sa.ForeignKey("event.id", ondelete="CASCADE"))
    reference: Mapped[str] = mapped_column(sa.String(16), unique=True)
    status: Mapped[RegistrationStatus] = mapped_column(
        str_enum(RegistrationStatus, "registration_status"),
        default=RegistrationStatus.PENDING_VERIFICATION,
    )
    honorific: Mapped[str] = mapped_column(sa.String(40), default="")
    given_names: Mapped[str] = mapped_column(sa.String(120))
    family_name: Mapped[str] = mapped_column(sa.String(120), default="")
    email: Mapped[str] = mapped_column(sa.String(254))
    phone: Mapped[str] = mapped_column(sa.String(40), default="")
    position: Mapped[str] = mapped_column(sa.String(200), default="")
    organisation: Mapped[str] = mapped_column(sa.String(200), default="")
    category: Mapped[DelegateCategory] = mapped_column(
        str_enum(DelegateCategory, "delegate_category")
    )
    city_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("pilot_city.id", ondelete="RESTRICT"), index=True
    )
    officer_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("officer.id", ondelete="SET NULL"), index=True
    )
    other_organisation: Mapped[str] = mapped_column(sa.String(200), default="")
    other_country: Mapped[str] = mapped_column(sa.String(100), default="")
    dietary_needs: Mapped[str] = mapped_column(sa.String(500), default="")
    accessibility_needs: Mapped[str] = mapped_column(sa.String(500), default="")
    consented_privacy_at: Mapped[datetime] = mapped_column(UTCDateTime)
    listed_publicly: Mapped[bool] = mapped_column(default=False)
    # The manage link's token is derived from this nonce and SECRET_KEY (tokens.derive_token);
    # pages look it up by the token's SHA-256, so the database alone never yields a link.
    manage_nonce: Mapped[str] = mapped_column(sa.String(32))
    manage_token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    # The personal calendar feed has its own secret, so sharing a feed URL never shares the
    # manage link; regenerating it (a new nonce) stops the old feed URL.
    calendar_nonce: Mapped[str] = mapped_column(sa.String(32))
    calendar_token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    verify_by: Mapped[datetime] = mapped_column(UTCDateTime)
    verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # When the registration first held a seat: its calendar got the event and its sessions,
    # so a cancellation must take them out again.
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # When the delegate joined the waiting list: the queue is served in this order.
    waitlisted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    status_changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    event: Mapped[Event] = relationship()
    city: Mapped[PilotCity | None] = relationship()
    officer: Mapped[Officer | None] = relationship()
    signups: Mapped[list[SessionSignup]] = relationship(
        back_populates="registration", cascade="all, delete-orphan"
    )
    history: Mapped[list[RegistrationLog]] = relationship(
        back_populates="registration",
        cascade="all, delete-orphan",
        order_by="RegistrationLog.id",
    )

    # ------------------------------------------------------------ transitions
    # Each one move of amf.registration.states.TRANSITIONS, recorded in the history; the
    # services call them inside their transaction, seats.py decides which one.

    def move_to(
        self,
        status: RegistrationStatus,
        actor: Actor,
        now: datetime,
        action: str | None = None,
        detail: str = "",
    ) -> None:
        """Make one allowed move, noting when, and (with ``action``) the history step."""
        check_transition(self.status, status, actor)
        self.status = status
        self.status_changed_at = now
        if action:
            self.log(action, actor, detail)

    def mark_verified(self, now: datetime) -> None:
        """The delegate proved the address: the organisers or the seats decide next."""
        if self.status != RegistrationStatus.PENDING_VERIFICATION:
            raise InvalidTransition("This registration is already verified.")
        self.verified_at = now
        self.log("verified", DELEGATE)

    def await_approval(self, now: datetime) -> None:
        """Verified on an event whose organisers approve each delegate."""
        self.move_to(RegistrationStatus.AWAITING_APPROVAL, SYSTEM, now)

    def approve(self, actor: Actor) -> None:
        """An organiser admits the delegate; the seats decide confirmed or waitlisted."""
        if self.status != RegistrationStatus.AWAITING_APPROVAL:
            raise InvalidTransition("Only registrations awaiting approval can be approved.")
        self.log("approved", actor)

    def move_up(self, actor: Actor) -> None:
        """An organiser gives a waiting delegate a seat now, past the event's capacity."""
        check_transition(
            self.status,
            RegistrationStatus.CONFIRMED,
            actor,
            "Only delegates on the waiting list can be moved up.",
        )
        self.log("moved from the waiting list", actor)

    def confirm(self, now: datetime, promoted: bool = False) -> None:
        """The delegate holds a seat (first seated at ``confirmed_at``)."""
        action = "promoted from the waiting list" if promoted else "confirmed"
        self.move_to(RegistrationStatus.CONFIRMED, SYSTEM, now, action)
        if self.confirmed_at is None:
            self.confirmed_at = now

    def waitlist(self, now: datetime) -> None:
        """The event is full: the delegate joins the end of its waiting list."""
        self.move_to(RegistrationStatus.WAITLISTED, SYSTEM, now, "waitlisted")
        self.waitlisted_at = now

    def reject(self, actor: Actor, now: datetime, reason: str = "") -> None:
        """The organisers decline the registration."""
        self.move_to(RegistrationStatus.REJECTED, actor, now, "rejected", reason)

    def cancel(self, actor: Actor, now: datetime) -> None:
        """The delegate or an organiser closes the registration."""
        self.move_to(RegistrationStatus.CANCELLED, actor, now, "cancelled")

    def expire(self, now: datetime) -> None:
        """The verification window passed unused."""
        self.move_to(RegistrationStatus.EXPIRED, SYSTEM, now, "expired")

    def check_open(self) -> None:
        """Raise InvalidTransition unless the delegate may still change the registration."""
        if not self.status.is_active:
            raise InvalidTransition("This registration can no longer be changed.")

    def log(self, action: str, actor: Actor = DELEGATE, detail: str = "") -> None:
        """Add a step to the registration's history, without loading the steps before it."""
        entry = RegistrationLog(registration=self, action=action, actor=actor.label, detail=detail)
        session = object_session(self)
        if session is not None:  # a new registration's steps are saved with it instead
            session.add(entry)

    @property
    def active_signups(self) -> list[SessionSignup]:
        """The sessions the delegate chose and has not given up, in agenda order."""
        return sorted(
            (s for s in self.signups if s.status != SignupStatus.RELEASED),
            key=lambda s: (s.session.starts_at, s.session_id),
        )

    @property
    def home_timezone(self) -> str | None:
        """The delegate's city's zone where it differs from the event's, for a second clock."""
        zone = self.city.timezone if self.city is not None else None
        return zone if zone and zone != self.event.timezone else None

    @property
    def full_name(self) -> str:
        """Given names and family name; a single-name delegate has only the first."""
        return " ".join(part for part in (self.given_names, self.family_name) if part)

    @property
    def display_name(self) -> str:
        """Name with honorific."""
        return " ".join(part for part in (self.honorific, self.full_name) if part)

    @property
    def represents(self) -> str:
        """The pilot city or organisation the delegate represents."""
        if self.city is not None:
            return f"{self.city.name}, {self.city.member_state.name}"
        country = f", {self.other_country}" if self.other_country else ""
        return f"{self.other_organisation}{country}"

    @property
    def is_officer(self) -> bool:
        """Whether the delegate says they are one of the city's listed officers."""
        return self.officer_id is not None

    @hybrid_property
    def officer_confirmed(self) -> bool:
        """Whether that claim is proven: the officer's email on record is the address this
        registration verified. Anyone can pick an officer's name; organisers see which is which.
        """
        officer_email = (self.officer.email or "").strip().lower() if self.officer else ""
        return (
            bool(officer_email)
            and self.verified_at is not None
            and (officer_email == self.email.lower())
        )

    @officer_confirmed.inplace.expression
    @classmethod
    def _officer_confirmed_sql(cls) -> sa.ColumnElement[bool]:
        """The same rule in SQL, for queries over many registrations."""
        return sa.and_(
            cls.verified_at.is_not(None),
            sa.exists().where(
                Officer.id == cls.officer_id,
                sa.func.trim(sa.func.coalesce(Officer.email, "")) != "",
                sa.func.lower(sa.func.trim(Officer.email)) == sa.func.lower(cls.email),
            ),
        )

    @classmethod
    def matching(cls, text: str) -> sa.ColumnElement[bool]:
        """The search of the back office and the check-in desk: name, email, reference or
        organisation contains the text, in any case (``%`` and ``_`` match themselves).
        """
        needle = text.strip().lower()
        fields = (
            cls.given_names + " " + cls.family_name,
            cls.email,
            cls.reference,
            cls.organisation,
            cls.other_organisation,
        )
        return sa.or_(*(sa.func.lower(f).contains(needle, autoescape=True) for f in fields))

    @property
    def identity_locked(self) -> bool:
        """Whether organisers approved who this is: name, category and delegation then stay
        as approved, and only the organisers change them.
        """
        approved = (RegistrationStatus.CONFIRMED, RegistrationStatus.WAITLISTED)
        return self.event.requires_approval and self.status in approved

    def __repr__(self) -> str:
        return f"<Registration {self.reference} {self.status}>"


class SessionSignup(db.Model):
    """A registered delegate's place (or place in the queue) in one session."""

    __tablename__ = "session_signup"
    __table_args__ = (sa.Index("ix_session_signup_session_status", "session_id", "status"),)

    registration_id: Mapped[int] = mapped_column(
        sa.ForeignKey("registration.id", ondelete="CASCADE"), primary_key=True
    )
    session_id: Mapped[int] = mapped_column(
        sa.ForeignKey("agenda_session.id", ondelete="CASCADE"), primary_key=True
    )
    status: Mapped[SignupStatus] = mapped_column(str_enum(SignupStatus, "signup_status"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    waitlisted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Raised each time this delegate's copy of the session changes without the session
    # changing (seat given up, seat taken again): SEQUENCE = session revision + this.
    sequence_offset: Mapped[int] = mapped_column(default=0, server_default="0")

    registration: Mapped[Registration] = relationship(back_populates="signups")
    session: Mapped[AgendaSession] = relationship()

    @property
    def sequence(self) -> int:
        """This delegate's SEQUENCE for the session, in their feed and their invitations."""
        return self.session.revision + self.sequence_offset


class RegistrationLog(db.Model):
    """One step in a registration's history: who did what, when."""

    __tablename__ = "registration_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    registration_id: Mapped[int] = mapped_column(
        sa.ForeignKey("registration.id", ondelete="CASCADE"), index=True
    )
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    action: Mapped[str] = mapped_column(sa.String(40))
    actor: Mapped[str] = mapped_column(sa.String(120), default="delegate")
    detail: Mapped[str] = mapped_column(sa.Text, default="")

    registration: Mapped[Registration] = relationship(back_populates="history")
