"""Built documents (feeds, pages): kept in the worker, and shared between instances.

Every key names a content revision (an event's agenda revision and update time, a
registration's state...), so an entry never goes stale: a change makes a new key. Each worker
keeps a bounded LRU of documents in memory; behind it, Flask-Caching's cache (Redis in
production, ``CACHE_TYPE``) lets every instance use what one of them built. A shared cache
that fails costs a rebuild, never a request: it is logged once and /healthz reports it.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from datetime import datetime

from flask import current_app
from werkzeug.http import http_date

from amf.extensions import cache as shared_cache

logger = logging.getLogger(__name__)


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


class SharedStore:
    """Flask-Caching's cache, where an unreachable backend means a miss, logged once."""

    def __init__(self) -> None:
        self.failing = False

    def get(self, key: str) -> BuiltDocument | None:
        """The shared document, or None (also when the backend fails)."""
        try:
            found = shared_cache.get(key)
        except Exception as exc:  # any backend error: build locally instead
            self._failed(exc)
            return None
        self.failing = False
        return found if isinstance(found, BuiltDocument) else None

    def set(self, key: str, document: BuiltDocument, timeout: int | None) -> None:
        """Share a built document; a failing backend is only noted."""
        try:
            shared_cache.set(key, document, timeout=timeout)
        except Exception as exc:  # any backend error: the document is still served
            self._failed(exc)

    def check(self) -> bool:
        """Whether the backend answers now (for /healthz)."""
        try:
            shared_cache.set("amf:healthz", 1, timeout=10)
        except Exception as exc:  # any backend error counts as down
            self._failed(exc)
            return False
        self.failing = False
        return True

    def _failed(self, exc: Exception) -> None:
        if not self.failing:
            logger.warning("Shared cache unreachable, building documents per process: %s", exc)
        self.failing = True


def shared_store() -> SharedStore:
    """This app's guard around the shared cache."""
    return current_app.extensions.setdefault("amf_shared_store", SharedStore())


def shared_key(name: str, key: Hashable) -> str:
    """The shared cache's key for a document: the cache's name and a digest of its key."""
    return f"amf:{name}:{hashlib.sha256(repr(key).encode()).hexdigest()[:40]}"


class DocumentCache:
    """A bounded LRU of built documents; ``builds`` counts every build (tests read it).

    With a ``name``, a miss asks the shared cache before building, and what is built is
    shared (for ``shared_timeout`` seconds; None is the cache's default).
    """

    def __init__(self, max_entries: int, max_bytes: int, name: str | None = None) -> None:
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self.name = name
        self.builds = 0
        self.hits = 0
        self._entries: OrderedDict[Hashable, BuiltDocument] = OrderedDict()
        self._size = 0
        self._lock = threading.Lock()

    def get_or_build(
        self,
        key: Hashable,
        build: Callable[[], BuiltDocument],
        shared_timeout: int | None = None,
    ) -> BuiltDocument:
        """The cached document for this key: from memory, else shared, else built."""
        found = self.get(key)
        if found is not None:
            return found
        store = shared_store() if self.name else None
        document = store.get(shared_key(self.name, key)) if store else None
        if document is None:
            document = build()
            with self._lock:
                self.builds += 1
            if store:
                store.set(shared_key(self.name, key), document, shared_timeout)
        self._keep(key, document)
        return document

    def _keep(self, key: Hashable, document: BuiltDocument) -> None:
        with self._lock:
            if key not in self._entries:
                self._entries[key] = document
                self._size += len(document.body)
            while self._entries and (
                len(self._entries) > self.max_entries or self._size > self.max_bytes
            ):
                _, evicted = self._entries.popitem(last=False)
                self._size -= len(evicted.body)

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
            DocumentCache(
                max_entries=config[entries_setting], max_bytes=config[bytes_setting], name=name
            ),
        )
    return cache
