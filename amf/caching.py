"""Built documents (feeds, pages) kept in the worker, bounded by count and bytes."""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from datetime import datetime

from flask import current_app
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


def bounded_cache(name: str, entries_setting: str, bytes_setting: str) -> DocumentCache:
    """This app's DocumentCache called ``name``, bounded by two settings."""
    cache = current_app.extensions.get(name)
    if cache is None:
        config = current_app.config
        cache = current_app.extensions.setdefault(
            name,
            DocumentCache(max_entries=config[entries_setting], max_bytes=config[bytes_setting]),
        )
    return cache
