"""Error pages."""

from __future__ import annotations

from flask import Flask, render_template, request
from werkzeug.exceptions import HTTPException, SecurityError

_TITLES = {
    400: "Bad request",
    403: "Not allowed",
    404: "Page not found",
    405: "Method not allowed",
    429: "Too many requests",
    500: "Something went wrong",
}


def _render_error(error: HTTPException):
    code = error.code or 500
    if request.path.startswith("/healthz"):
        return {"status": "error", "code": code}, code
    if isinstance(error, SecurityError):
        # An untrusted Host header: no URL can be built for it, so no page with links.
        return f"{code} {_TITLES.get(code, error.name)}\n", code, {"Content-Type": "text/plain"}
    return (
        render_template(
            "errors/error.html",
            code=code,
            title=_TITLES.get(code, error.name),
            description=error.description,
        ),
        code,
    )


def register(app: Flask) -> None:
    """Use our pages for HTTP errors."""
    app.register_error_handler(HTTPException, _render_error)
