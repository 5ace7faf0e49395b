"""Built feed bytes kept in the worker, keyed by a cheap version of what they show.

Calendar clients poll every feed many times an hour; a poll of an unchanged feed must cost a
version lookup, not a rebuild. The key holds everything the bytes depend on (the event's id,
agenda revision and update time, the filter, and for personal feeds the registration's state
and sign-ups), so any change makes a new key and the old entry simply ages out.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from datetime import datetime

from flask import current_app


@dataclass(frozen=True)
class BuiltDocument:
    """A feed or export ready to send: its bytes, strong ETag and Last-Modified."""

    body: bytes
    etag: str
    last_modified: datetime

    @classmethod
    def of(cls, body: bytes, last_modified: datetime) -> BuiltDocument:
        """Wrap built bytes; the ETag is a digest of exactly these bytes."""
        digest = hashlib.sha256(body).hexdigest()[:32]
        return cls(
            body=body, etag=f'"{digest}"', last_modified=last_modified.replace(microsecond=0)
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
        with self._lock:
            found = self._entries.get(key)
            if found is not None:
                self._entries.move_to_end(key)
                self.hits += 1
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
