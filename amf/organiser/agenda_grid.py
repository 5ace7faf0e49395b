"""The agenda as a grid: one table per day, a column per room, a row per start time."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime

from amf.events.models import AgendaSession, Event, Room
from amf.timezones import to_local


@dataclass
class AgendaDayGrid:
    """One day: its rooms (columns) and rows of (start time, sessions per room)."""

    day: date
    rooms: list[Room | None]
    rows: list[tuple[datetime, list[list[AgendaSession]]]]
    count: int


def agenda_grid(event: Event, sessions: list[AgendaSession]) -> list[AgendaDayGrid]:
    """Every day of the event (even empty ones), sessions placed by room and start."""
    by_day: dict[date, list[AgendaSession]] = defaultdict(list)
    for session in sessions:
        by_day[to_local(session.starts_at, event.timezone).date()].append(session)
    has_roomless = any(s.room is None for s in sessions)
    rooms: list[Room | None] = list(event.rooms) + ([None] if has_roomless else [])
    column = {room.id if room else None: i for i, room in enumerate(rooms)}
    grids = []
    for day in sorted(set(event.days) | set(by_day)):
        slots: dict[datetime, list[list[AgendaSession]]] = {}
        for session in by_day.get(day, []):
            cells = slots.setdefault(session.starts_at, [[] for _ in rooms])
            cells[column.get(session.room_id, len(rooms) - 1)].append(session)
        rows = sorted(slots.items())
        grids.append(AgendaDayGrid(day, rooms, rows, len(by_day.get(day, []))))
    return grids
