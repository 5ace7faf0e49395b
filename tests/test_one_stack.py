"""Every answer goes through Flask's one stack: under production settings, cached feeds and
pages carry HSTS and the security headers, and a foreign Host is refused, as for any page."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from builders import make_event, make_session
from conftest import close_database, make_app
from flask import Flask

from amf.extensions import db

SITE = "https://events.example.org"


@pytest.fixture
def production_app(app, database_url, tmp_path, monkeypatch) -> Iterator[Flask]:
    """A production-mode app on the test database (the ``app`` fixture empties it after)."""
    monkeypatch.setenv("SECRET_KEY", "s" * 40)
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("AMF_BASE_URL", SITE)
    with app.app_context():
        make_session(make_event(slug="stack"), title="Opening")
        db.session.commit()
    production = make_app(database_url, tmp_path, AMF_ENV="production")
    try:
        yield production
    finally:
        close_database(production)


@pytest.mark.parametrize("path", ["/events/stack/calendar.ics", "/events/stack/"])
def test_every_poll_of_a_cached_document_carries_hsts(production_app, path):
    client = production_app.test_client()
    first = client.get(path, base_url=SITE)
    assert first.status_code == 200
    answers = [first]
    for n in range(11):  # plain, conditional and HEAD polls, all answered from the caches
        if n % 3 == 0:
            answers.append(client.head(path, base_url=SITE))
        elif n % 3 == 1 and "ETag" in first.headers:
            answers.append(
                client.get(path, base_url=SITE, headers={"If-None-Match": first.headers["ETag"]})
            )
        else:
            answers.append(client.get(path, base_url=SITE))
    for answer in answers:
        assert answer.status_code in (200, 304)
        assert answer.headers["Strict-Transport-Security"].startswith("max-age=31536000")
        assert answer.headers["X-Content-Type-Options"] == "nosniff"
        assert "frame-ancestors 'none'" in answer.headers["Content-Security-Policy"]


@pytest.mark.parametrize("path", ["/events/stack/calendar.ics", "/events/stack/"])
def test_a_foreign_host_is_refused_even_when_the_answer_is_cached(production_app, path):
    client = production_app.test_client()
    assert client.get(path, base_url=SITE).status_code == 200  # now cached
    forged = client.get(path, base_url="https://evil.example.net")
    assert forged.status_code == 400
    assert b"BEGIN:VCALENDAR" not in forged.data and b"Opening" not in forged.data


def test_conditional_feed_requests_use_werkzeugs_rules(production_app):
    client = production_app.test_client()
    first = client.get("/events/stack/calendar.ics", base_url=SITE)
    etag, modified = first.headers["ETag"], first.headers["Last-Modified"]
    assert etag.startswith('"') and not etag.startswith("W/")

    def status(**headers) -> int:
        return client.get("/events/stack/calendar.ics", base_url=SITE, headers=headers).status_code

    assert status(**{"If-None-Match": etag}) == 304
    assert status(**{"If-None-Match": f"W/{etag}"}) == 304  # weak comparison (RFC 9110)
    assert status(**{"If-Modified-Since": modified}) == 304
    # If-None-Match wins over If-Modified-Since; an unreadable date is ignored.
    assert status(**{"If-None-Match": '"other"', "If-Modified-Since": modified}) == 200
    assert status(**{"If-Modified-Since": "not a date"}) == 200


def test_sessions_under_production_settings(production_app):
    """amf.sessions (Flask's session_interface) skips only the work a cookieless request
    does not need: signing in, staying signed in and signing out work as with the stock one."""
    from organiser_support import CSRF, PASSWORD, make_user

    make_user(production_app)
    client = production_app.test_client()
    client.environ_base["HTTP_REFERER"] = f"{SITE}/"
    poll = client.get("/events/stack/calendar.ics", base_url=SITE)
    assert "Set-Cookie" not in poll.headers
    page = client.get("/organiser/login", base_url=SITE)
    signed = client.post(
        "/organiser/login",
        base_url=SITE,
        data={
            "email": "admin@amf.test",
            "password": PASSWORD,
            "csrf_token": CSRF.search(page.text).group(1),
        },
    )
    assert signed.status_code == 303
    cookie = signed.headers["Set-Cookie"]
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    home = client.get("/organiser/", base_url=SITE)
    assert home.status_code == 200 and home.headers["Cache-Control"]
    assert "Strict-Transport-Security" in home.headers
