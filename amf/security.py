"""Security headers on every response: a strict CSP and the browser protections that go with it."""

from __future__ import annotations

from flask import Flask, Response

# No inline scripts or styles anywhere: pages load /static only. Emails are not served here.
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)

HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    # Manage, verification and feed links carry secrets in their path: never send them on.
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
    # The check-in screen may use the camera to scan codes; nothing else needs devices.
    "Permissions-Policy": "camera=(self), microphone=(), geolocation=(), payment=()",
}


_HEADERS_LOWER = [(name.lower(), name, value) for name, value in HEADERS.items()]


def add_security_headers(response: Response) -> Response:
    """Set the headers unless a view chose its own value (one pass over the headers)."""
    present = {key.lower() for key in response.headers.keys()}  # noqa: SIM118 - Headers iterate as pairs
    for lower, name, value in _HEADERS_LOWER:
        if lower not in present:
            response.headers.add(name, value)
    return response


def no_store(response: Response) -> Response:
    """Keep a page out of every cache (browser history included): it shows a secret link or
    personal data. Use as a blueprint's after_request, or on one view's response."""
    response.headers["Cache-Control"] = "no-store"
    return response


def register(app: Flask) -> None:
    """Install the headers; in production also HSTS (the site is served over HTTPS only)."""
    app.after_request(add_security_headers)
    if app.config.get("AMF_ENV") == "production":

        @app.after_request
        def strict_transport_security(response: Response) -> Response:
            response.headers.setdefault(
                "Strict-Transport-Security", "max-age=31536000; includeSubDomains"
            )
            return response
