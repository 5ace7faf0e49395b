"""Answering polls of unchanged event feeds before Flask, from memory only.

Calendar clients poll every feed many times an hour, and an unchanged feed is already
known in memory: its version in the StampMemo and its bytes in the DocumentCache. Going
through Flask's request machinery (context, routing, hooks) just to send those bytes costs
several times what the answer does, so this WSGI layer answers a GET or HEAD of
/events/<slug>/calendar.ics itself when both are in memory and fresh. Everything else
(other URLs, query strings, expired versions, feeds not built yet, unknown events) goes
to Flask unchanged, and the answer is the one Flask would give: same bytes, ETag,
Last-Modified, caching and security headers.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

from flask import Flask
from werkzeug.http import parse_date, parse_etags

from amf.caching import BuiltDocument
from amf.calendar.cache import DOCUMENT_CACHE_KEY, STAMP_MEMO_KEY, event_feed_key
from amf.security import HEADERS as SECURITY_HEADERS
from amf.urls import SLUG_PATTERN

FEED_PATH = re.compile(rf"/events/(?P<slug>{SLUG_PATTERN})/calendar\.ics")
ICALENDAR = "text/calendar; charset=utf-8"


class FeedPollShortcut:
    """WSGI middleware: unchanged event-feed polls answered without entering Flask."""

    def __init__(self, app: Flask, wsgi_app: Callable) -> None:
        self.app = app
        self.wsgi_app = wsgi_app
        self.answered = 0  # polls answered here (the tests read it)

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        document = self._document_for(environ)
        if document is None:
            return self.wsgi_app(environ, start_response)
        self.answered += 1
        return self._respond(environ, start_response, document)

    def _document_for(self, environ: dict) -> BuiltDocument | None:
        if environ.get("REQUEST_METHOD") not in ("GET", "HEAD") or environ.get("QUERY_STRING"):
            return None
        match = FEED_PATH.fullmatch(environ.get("PATH_INFO", ""))
        if match is None:
            return None
        memo = self.app.extensions.get(STAMP_MEMO_KEY)
        cache = self.app.extensions.get(DOCUMENT_CACHE_KEY)
        if memo is None or cache is None:
            return None
        version = memo.peek(match["slug"])
        if version is None:  # expired, never looked up, or not a public event
            return None
        return cache.get(event_feed_key(version))

    def _respond(self, environ: dict, start_response: Callable, document: BuiltDocument):
        headers = [
            ("ETag", document.etag),
            ("Last-Modified", document.last_modified_header),
            ("Cache-Control", "public, no-cache"),
            *SECURITY_HEADERS.items(),
        ]
        if _not_modified(environ, document):
            start_response("304 NOT MODIFIED", headers)
            return [b""]
        headers += [("Content-Type", ICALENDAR), ("Content-Length", str(len(document.body)))]
        start_response("200 OK", headers)
        return [b""] if environ["REQUEST_METHOD"] == "HEAD" else [document.body]


def _not_modified(environ: dict, document: BuiltDocument) -> bool:
    """The same rule as amf.calendar.http: If-None-Match wins; a bad date is ignored."""
    if_none_match = environ.get("HTTP_IF_NONE_MATCH")
    if if_none_match:
        return parse_etags(if_none_match).contains_weak(document.etag.strip('"'))
    since = parse_date(environ.get("HTTP_IF_MODIFIED_SINCE"))
    return since is not None and document.last_modified <= since


def install(app: Flask) -> None:
    """Put the shortcut in front of the app's WSGI pipeline."""
    app.wsgi_app = FeedPollShortcut(app, app.wsgi_app)
