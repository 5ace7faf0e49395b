"""Public pages answered from memory for visitors without a session (a micro-cache).

Event pages, agendas and the other public pages are the same for every visitor who has no
session: nobody signed in, no message waiting. During a registration rush thousands of such
visitors ask for the same few pages, and rendering each one again costs many times what
sending it does. This WSGI layer keeps each such page's answer for a few seconds
(AMF_SHARED_PAGE_TTL_SECONDS) and gives it to the next anonymous visitor without entering
Flask.

What may be shared is decided where the page is built: a view marks itself with
``@shared_page``, and its answer is kept only if it is a 200 that sets no cookie for a
request that carried no session or remember cookie. A page whose rendering touched the
session (a CSRF token, a flashed message) sets a cookie, so it is never kept. Any commit in
this process clears the whole cache, so a worker's own writes show at once; other workers
show them within the TTL, the same promise the calendar feeds' version memo makes.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import wraps

import sqlalchemy as sa
from flask import Flask, current_app, request
from sqlalchemy.orm import Session

EXTENSION_KEY = "amf_shared_pages"
_MARK = "amf.shared_page"


@dataclass(frozen=True)
class SharedAnswer:
    """A kept 200 answer: its headers and body, and when it stops being served."""

    headers: tuple[tuple[str, str], ...]
    body: bytes
    expires: float


class SharedPageCache:
    """A bounded, expiring map of request keys to answers; ``hits`` and ``kept`` for tests."""

    def __init__(self, ttl_seconds: float, max_entries: int, max_bytes: int) -> None:
        self.ttl_seconds = ttl_seconds
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self.hits = 0
        self.kept = 0
        self._entries: OrderedDict[tuple, SharedAnswer] = OrderedDict()
        self._size = 0
        self._lock = threading.Lock()

    def get(self, key: tuple) -> SharedAnswer | None:
        """The fresh answer for this key, or None."""
        answer = self._entries.get(key)
        if answer is None or answer.expires <= time.monotonic():
            return None
        self.hits += 1
        return answer

    def keep(self, key: tuple, headers: list[tuple[str, str]], body: bytes) -> None:
        """Remember an answer for the TTL, evicting the oldest past the bounds."""
        answer = SharedAnswer(tuple(headers), body, time.monotonic() + self.ttl_seconds)
        with self._lock:
            previous = self._entries.pop(key, None)
            if previous is not None:
                self._size -= len(previous.body)
            self._entries[key] = answer
            self._size += len(body)
            self.kept += 1
            while self._entries and (
                len(self._entries) > self.max_entries or self._size > self.max_bytes
            ):
                _, evicted = self._entries.popitem(last=False)
                self._size -= len(evicted.body)

    def clear(self) -> None:
        """Forget every answer."""
        with self._lock:
            self._entries.clear()
            self._size = 0


def shared_page(view: Callable) -> Callable:
    """Mark a public GET view whose answer is the same for every visitor without a session."""

    @wraps(view)
    def marked(*args, **kwargs):
        request.environ[_MARK] = True
        return view(*args, **kwargs)

    return marked


class SharedPageMiddleware:
    """WSGI layer: anonymous GETs of marked pages served from the cache while fresh."""

    def __init__(self, wsgi_app: Callable, cache: SharedPageCache, cookie_names: tuple) -> None:
        self.wsgi_app = wsgi_app
        self.cache = cache
        self.cookie_markers = tuple(f"{name}=" for name in cookie_names)

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        method = environ.get("REQUEST_METHOD")
        if method not in ("GET", "HEAD") or self._has_session(environ):
            return self.wsgi_app(environ, start_response)
        key = (
            environ.get("wsgi.url_scheme"),
            environ.get("HTTP_HOST"),
            environ.get("SCRIPT_NAME", ""),
            environ.get("PATH_INFO", ""),
            environ.get("QUERY_STRING", ""),
        )
        answer = self.cache.get(key)
        if answer is not None:
            start_response("200 OK", list(answer.headers))
            return [b""] if method == "HEAD" else [answer.body]
        if method == "HEAD":  # a HEAD answer has no body to keep
            return self.wsgi_app(environ, start_response)
        return self._answer_and_keep(environ, start_response, key)

    def _has_session(self, environ: dict) -> bool:
        cookies = environ.get("HTTP_COOKIE")
        return bool(cookies) and any(marker in cookies for marker in self.cookie_markers)

    def _answer_and_keep(self, environ: dict, start_response: Callable, key: tuple):
        seen: dict = {}

        def capture(status: str, headers: list, exc_info=None):
            seen["status"], seen["headers"] = status, headers
            return start_response(status, headers, exc_info)

        result = self.wsgi_app(environ, capture)
        if not environ.get(_MARK):
            return result
        try:
            body = b"".join(result)
        finally:
            if hasattr(result, "close"):
                result.close()
        headers = seen.get("headers", [])
        if seen.get("status", "").startswith("200") and not any(
            name.lower() == "set-cookie" for name, _ in headers
        ):
            self.cache.keep(key, headers, body)
        return [body]


def shared_page_cache(app: Flask | None = None) -> SharedPageCache | None:
    """The app's cache of shared pages, or None when sharing is off."""
    return (app or current_app).extensions.get(EXTENSION_KEY)


def _clear_after_commit(session: Session) -> None:
    from flask import has_app_context

    if has_app_context():
        cache = shared_page_cache()
        if cache is not None:
            cache.clear()


def install(app: Flask) -> None:
    """Wrap the app's WSGI pipeline, unless AMF_SHARED_PAGE_TTL_SECONDS is 0."""
    config = app.config
    if not config["AMF_SHARED_PAGE_TTL_SECONDS"]:
        return
    cache = SharedPageCache(
        ttl_seconds=config["AMF_SHARED_PAGE_TTL_SECONDS"],
        max_entries=config["AMF_SHARED_PAGE_ENTRIES"],
        max_bytes=config["AMF_SHARED_PAGE_BYTES"],
    )
    app.extensions[EXTENSION_KEY] = cache
    cookie_names = (
        config["SESSION_COOKIE_NAME"],
        config.get("REMEMBER_COOKIE_NAME", "remember_token"),
    )
    app.wsgi_app = SharedPageMiddleware(app.wsgi_app, cache, cookie_names)
    if not sa.event.contains(Session, "after_commit", _clear_after_commit):
        sa.event.listen(Session, "after_commit", _clear_after_commit)
