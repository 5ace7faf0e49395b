"""Rendered agenda pages kept in the worker, keyed by the agenda's version.

A 300-session agenda takes far longer to render than to look up, and it changes only when
the organisers change the agenda. The key holds everything the HTML depends on (the event's
id, agenda revision and update time, the time zones asked for, the time-zone choices and the
script root), so any change makes a new key and the old page ages out of the bounded cache.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable

from amf.caching import BuiltDocument, DocumentCache, bounded_cache
from amf.db import utcnow


def rendered_page_cache() -> DocumentCache:
    """This app's cache of rendered agenda pages (bounded like the feed cache)."""
    return bounded_cache("amf_page_cache", "AMF_PAGE_CACHE_ENTRIES", "AMF_PAGE_CACHE_BYTES")


def cached_page(key: Hashable, render: Callable[[], str]) -> bytes:
    """The page for this key, rendered once (per worker, or once for all instances through
    the shared cache) until the key changes."""
    return rendered_page_cache().get_or_build(key, _builder(render)).body


def cached_shared_page(key: Hashable, render: Callable[[], str], timeout: int) -> bytes:
    """A page shared by visitors without a session; its key changes every ``timeout`` s."""
    cache = bounded_cache("amf_shared_pages", "AMF_PAGE_CACHE_ENTRIES", "AMF_PAGE_CACHE_BYTES")
    return cache.get_or_build(key, _builder(render), shared_timeout=timeout).body


def _builder(render: Callable[[], str]) -> Callable[[], BuiltDocument]:
    return lambda: BuiltDocument.of(render().encode("utf-8"), last_modified=utcnow())
