"""Every response carries the security headers, and no page needs inline script or style."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

TEMPLATES = Path(__file__).resolve().parents[1] / "templates"


@pytest.mark.parametrize(
    "url",
    [
        "/",
        "/events/amf-2022/",
        "/events/amf-2022/agenda",
        "/cities/",
        "/privacy",
        "/healthz",
        "/no-such-page",
    ],
)
def test_pages_carry_the_security_headers(demo, client, url):
    response = client.get(url)
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert "frame-ancestors 'none'" in csp and "object-src 'none'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Referrer-Policy"] == "same-origin"


def test_production_adds_strict_transport_security(monkeypatch):
    from amf import create_app

    monkeypatch.setenv("SECRET_KEY", "x" * 40)
    monkeypatch.setenv("DATABASE_URL", "sqlite://")
    monkeypatch.setenv("AMF_BASE_URL", "https://events.example.org")
    app = create_app("production")
    response = app.test_client().get("/privacy", base_url="https://events.example.org")
    assert response.headers["Strict-Transport-Security"].startswith("max-age=31536000")


def _page_templates():
    for path in sorted(TEMPLATES.rglob("*.html")):
        if "mail" not in path.relative_to(TEMPLATES).parts:  # emails need inline styles
            yield path


@pytest.mark.parametrize(
    "path", list(_page_templates()), ids=lambda p: str(p.relative_to(TEMPLATES))
)
def test_templates_use_no_inline_script_style_or_handlers(path):
    """The CSP forbids them, so a template using one would break in the browser."""
    text = path.read_text("utf-8")
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", text), "inline <script>"
    assert not re.search(r"\sstyle=", text), "style attribute"
    assert not re.search(r"<style\b", text), "<style> element"
    assert not re.search(r"\son[a-z]+=", text), "inline event handler"
    assert "javascript:" not in text


def test_pages_with_secret_links_or_personal_data_are_kept_out_of_caches(app, client, seeded):
    from builders import delegate, make_event, open_registration
    from organiser_support import signed_in

    from amf.accounts.models import Role
    from amf.registration import services
    from amf.registration.tokens import make_verification_token

    with app.app_context():
        event = open_registration(make_event(slug="forum"))
        registration = services.submit_registration(event, delegate(1))
        token = make_verification_token(
            registration.id, registration.email, registration.manage_nonce
        )
        verify = f"/registrations/verify/{token}"
        manage = f"/registrations/{services.manage_token(registration)}"
    for url in (verify, manage):
        response = client.get(url)
        assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    organiser = signed_in(app, Role.ORGANISER).get("/organiser/")
    assert organiser.status_code == 200 and organiser.headers["Cache-Control"] == "no-store"
    assert "no-store" not in client.get("/events/forum/").headers.get("Cache-Control", "")
