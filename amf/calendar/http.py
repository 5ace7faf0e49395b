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

    If-None-Match wins over If-Modified-Since (RFC 9110 13.2.2); an unreadable
    If-Modified-Since is ignored, so the client gets the full feed. Never compressed: one
    Outlook "subscribe from web" setup fails on gzip.
    """
    if _not_modified(document):
        response = Response(status=304)
    else:
        response = Response(document.body, content_type=content_type)
        if filename:
            response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["ETag"] = document.etag
    response.headers["Last-Modified"] = document.last_modified_header
    response.headers["Cache-Control"] = "private, no-cache" if private else "public, no-cache"
    if private:
        response.headers["X-Robots-Tag"] = "noindex"
        response.headers["Referrer-Policy"] = "no-referrer"
    return response


def _not_modified(document: BuiltDocument) -> bool:
    if request.headers.get("If-None-Match"):
        return request.if_none_match.contains_weak(document.etag.strip('"'))
    since = request.if_modified_since
    return since is not None and document.last_modified <= since
