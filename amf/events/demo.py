"""Demo content: the AMF 2022 event, and synthetic agendas for benchmarks."""

from __future__ import annotations

import json
from datetime import date, datetime, time, timedelta
from importlib import resources
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from amf.cities.models import Officer, PilotCity
from amf.events.models import (
    AgendaSession,
    Event,
    EventStatus,
    Room,
    SessionKind,
    Speaker,
    Track,
)
from amf.extensions import db

DEMO_FILE = "amf2022.json"
_EVENT_DATE_FIELDS = {
    "slug",
    "first_day",
    "last_day",
    "registration_opens_at",
    "registration_closes_at",
}


def load_demo_file() -> dict[str, Any]:
    """The shipped AMF 2022 demo data, parsed."""
    text = resources.files("amf.events").joinpath("data", DEMO_FILE).read_text("utf-8")
    return json.loads(text)


def _local(day: str, clock: str, zone: ZoneInfo) -> datetime:
    return datetime.combine(date.fromisoformat(day), time.fromisoformat(clock), zone)


def _speaker_for_officer(event: Event, officer: Officer) -> Speaker:
    return Speaker(
        event=event,
        name=officer.name,
        position=officer.designation_lines[0],
        organisation=f"{officer.city.name}, {officer.city.member_state.name}",
        officer=officer,
    )


def load_amf2022(reset: bool = False) -> tuple[Event, bool]:
    """Create the AMF 2022 demo event unless it exists; with reset, replace it."""
    data = load_demo_file()
    info = data["event"]
    return _load_event(
        data,
        reset=reset,
        slug=info["slug"],
        first_day=date.fromisoformat(info["first_day"]),
        registration_opens_at=datetime.fromisoformat(info["registration_opens_at"]),
        registration_closes_at=datetime.fromisoformat(info["registration_closes_at"]),
    )


def load_practice_event(reset: bool = False, today: date | None = None) -> tuple[Event, bool]:
    """An upcoming copy of AMF 2022 with registration open, to try the delegate's journey."""
    data = load_demo_file()
    today = today or datetime.now(ZoneInfo(data["event"]["timezone"])).date()
    first_day = today + timedelta(days=60)
    overrides = data["practice_event"]
    return _load_event(
        data,
        reset=reset,
        slug=overrides["slug"],
        first_day=first_day,
        registration_opens_at=datetime.combine(today - timedelta(days=1), time(0), ZoneInfo("UTC")),
        registration_closes_at=datetime.combine(
            first_day - timedelta(days=2), time(0), ZoneInfo("UTC")
        ),
        **{k: v for k, v in overrides.items() if k not in {"slug", "signup_sessions"}},
        signup_sessions=overrides["signup_sessions"],
    )


def _load_event(
    data: dict[str, Any],
    *,
    reset: bool,
    slug: str,
    first_day: date,
    registration_opens_at: datetime,
    registration_closes_at: datetime,
    signup_sessions: dict[str, int] | None = None,
    **overrides: Any,
) -> tuple[Event, bool]:
    """Create an event from the demo data on the given first day, keeping its agenda's shape."""
    info = data["event"]
    existing = db.session.scalars(sa.select(Event).where(Event.slug == slug)).one_or_none()
    if existing is not None and not reset:
        return existing, False
    if existing is not None:
        db.session.delete(existing)
        db.session.flush()

    officers = {
        o.ref: o
        for o in db.session.scalars(
            sa.select(Officer).options(
                selectinload(Officer.city).selectinload(PilotCity.member_state)
            )
        )
    }
    zone = ZoneInfo(info["timezone"])
    original_first_day = date.fromisoformat(info["first_day"])
    shift = first_day - original_first_day
    fields = {k: v for k, v in info.items() if k not in _EVENT_DATE_FIELDS}
    fields.update(overrides)
    event = Event(
        **fields,
        slug=slug,
        first_day=first_day,
        last_day=date.fromisoformat(info["last_day"]) + shift,
        registration_opens_at=registration_opens_at,
        registration_closes_at=registration_closes_at,
        status=EventStatus.PUBLISHED,
        is_demo=True,
    )
    db.session.add(event)
    rooms = {
        r["name"]: Room(event=event, name=r["name"], capacity=r["capacity"], position=n)
        for n, r in enumerate(data["rooms"])
    }
    tracks = {t["slug"]: Track(event=event, slug=t["slug"], name=t["name"]) for t in data["tracks"]}
    speakers: dict[str, Speaker] = {
        g["key"]: Speaker(event=event, **{k: v for k, v in g.items() if k != "key"})
        for g in data["guest_speakers"]
    }
    signup_sessions = signup_sessions or {}
    for item in data["sessions"]:
        day = (date.fromisoformat(item["day"]) + shift).isoformat()
        session = AgendaSession(
            event=event,
            title=item["title"],
            description=item["description"],
            kind=SessionKind(item["kind"]),
            starts_at=_local(day, item["start"], zone),
            ends_at=_local(day, item["end"], zone),
            room=rooms[item["room"]],
            track=tracks.get(item["track"]) if item["track"] else None,
            takes_signups=item["title"] in signup_sessions,
            capacity=signup_sessions.get(item["title"]),
        )
        for ref in item["speakers"]:
            if ref not in speakers:
                if ref not in officers:
                    raise LookupError(
                        f"Demo speaker {ref!r} is not a seeded officer: run `flask amf seed` first."
                    )
                speakers[ref] = _speaker_for_officer(event, officers[ref])
            session.speakers.append(speakers[ref])
        db.session.add(session)
    db.session.commit()
    return event, True


def generate_synthetic_events(count: int, sessions_per_event: int) -> list[Event]:
    """Create `count` published demo events of `sessions_per_event` half-hour sessions each."""
    kinds = [SessionKind.PLENARY, SessionKind.PANEL, SessionKind.WORKSHOP]
    days, slots_per_day = 3, 18  # 09:00-18:00 in half hours
    rooms_needed = -(-sessions_per_event // (days * slots_per_day))
    existing = db.session.scalar(sa.select(sa.func.count()).select_from(Event)) or 0
    zone_name = "Asia/Jakarta"
    zone = ZoneInfo(zone_name)
    first_day = date(2030, 10, 7)
    created = []
    for n in range(count):
        event = Event(
            slug=f"synthetic-{existing + n + 1}-{sessions_per_event}",
            title=f"Synthetic forum {existing + n + 1} ({sessions_per_event} sessions)",
            theme="Generated agenda for benchmarks",
            description="Generated by `flask amf demo --sessions`.",
            first_day=first_day,
            last_day=first_day + timedelta(days=days - 1),
            timezone=zone_name,
            venue_name="Synthetic venue",
            organiser="AMF Events benchmarks",
            status=EventStatus.PUBLISHED,
            is_demo=True,
        )
        rooms = [Room(event=event, name=f"Room {r + 1}", position=r) for r in range(rooms_needed)]
        tracks = [
            Track(event=event, slug=f"track-{t + 1}", name=f"Track {t + 1}") for t in range(4)
        ]
        db.session.add(event)
        for i in range(sessions_per_event):
            room_index, slot = divmod(i, days * slots_per_day)
            day, slot_of_day = divmod(slot, slots_per_day)
            start = datetime.combine(first_day + timedelta(days=day), time(9), zone) + timedelta(
                minutes=30 * slot_of_day
            )
            db.session.add(
                AgendaSession(
                    event=event,
                    title=f"Session {i + 1}: Smart, resilient cities — ASEAN dialogue",
                    description=f"Synthetic session {i + 1}; commas, semicolons; a backslash \\.",
                    kind=kinds[i % len(kinds)],
                    starts_at=start,
                    ends_at=start + timedelta(minutes=30),
                    room=rooms[room_index],
                    track=tracks[i % len(tracks)],
                )
            )
        created.append(event)
    db.session.commit()
    return created


def remove_demo_events() -> int:
    """Delete every event marked as demo data; returns how many."""
    events = db.session.scalars(sa.select(Event).where(Event.is_demo.is_(True))).all()
    for event in events:
        db.session.delete(event)
    db.session.commit()
    return len(events)
