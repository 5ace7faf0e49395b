"""Small builders for events and sessions in tests (they add and flush; the test commits)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from amf.events.models import AgendaSession, Event, EventStatus, Room, SessionKind, Track
from amf.extensions import db


def make_event(slug="test-forum", status=EventStatus.PUBLISHED, **fields) -> Event:
    """A two-day published event in Asia/Jakarta unless told otherwise."""
    values = dict(
        slug=slug,
        title=f"Forum {slug}",
        theme="Smart cities",
        first_day=date(2031, 3, 10),
        last_day=date(2031, 3, 11),
        timezone="Asia/Jakarta",
        venue_name="Test venue",
        venue_address="Jl. Test 1, Surabaya",
        organiser="UCLG ASPAC",
        status=status,
    )
    values.update(fields)
    event = Event(**values)
    db.session.add(event)
    db.session.flush()
    return event


def local(event: Event, day_offset: int, clock: str) -> datetime:
    """A wall-clock time on the event's nth day, in its time zone."""
    day = event.first_day + timedelta(days=day_offset)
    return datetime.combine(day, time.fromisoformat(clock), ZoneInfo(event.timezone))


def make_session(
    event: Event,
    start: str = "09:00",
    end: str = "10:00",
    day: int = 0,
    title: str = "A session",
    room: Room | None = None,
    track: Track | None = None,
    **fields,
) -> AgendaSession:
    """A session on the event's given day between two local wall-clock times."""
    session = AgendaSession(
        event=event,
        title=title,
        kind=fields.pop("kind", SessionKind.PLENARY),
        starts_at=local(event, day, start),
        ends_at=local(event, day, end),
        room=room,
        track=track,
        **fields,
    )
    db.session.add(session)
    db.session.flush()
    return session


def make_agenda(event: Event, count: int, speakers_per_session: int = 2) -> None:
    """`count` sessions spread over rooms and tracks, each with speakers."""
    from amf.events.models import Speaker

    rooms = [Room(event=event, name=f"Room {n}", position=n) for n in range(5)]
    tracks = [Track(event=event, slug=f"t{n}", name=f"Track {n}") for n in range(3)]
    speakers = [Speaker(event=event, name=f"Speaker {n}") for n in range(20)]
    db.session.add_all(rooms + tracks + speakers)
    for i in range(count):
        slot = (i // len(rooms)) % 40
        start = local(event, (i // (len(rooms) * 40)) % 2, "08:00") + timedelta(minutes=15 * slot)
        session = AgendaSession(
            event=event,
            title=f"Session {i}",
            kind=SessionKind.PANEL,
            starts_at=start,
            ends_at=start + timedelta(minutes=15),
            room=rooms[i % len(rooms)],
            track=tracks[i % len(tracks)],
        )
        session.speakers = [speakers[(i + k) % len(speakers)] for k in range(speakers_per_session)]
        db.session.add(session)
    db.session.flush()


def open_registration(event: Event, capacity: int | None = None, **fields) -> Event:
    """Open the event's registration window around now, with an optional seat limit."""
    from amf.db import utcnow

    now = utcnow()
    event.registration_opens_at = now - timedelta(days=1)
    event.registration_closes_at = now + timedelta(days=30)
    event.capacity = capacity
    for name, value in fields.items():
        setattr(event, name, value)
    db.session.flush()
    return event


def delegate(n: int = 1, **fields):
    """Details of a delegate representing Hanoi, unless told otherwise."""
    import sqlalchemy as sa

    from amf.cities.models import PilotCity
    from amf.registration.models import DelegateCategory
    from amf.registration.services import DelegateDetails

    city_id = fields.pop("city_id", None)
    if city_id is None and "other_organisation" not in fields:
        city_id = db.session.scalar(sa.select(PilotCity.id).where(PilotCity.slug == "hanoi"))
    values = dict(
        given_names=f"Delegate {n}",
        family_name="Nguyễn",
        email=f"delegate{n}@example.org",
        category=DelegateCategory.CITY_OFFICIAL,
        city_id=city_id,
    )
    values.update(fields)
    return DelegateDetails(**values)


def signed_up_delegates(event, session, count: int) -> None:
    """`count` confirmed delegates holding a seat in the session (bulk-inserted)."""
    import sqlalchemy as sa

    from amf.db import utcnow
    from amf.registration.models import (
        DelegateCategory,
        Registration,
        RegistrationStatus,
        SessionSignup,
        SignupStatus,
    )

    now = utcnow()
    rows = [
        dict(
            event_id=event.id,
            reference=f"R{n:07d}",
            status=RegistrationStatus.CONFIRMED,
            honorific="",
            given_names=f"Delegate {n}",
            family_name="Nguyễn",
            email=f"d{n}@example.org",
            phone="",
            position="",
            organisation="",
            category=DelegateCategory.OBSERVER,
            other_organisation="Org",
            other_country="",
            dietary_needs="",
            accessibility_needs="",
            consented_privacy_at=now,
            listed_publicly=False,
            manage_nonce=f"{n:032d}",
            manage_token_hash=f"m{n:063d}",
            calendar_nonce=f"{n:032d}",
            calendar_token_hash=f"c{n:063d}",
            created_at=now,
            updated_at=now,
            verify_by=now,
            status_changed_at=now,
        )
        for n in range(count)
    ]
    db.session.execute(sa.insert(Registration), rows)
    ids = db.session.scalars(sa.select(Registration.id).where(Registration.event_id == event.id))
    db.session.execute(
        sa.insert(SessionSignup),
        [
            dict(
                registration_id=i,
                session_id=session.id,
                status=SignupStatus.CONFIRMED,
                created_at=now,
            )
            for i in ids
        ],
    )
    db.session.commit()


def verified_registration(event: Event, n: int = 1, **fields) -> int:
    """A delegate who registered and followed the verification link; returns its id."""
    from amf.registration.services import submit_registration, verify_registration
    from amf.registration.tokens import make_verification_token

    registration = submit_registration(event, delegate(n, **fields))
    verify_registration(
        make_verification_token(registration.id, registration.email, registration.manage_nonce)
    )
    return registration.id
