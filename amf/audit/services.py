"""Recording changes in the audit log (in the caller's transaction) and reading it back."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import sqlalchemy as sa

from amf.audit.models import AuditEntry
from amf.extensions import db
from amf.timezones import to_local, zone_abbreviation

PAGE_SIZE = 50


def record(
    actor,
    action: str,
    object_type: str,
    object_id: int | None,
    summary: str = "",
    changes: dict[str, Any] | None = None,
) -> AuditEntry:
    """Add an entry to the session; the caller's commit stores it with the change itself.

    ``actor`` is a User, or a string such as "cli" for changes made outside the browser.
    """
    entry = AuditEntry(
        user_id=getattr(actor, "id", None),
        actor=getattr(actor, "email", None) or str(actor),
        action=action,
        object_type=object_type,
        object_id=object_id,
        summary=summary[:500],
        changes=_plain(changes or {}),
    )
    db.session.add(entry)
    return entry


def diff(obj, values: dict[str, Any]) -> dict[str, list[Any]]:
    """The fields whose new values differ from the object's, as {field: [old, new]}."""
    return {
        name: [getattr(obj, name), value]
        for name, value in values.items()
        if getattr(obj, name) != value
    }


def _plain(changes: dict[str, Any]) -> dict[str, Any]:
    """JSON-safe values (dates, enums, decimals as text); instants all in UTC, ISO 8601."""

    def plain(value: Any) -> Any:
        if value is None or isinstance(value, bool | int | float | str):
            return value
        if isinstance(value, list | tuple):
            return [plain(v) for v in value]
        if isinstance(value, datetime) and value.tzinfo is not None:
            return value.astimezone(UTC).isoformat(timespec="seconds")
        if isinstance(value, datetime | date):
            return value.isoformat()
        return str(value)

    return {key: plain(value) for key, value in changes.items()}


# An instant as stored: ISO 8601 with an offset (entries from before every value was kept in
# UTC hold the offset it was given in, so "06:30:00+00:00" and "14:00:00+07:00" both occur).
_INSTANT = re.compile(r"\d{4}-\d\d-\d\d[ T]\d\d:\d\d(:\d\d(\.\d+)?)?([+-]\d\d:\d\d|Z)")


def readable_value(value: Any, tz_name: str = "UTC") -> str:
    """A recorded value for people: instants in one zone, named, so a move reads as one."""
    if isinstance(value, list):
        return "; ".join(readable_value(v, tz_name) for v in value) or "none"
    if value is None or value == "":
        return "none"
    if isinstance(value, str) and _INSTANT.fullmatch(value):
        return readable_instant(datetime.fromisoformat(value), tz_name)
    return str(value)


def readable_instant(instant: datetime, tz_name: str = "UTC", seconds: bool = False) -> str:
    """'2031-03-10 13:30 WIB': to the minute, or the second when asked or it has seconds."""
    local = to_local(instant, tz_name)
    clock = "%H:%M:%S" if seconds or local.second else "%H:%M"
    name = "UTC" if tz_name == "UTC" else zone_abbreviation(instant, tz_name)
    return f"{local.strftime('%Y-%m-%d ' + clock)} {name}"


@dataclass
class AuditPage:
    """One page of the log, newest first."""

    entries: list[AuditEntry]
    page: int
    has_next: bool


def list_entries(
    page: int = 1, object_type: str = "", actor: str = "", object_id: int | None = None
) -> AuditPage:
    """A page of entries, optionally for one kind of object or one person."""
    query = sa.select(AuditEntry).order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
    if object_type:
        query = query.where(AuditEntry.object_type == object_type)
    if object_id is not None:
        query = query.where(AuditEntry.object_id == object_id)
    if actor:
        query = query.where(AuditEntry.actor.ilike(f"%{actor}%"))
    page = max(page, 1)
    rows = db.session.scalars(query.offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE + 1)).all()
    return AuditPage(list(rows[:PAGE_SIZE]), page, len(rows) > PAGE_SIZE)


def object_types() -> list[str]:
    """The kinds of object the log mentions."""
    return list(
        db.session.scalars(
            sa.select(AuditEntry.object_type).distinct().order_by(AuditEntry.object_type)
        )
    )
