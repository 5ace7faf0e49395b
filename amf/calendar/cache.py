"""Built feed bytes kept in the worker, keyed by a cheap version of what they show.

Calendar clients poll every feed many times an hour; a poll of an unchanged feed must cost a
version lookup, not a rebuild. The key holds everything the bytes depend on (the event's id,
agenda revision and update time, the filter, and for personal feeds the registration's state
and sign-ups), so any change makes a new key and the old entry simply ages out.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from flask import current_app, has_app_context
from sqlalchemy.orm import Session
from werkzeug.http import http_date


@dataclass(frozen=True)
class BuiltDocument:
    """A feed or export ready to send: its bytes, strong ETag and Last-Modified."""

    body: bytes
    etag: str
    last_modified: datetime
    last_modified_header: str = ""  # formatted once, not on every poll

    @classmethod
    def of(cls, body: bytes, last_modified: datetime) -> BuiltDocument:
        """Wrap built bytes; the ETag is a digest of exactly these bytes."""
        digest = hashlib.sha256(body).hexdigest()[:32]
        last_modified = last_modified.replace(microsecond=0)
        return cls(
            body=body,
            etag=f'"{digest}"',
            last_modified=last_modified,
            last_modified_header=http_date(last_modified),
        )


class DocumentCache:
    """A bounded LRU of built documents; ``builds`` counts every build (tests read it)."""

    def __init__(self, max_entries: int, max_bytes: int) -> None:
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self.builds = 0
        self.hits = 0
        self._entries: OrderedDict[Hashable, BuiltDocument] = OrderedDict()
        self._size = 0
        self._lock = threading.Lock()

    def get_or_build(self, key: Hashable, build: Callable[[], BuiltDocument]) -> BuiltDocument:
        """The cached document for this key, built (outside the lock) if missing."""
        found = self.get(key)
        if found is not None:
            return found
        document = build()
        with self._lock:
            self.builds += 1
            if key not in self._entries:
                self._entries[key] = document
                self._size += len(document.body)
            while self._entries and (
                len(self._entries) > self.max_entries or self._size > self.max_bytes
            ):
                _, evicted = self._entries.popitem(last=False)
                self._size -= len(evicted.body)
        return document

    def get(self, key: Hashable) -> BuiltDocument | None:
        """The cached document for this key, or None (nothing is built)."""
        with self._lock:
            found = self._entries.get(key)
            if found is not None:
                self._entries.move_to_end(key)
                self.hits += 1
            return found

    def clear(self) -> None:
        """Forget every entry (the counters stay)."""
        with self._lock:
            self._entries.clear()
            self._size = 0


def document_cache() -> DocumentCache:
    """This app's cache of built calendar documents."""
    cache = current_app.extensions.get("amf_calendar_cache")
    if cache is None:
        config = current_app.config
        cache = current_app.extensions.setdefault(
            "amf_calendar_cache",
            DocumentCache(
                max_entries=config.get("AMF_CALENDAR_CACHE_ENTRIES", 256),
                max_bytes=config.get("AMF_CALENDAR_CACHE_BYTES", 32 * 1024 * 1024),
            ),
        )
    return cache


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

    def clear(self) -> None:
        """Forget every stamp."""
        with self._lock:
            self._entries.clear()


def stamp_memo() -> StampMemo:
    """This app's memo of event feed versions."""
    memo = current_app.extensions.get("amf_calendar_stamps")
    if memo is None:
        ttl = current_app.config.get("AMF_CALENDAR_VERSION_TTL_SECONDS", 5)
        memo = current_app.extensions.setdefault("amf_calendar_stamps", StampMemo(ttl))
    return memo


_STALE_KEY = "amf_calendar_stamps_stale"


def _note_agenda_writes(session: Session, flush_context) -> None:
    from amf.events.models import AgendaSession, Event, Room, Speaker, Track

    watched = (Event, AgendaSession, Room, Track, Speaker)
    changed = (*session.new, *session.dirty, *session.deleted)
    if any(isinstance(obj, watched) for obj in changed):
        session.info[_STALE_KEY] = True


def _clear_after_commit(session: Session) -> None:
    if session.info.pop(_STALE_KEY, False) and has_app_context():
        stamp_memo().clear()


def _forget_after_rollback(session: Session) -> None:
    session.info.pop(_STALE_KEY, None)


def install_stamp_invalidation() -> None:
    """Clear the memo after every commit that changed an event or its agenda (idempotent)."""
    for name, listener in (
        ("after_flush", _note_agenda_writes),
        ("after_commit", _clear_after_commit),
        ("after_rollback", _forget_after_rollback),
    ):
        if not sa.event.contains(Session, name, listener):
            sa.event.listen(Session, name, listener)
