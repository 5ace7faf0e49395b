"""Error pages: our own page for every error, drawn without the database."""

from __future__ import annotations

import logging

import sqlalchemy as sa
from flask import Flask, render_template, request
from markupsafe import escape
from werkzeug.exceptions import HTTPException, SecurityError, ServiceUnavailable

from amf.extensions import db

logger = logging.getLogger(__name__)

_TITLES = {
    400: "Bad request",
    403: "Not allowed",
    404: "Page not found",
    405: "Method not allowed",
    413: "Too much data",
    422: "Form not accepted",
    429: "Too many requests",
    500: "Something went wrong",
    503: "Service unavailable",
}


def _render_error(error: HTTPException):
    code = error.code or 500
    if request.path.startswith("/healthz"):
        return {"status": "error", "code": code}, code
    title = _TITLES.get(code, error.name)
    if isinstance(error, SecurityError):
        # An untrusted Host header: no URL can be built for it, so no page with links.
        return f"{code} {title}\n", code, {"Content-Type": "text/plain"}
    headers = {"Retry-After": "30"} if code == 503 else {}
    try:
        # The template reads nothing from the database, but Flask-Login's context processor
        # loads the signed-in account: with the database gone that fails too.
        page = render_template(
            "errors/error.html", code=code, title=title, description=error.description
        )
    except Exception:  # whatever broke the request may break the page: say it plainly
        logger.exception("Error page %s could not be rendered; sending the plain one", code)
        page = _plain_page(code, title)
    return page, code, headers


def _plain_page(code: int, title: str) -> str:
    """The error page without templates, links or anything that could fail."""
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        f"<title>{escape(title)} · AMF Events</title></head><body><main>"
        f"<p>Error {code}</p><h1>{escape(title)}</h1>"
        "<p>Please try again in a moment.</p></main></body></html>"
    )


def _database_unavailable(error: sa.exc.DBAPIError):
    """A lost or refused database connection: 503, our page, and the pool made to reconnect."""
    logger.error("Database unavailable: %s", error)
    try:
        db.session.rollback()
    except Exception:  # the connection is already gone; the session is dropped at teardown
        logger.debug("rollback after a lost connection failed", exc_info=True)
    if not error.connection_invalidated and not isinstance(error, sa.exc.OperationalError):
        raise error  # a real bug (a constraint, a bad statement): the 500 handler logs it
    return _render_error(ServiceUnavailable("The database cannot be reached just now."))


def register(app: Flask) -> None:
    """Use our pages for HTTP errors, and a 503 for a database that cannot be reached."""
    app.register_error_handler(HTTPException, _render_error)
    app.register_error_handler(sa.exc.DBAPIError, _database_unavailable)
