"""Helpers for back-office tests: accounts, signing in, posting forms with their CSRF token."""

from __future__ import annotations

import re

from amf.accounts.models import Role

CSRF = re.compile(r'name="csrf_token"(?: type="hidden")? value="([^"]+)"')
PASSWORD = "correct horse battery"


def make_user(app, email="admin@amf.test", role=Role.ADMIN):
    """An account with the shared test password."""
    from amf.accounts.services import create_user

    with app.app_context():
        return create_user(email, PASSWORD, role).id


def csrf_from(client, url="/organiser/login") -> str:
    page = client.get(url)
    match = CSRF.search(page.text)
    assert page.status_code == 200, (url, page.status_code)
    return match.group(1) if match else ""  # no field when a test turned CSRF off


def login(client, email="admin@amf.test", password=PASSWORD):
    token = csrf_from(client, "/organiser/login")
    return client.post(
        "/organiser/login", data={"email": email, "password": password, "csrf_token": token}
    )


def signed_in(app, role=Role.ADMIN, email=None):
    """A test client signed in with a new account of that role."""
    email = email or f"{role.value}@amf.test"
    make_user(app, email, role)
    client = app.test_client()
    response = login(client, email)
    assert response.status_code == 303, response.text
    return client


def post(client, url, data=None, from_page="/organiser/", **kwargs):
    """POST with a CSRF token taken from an organiser page."""
    token = csrf_from(client, from_page)
    return client.post(url, data={**(data or {}), "csrf_token": token}, **kwargs)
