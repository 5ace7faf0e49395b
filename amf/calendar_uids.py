"""iCalendar UIDs shared by feeds, single downloads and email invitations (ICAL.md item 11)."""

from __future__ import annotations

import uuid
from urllib.parse import urlsplit

from flask import current_app


def calendar_host() -> str:
    """Our host name: AMF_PUBLIC_HOST, else the host of AMF_BASE_URL."""
    config = current_app.config
    host = config.get("AMF_PUBLIC_HOST") or urlsplit(config["AMF_BASE_URL"]).hostname
    return (host or "localhost").lower()


def session_uid(session_id: int) -> str:
    """The UID of an agenda session, e.g. 'session-42@amf.example.org'."""
    return f"session-{session_id}@{calendar_host()}"


def event_uid(event_id: int) -> str:
    """The UID of a whole event, e.g. 'event-7@amf.example.org'."""
    return f"event-{event_id}@{calendar_host()}"


def guid_for(uid: str) -> uuid.UUID:
    """A UUID derived from a calendar UID, for formats that want one (the schedule's guid)."""
    return uuid.uuid5(uuid.NAMESPACE_URL, f"urn:amf-calendar-uid:{uid}")
