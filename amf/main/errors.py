"""Error pages."""

from __future__ import annotations

from flask import Flask, render_template, request
from werkzeug.exceptions import HTTPException

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
