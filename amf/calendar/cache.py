"""The calendar's caches: built feeds keyed by a cheap version, and a memo of those versions.

Calendar clients poll every feed many times an hour; a poll of an unchanged feed must cost a
version lookup, not a rebuild. The key holds everything the bytes depend on (the event's id,
agenda revision and update time, the filter, and for personal feeds the registration's state
and sign-ups), so any change makes a new key and the old entry simply ages out.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Hashable

from flask import current_app, has_app_context
from sqlalchemy.orm import Session

from amf.caching import DocumentCache, bounded_cache
from amf.db import after_commit_of

# Where each app keeps them (app.extensions).
DOCUMENT_CACHE_KEY = "amf_calendar_cache"
STAMP_MEMO_KEY = "amf_calendar_stamps"


def event_feed_key(
    version: tuple[Hashable, ...], track_slug: str | None = None, room_id: int | None = None
) -> tuple[Hashable, ...]:
    """The cache key of an event feed (optionally one track's or room's) at this version."""
    return ("event-feed", *version, track_slug, room_id)


def document_cache() -> DocumentCache:
    """This app's cache of built calendar documents."""
    return bounded_cache(
        DOCUMENT_CACHE_KEY, "AMF_CALENDAR_CACHE_ENTRIES", "AMF_CALENDAR_CACHE_BYTES"
    )


class StampMemo:
    """Each event's feed version, remembered for a few seconds so a poll needs no query.

    A commit in this process that touches an event or its agenda clears the memo at once
    (see install_stamp_invalidation); other processes see the change when their entry
    expires, AMF_CALENDAR_VERSION_TTL_SECONDS later at most. Calendar clients poll hourly,
    so seconds of delay are invisible, while a poll of an unchanged feed costs no database
    round trip at all.
    """

    def __init__(self, ttl_seconds: float) -> None:
        self.ttl_seconds = ttl_seconds
        self.lookups = 0
        self._entries: dict[str, tuple[float, object]] = {}
        self._lock = threading.Lock()

    def get_or_load(self, slug: str, load: Callable[[], object]) -> object:
        """The remembered stamp for this slug, or a fresh one from ``load`` (may be None)."""
        now = time.monotonic()
        with self._lock:
            entry = self._entries.get(slug)
            if entry is not None and entry[0] > now:
                return entry[1]
        stamp = load()
        self.lookups += 1
        with self._lock:
            self._entries[slug] = (now + self.ttl_seconds, stamp)
        return stamp

    def peek(self, slug: str) -> object | None:
        """The remembered stamp if it is still fresh, else None (never loads)."""
        entry = self._entries.get(slug)
        if entry is not None and entry[0] > time.monotonic():
            return entry[1]
        return None

    def clear(self) -> None:
        """Forget every stamp."""
        with self._lock:
            self._entries.clear()


def stamp_memo() -> StampMemo:
    """This app's memo of event feed versions."""
    memo = current_app.extensions.get(STAMP_MEMO_KEY)
    if memo is None:
        ttl = current_app.config["AMF_CALENDAR_VERSION_TTL_SECONDS"]
        memo = current_app.extensions.setdefault(STAMP_MEMO_KEY, StampMemo(ttl))
    return memo


def _clear_stamps(session: Session) -> None:
    if has_app_context():
        stamp_memo().clear()


def install_stamp_invalidation() -> None:
    """Clear the memo after every commit that changed an event or its agenda (idempotent)."""
    from amf.events.models import AgendaSession, Event, Room, Speaker, Track

    after_commit_of((Event, AgendaSession, Room, Track, Speaker), "calendar.stamps", _clear_stamps)
