"""The agenda in the frab/c3voc schedule format, as schedule.json and schedule.xml.

Both files are rendered from one data shape (as pretalx does), so they cannot drift apart.
Each session's guid is derived from its calendar UID, so apps and calendars agree.
"""

from __future__ import annotations

import json
import re
import unicodedata
from datetime import datetime, timedelta
from typing import Any
from xml.etree import ElementTree as ET

import sqlalchemy as sa
from sqlalchemy.orm import joinedload, subqueryload

from amf.caching import BuiltDocument
from amf.calendar.cache import document_cache
from amf.calendar.feeds import event_last_modified, event_version
from amf.calendar_uids import calendar_host, guid_for
from amf.events.calendar_entries import session_entry, session_url_builder
from amf.events.models import AgendaSession, Event
from amf.extensions import db
from amf.timezones import to_local
from amf.urls import absolute_url

SCHEDULE_VERSION_PREFIX = "amf"


def _slugify(text: str, limit: int = 40) -> str:
    """ASCII lower-case words joined by hyphens ('' when nothing is left)."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    return slug[:limit].strip("-")


def conference_acronym(event: Event) -> str:
    """The event's slug as the schemas' acronym: [a-z0-9_], at least four characters."""
    acronym = re.sub(r"[^a-z0-9_]", "_", event.slug.lower())
    return acronym.ljust(4, "_")


def _hhmm(value: timedelta) -> str:
    minutes = int(value.total_seconds()) // 60
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def schedule_data(event: Event) -> dict[str, Any]:
    """The agenda as the schedule JSON's data shape; the XML is written from the same dict."""
    sessions = db.session.scalars(
        sa.select(AgendaSession)
        .where(AgendaSession.event_id == event.id)
        .order_by(AgendaSession.starts_at, AgendaSession.id)
        .options(
            joinedload(AgendaSession.room),
            joinedload(AgendaSession.track),
            subqueryload(AgendaSession.speakers),
        )
    ).all()
    zone = event.zone
    acronym = conference_acronym(event)
    session_url = session_url_builder()
    default_room = event.venue_name or "Venue"
    days: dict[Any, dict[str, list]] = {day: {} for day in event.days}
    for session in sessions:
        entry = session_entry(session, event, session_url)
        start = to_local(session.starts_at, event.timezone)
        room = session.room.name if session.room else default_room
        title = f"Cancelled: {session.title}" if entry.cancelled else session.title
        days.setdefault(start.date(), {}).setdefault(room, []).append(
            {
                "guid": str(guid_for(entry.uid)),
                "id": session.id,
                "date": start.isoformat(),
                "start": start.strftime("%H:%M"),
                "duration": _hhmm(session.ends_at - session.starts_at),
                "room": room,
                "slug": f"{acronym}-{session.id}-{_slugify(session.title) or 'session'}".strip("-"),
                "url": entry.url,
                "title": title,
                "subtitle": "",
                "track": session.track.name if session.track else None,
                "type": session.kind.value,
                "language": "en",
                "abstract": "",
                "description": session.description,
                "persons": [
                    {
                        "name": speaker.display_name,
                        "guid": str(guid_for(f"speaker-{speaker.id}@{calendar_host()}")),
                        "id": speaker.id,
                    }
                    for speaker in session.speakers
                ],
                "links": [],
            }
        )
    rooms = [room.name for room in event.rooms]
    if any(default_room in by_room for by_room in days.values()) and default_room not in rooms:
        rooms.append(default_room)
    day_list = []
    for index, (day, by_room) in enumerate(sorted(days.items()), start=1):
        day_start = datetime.combine(day, datetime.min.time(), zone)
        day_list.append(
            {
                "index": index,
                "date": day.isoformat(),
                "day_start": day_start.isoformat(),
                "day_end": (day_start + timedelta(days=1)).isoformat(),
                "rooms": {name: by_room[name] for name in rooms if name in by_room},
            }
        )
    return {
        "$schema": "https://c3voc.de/schedule/schema.json",
        "generator": {"name": "AMF Events", "version": "1"},
        "schedule": {
            "version": f"{SCHEDULE_VERSION_PREFIX}-{event.agenda_revision}",
            "base_url": absolute_url("events.event_page", slug=event.slug),
            "conference": {
                "acronym": acronym,
                "title": event.title,
                "start": event.first_day.isoformat(),
                "end": event.last_day.isoformat(),
                "daysCount": len(day_list),
                "timeslot_duration": "00:15",
                "time_zone_name": event.timezone,
                "url": absolute_url("events.event_page", slug=event.slug),
                "rooms": [
                    {
                        "name": name,
                        "guid": str(guid_for(f"room-{event.id}-{name}@{calendar_host()}")),
                    }
                    for name in rooms
                ],
                "tracks": [{"name": track.name} for track in event.tracks],
                "days": day_list,
            },
        },
    }


def schedule_json(event: Event) -> BuiltDocument:
    """schedule.json, cached per agenda version."""

    def build() -> BuiltDocument:
        body = json.dumps(schedule_data(event), ensure_ascii=False, indent=1).encode("utf-8")
        return BuiltDocument.of(body, event_last_modified(event))

    return document_cache().get_or_build(("schedule-json", *event_version(event)), build)


def schedule_xml(event: Event) -> BuiltDocument:
    """schedule.xml, cached per agenda version."""

    def build() -> BuiltDocument:
        return BuiltDocument.of(
            render_schedule_xml(schedule_data(event)), event_last_modified(event)
        )

    return document_cache().get_or_build(("schedule-xml", *event_version(event)), build)


_XML_EVENT_FIELDS = (
    "date", "start", "duration", "room", "slug", "url", "title", "subtitle", "track", "type",
    "language", "abstract", "description",
)  # fmt: skip


def render_schedule_xml(data: dict[str, Any]) -> bytes:
    """The frab XML form of schedule_data's dict."""
    schedule = data["schedule"]
    conference = schedule["conference"]
    root = ET.Element("schedule")
    ET.SubElement(root, "generator", name=data["generator"]["name"], version="1")
    ET.SubElement(root, "version").text = schedule["version"]
    conf = ET.SubElement(root, "conference")
    for name in ("title", "acronym", "start", "end"):
        ET.SubElement(conf, name).text = conference[name]
    ET.SubElement(conf, "days").text = str(conference["daysCount"])
    for name in ("timeslot_duration", "base_url", "url", "time_zone_name"):
        ET.SubElement(conf, name).text = conference[name] if name != "base_url" else schedule[name]
    for track in conference["tracks"]:
        ET.SubElement(conf, "track", name=track["name"])
    room_guids = {room["name"]: room["guid"] for room in conference["rooms"]}
    for day in conference["days"]:
        day_el = ET.SubElement(
            root,
            "day",
            index=str(day["index"]),
            date=day["date"],
            start=day["day_start"],
            end=day["day_end"],
        )
        for room_name, items in day["rooms"].items():
            room_el = ET.SubElement(day_el, "room", name=room_name, guid=room_guids[room_name])
            for item in items:
                event_el = ET.SubElement(room_el, "event", id=str(item["id"]), guid=item["guid"])
                for name in _XML_EVENT_FIELDS:
                    ET.SubElement(event_el, name).text = item[name] or ""
                persons = ET.SubElement(event_el, "persons")
                for person in item["persons"]:
                    ET.SubElement(
                        persons, "person", id=str(person["id"]), guid=person["guid"]
                    ).text = person["name"]
                ET.SubElement(event_el, "links")
    ET.indent(root)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True) + b"\n"
