"""Events, their rooms, tracks, agenda sessions and speakers."""

from __future__ import annotations

import enum
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from amf.cities.models import Officer, PilotCity
from amf.db import UTCDateTime, str_enum, utcnow
from amf.extensions import db


class EventStatus(enum.StrEnum):
    """Whether the public can see an event."""

    DRAFT = "draft"
    PUBLISHED = "published"
    CANCELLED = "cancelled"


class SessionKind(enum.StrEnum):
    """What kind of agenda item a session is."""

    PLENARY = "plenary"
    PANEL = "panel"
    WORKSHOP = "workshop"
    BREAK = "break"
    SITE_VISIT = "site_visit"
    CEREMONY = "ceremony"

    @property
    def label(self) -> str:
        """Human-readable kind."""
        return self.value.replace("_", " ").capitalize()


class SessionStatus(enum.StrEnum):
    """Whether a session still takes place."""

    SCHEDULED = "scheduled"
    CANCELLED = "cancelled"


def event_window(first_day: date, last_day: date, tz_name: str) -> tuple[datetime, datetime]:
    """The UTC instants bounding an event: first day 00:00 to the day after the last, local time."""
    zone = ZoneInfo(tz_name)
    start = datetime.combine(first_day, time.min, zone)
    end = datetime.combine(last_day + timedelta(days=1), time.min, zone)
    return start.astimezone(ZoneInfo("UTC")), end.astimezone(ZoneInfo("UTC"))


class Event(db.Model):
    """One forum, e.g. AMF 2022 in Surabaya."""

    __tablename__ = "event"
    __table_args__ = (
        sa.CheckConstraint("last_day >= first_day", name="days_in_order"),
        sa.CheckConstraint(
            "registration_closes_at IS NULL OR registration_opens_at IS NULL "
            "OR registration_closes_at > registration_opens_at",
            name="registration_window_in_order",
        ),
        sa.CheckConstraint("capacity IS NULL OR capacity >= 0", name="capacity_not_negative"),
        sa.CheckConstraint("window_ends_at > window_starts_at", name="window_in_order"),
        # Target of the sessions' composite foreign key that keeps them inside the event's days.
        sa.UniqueConstraint("id", "window_starts_at", "window_ends_at", name="uq_event_window"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(sa.String(80), unique=True)
    title: Mapped[str] = mapped_column(sa.String(200))
    short_title: Mapped[str | None] = mapped_column(sa.String(40))
    theme: Mapped[str | None] = mapped_column(sa.String(400))
    description: Mapped[str] = mapped_column(sa.Text, default="")
    first_day: Mapped[date]
    last_day: Mapped[date]
    timezone: Mapped[str] = mapped_column(sa.String(64))
    venue_name: Mapped[str] = mapped_column(sa.String(200))
    venue_address: Mapped[str] = mapped_column(sa.String(400), default="")
    host_city_name: Mapped[str] = mapped_column(sa.String(120), default="")
    host_country: Mapped[str] = mapped_column(sa.String(100), default="")
    # The host is not always one of the 26 pilot cities (Surabaya is not).
    host_pilot_city_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("pilot_city.id", ondelete="SET NULL")
    )
    organiser: Mapped[str] = mapped_column(sa.String(200))
    contact_email: Mapped[str | None] = mapped_column(sa.String(254))
    status: Mapped[EventStatus] = mapped_column(
        str_enum(EventStatus, "event_status"), default=EventStatus.DRAFT, index=True
    )
    registration_opens_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    registration_closes_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    capacity: Mapped[int | None]
    # Verified delegates wait for an organiser's approval instead of being confirmed at once.
    requires_approval: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    is_demo: Mapped[bool] = mapped_column(default=False)
    # Bumped by amf.events.revisions on any change to the agenda (sessions, rooms, tracks,
    # speakers): a cheap version for caching feeds and pages.
    agenda_revision: Mapped[int] = mapped_column(default=0, server_default="0")
    agenda_modified_at: Mapped[datetime] = mapped_column(
        UTCDateTime, default=utcnow, server_default=sa.func.now()
    )
    # Derived from first_day, last_day and timezone (see _sync_event_window); stored so the
    # database itself can keep every session inside the event's days.
    window_starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    window_ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    host_pilot_city: Mapped[PilotCity | None] = relationship()
    rooms: Mapped[list[Room]] = relationship(
        back_populates="event", cascade="all, delete-orphan", order_by="Room.position"
    )
    tracks: Mapped[list[Track]] = relationship(
        back_populates="event", cascade="all, delete-orphan", order_by="Track.name"
    )
    sessions: Mapped[list[AgendaSession]] = relationship(
        back_populates="event",
        cascade="all, delete-orphan",
        order_by="AgendaSession.starts_at",
        foreign_keys="AgendaSession.event_id",
    )
    speakers: Mapped[list[Speaker]] = relationship(
        back_populates="event", cascade="all, delete-orphan", order_by="Speaker.name"
    )

    @property
    def zone(self) -> ZoneInfo:
        """The event's time zone."""
        return ZoneInfo(self.timezone)

    @property
    def days(self) -> list[date]:
        """Every day of the event, in order."""
        count = (self.last_day - self.first_day).days + 1
        return [self.first_day + timedelta(days=n) for n in range(count)]

    @property
    def venue_lines(self) -> list[str]:
        """Venue, address and host city/country, leaving out a line the others already say.

        The demo's venue "Surabaya" and place "Surabaya, Indonesia" are both inside the
        address "Surabaya, East Java, Indonesia", which alone is shown.
        """
        place = ", ".join(part for part in (self.host_city_name, self.host_country) if part)
        lines = [line for line in (self.venue_name, self.venue_address, place) if line]

        def parts(line: str) -> set[str]:
            return {part.strip().casefold() for part in line.split(",")}

        kept = list(range(len(lines)))
        for index in range(len(lines)):
            others = set().union(*(parts(lines[k]) for k in kept if k != index))
            if len(kept) > 1 and parts(lines[index]) <= others:
                kept.remove(index)
        return [lines[k] for k in kept]

    @property
    def is_public(self) -> bool:
        """Whether the public may see the event (cancelled events stay visible, marked)."""
        return self.status in (EventStatus.PUBLISHED, EventStatus.CANCELLED)

    def __repr__(self) -> str:
        return f"<Event {self.slug}>"


@sa.event.listens_for(Event, "before_insert")
@sa.event.listens_for(Event, "before_update")
def _sync_event_window(mapper, connection, target: Event) -> None:
    """Keep the stored UTC window in step with the event's days and time zone."""
    target.window_starts_at, target.window_ends_at = event_window(
        target.first_day, target.last_day, target.timezone
    )


class Room(db.Model):
    """A room at the venue."""

    __tablename__ = "room"
    __table_args__ = (
        sa.UniqueConstraint("event_id", "name"),
        sa.CheckConstraint("capacity IS NULL OR capacity > 0", name="capacity_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(sa.ForeignKey("event.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(sa.String(120))
    capacity: Mapped[int | None]
    position: Mapped[int] = mapped_column(default=0)

    event: Mapped[Event] = relationship(back_populates="rooms")

    def __repr__(self) -> str:
        return f"<Room {self.name}>"


class Track(db.Model):
    """A thematic strand of the programme."""

    __tablename__ = "track"
    __table_args__ = (sa.UniqueConstraint("event_id", "slug"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(sa.ForeignKey("event.id", ondelete="CASCADE"))
    slug: Mapped[str] = mapped_column(sa.String(80))
    name: Mapped[str] = mapped_column(sa.String(120))

    event: Mapped[Event] = relationship(back_populates="tracks")

    def __repr__(self) -> str:
        return f"<Track {self.slug}>"


session_speaker = sa.Table(
    "session_speaker",
    db.metadata,
    sa.Column(
        "session_id", sa.ForeignKey("agenda_session.id", ondelete="CASCADE"), primary_key=True
    ),
    sa.Column(
        "speaker_id", sa.ForeignKey("speaker.id", ondelete="CASCADE"), primary_key=True, index=True
    ),
)


class AgendaSession(db.Model):
    """One item of an event's agenda."""

    __tablename__ = "agenda_session"
    __table_args__ = (
        sa.CheckConstraint("ends_at > starts_at", name="ends_after_start"),
        sa.CheckConstraint(
            "starts_at >= event_window_starts_at AND ends_at <= event_window_ends_at",
            name="within_event_days",
        ),
        sa.CheckConstraint("revision >= 0", name="revision_not_negative"),
        sa.CheckConstraint("capacity IS NULL OR capacity > 0", name="capacity_positive"),
        # Copies the event's window; ON UPDATE CASCADE keeps it current, so moving an
        # event's days fails if it would leave a session outside them.
        sa.ForeignKeyConstraint(
            ["event_id", "event_window_starts_at", "event_window_ends_at"],
            ["event.id", "event.window_starts_at", "event.window_ends_at"],
            name="fk_agenda_session_event_window",
            onupdate="CASCADE",
            ondelete="CASCADE",
        ),
        sa.Index("ix_agenda_session_event_starts", "event_id", "starts_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(sa.ForeignKey("event.id", ondelete="CASCADE"))
    event_window_starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    event_window_ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    title: Mapped[str] = mapped_column(sa.String(300))
    description: Mapped[str] = mapped_column(sa.Text, default="")
    kind: Mapped[SessionKind] = mapped_column(str_enum(SessionKind, "session_kind"))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    room_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("room.id", ondelete="SET NULL"), index=True
    )
    track_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("track.id", ondelete="SET NULL"), index=True
    )
    status: Mapped[SessionStatus] = mapped_column(
        str_enum(SessionStatus, "session_status"), default=SessionStatus.SCHEDULED
    )
    # Delegates may sign up for it when registering; capacity None means no limit.
    takes_signups: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    capacity: Mapped[int | None]
    # Calendar clients only pick up a change when SEQUENCE rises: bumped on every change.
    revision: Mapped[int] = mapped_column(default=0)
    modified_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    event: Mapped[Event] = relationship(back_populates="sessions", foreign_keys=[event_id])
    room: Mapped[Room | None] = relationship()
    track: Mapped[Track | None] = relationship()
    speakers: Mapped[list[Speaker]] = relationship(
        secondary=session_speaker,
        order_by="Speaker.name",
        back_populates="sessions",
    )

    @property
    def is_cancelled(self) -> bool:
        """Whether the session has been called off."""
        return self.status == SessionStatus.CANCELLED

    def __repr__(self) -> str:
        return f"<AgendaSession {self.id} {self.title!r}>"


@sa.event.listens_for(AgendaSession, "before_insert")
@sa.event.listens_for(AgendaSession, "before_update")
def _copy_event_window(mapper, connection, target: AgendaSession) -> None:
    """Give a new or moved session its event's window, which the database checks it against."""
    event = target.event
    if event is not None:
        if event.window_starts_at is None or event.window_ends_at is None:
            _sync_event_window(None, connection, event)
        target.event_window_starts_at = event.window_starts_at
        target.event_window_ends_at = event.window_ends_at


class Speaker(db.Model):
    """A person speaking at an event, optionally one of the pilot cities' officers."""

    __tablename__ = "speaker"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(sa.ForeignKey("event.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    honorific: Mapped[str] = mapped_column(sa.String(60), default="")
    position: Mapped[str] = mapped_column(sa.String(300), default="")
    organisation: Mapped[str] = mapped_column(sa.String(300), default="")
    bio: Mapped[str] = mapped_column(sa.Text, default="")
    officer_id: Mapped[int | None] = mapped_column(sa.ForeignKey("officer.id", ondelete="SET NULL"))

    event: Mapped[Event] = relationship(back_populates="speakers")
    officer: Mapped[Officer | None] = relationship()
    sessions: Mapped[list[AgendaSession]] = relationship(
        secondary=session_speaker,
        back_populates="speakers",
        order_by="AgendaSession.starts_at",
    )

    @property
    def display_name(self) -> str:
        """Name with honorific, as printed on the agenda."""
        return f"{self.honorific} {self.name}".strip()

    def __repr__(self) -> str:
        return f"<Speaker {self.name!r}>"
