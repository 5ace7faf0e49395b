"""Conditional responses for built documents: strong ETag, Last-Modified and 304."""

from __future__ import annotations

from flask import Response, request

from amf.caching import BuiltDocument

ICALENDAR = "text/calendar; charset=utf-8"


def document_response(
    document: BuiltDocument,
    content_type: str = ICALENDAR,
    filename: str | None = None,
    private: bool = False,
) -> Response:
    """200 with the bytes, or 304 when the client's copy is current (no rebuild either way).

    Werkzeug's make_conditional decides: If-None-Match wins over If-Modified-Since (RFC 9110
    13.2.2), and an unreadable If-Modified-Since is ignored, so the client gets the full feed.
    Never compressed: one Outlook "subscribe from web" setup fails on gzip.
    """
    response = Response(document.body, content_type=content_type)
    if filename:
        response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.set_etag(document.etag.strip('"'))
    response.headers["Last-Modified"] = document.last_modified_header
    response.headers["Cache-Control"] = "private, no-cache" if private else "public, no-cache"
    if private:
        response.headers["X-Robots-Tag"] = "noindex"
        response.headers["Referrer-Policy"] = "no-referrer"
    return response.make_conditional(request)
