"""Public pages shared from memory between visitors without a session (amf.shared_pages)."""

from __future__ import annotations

import pytest
from builders import delegate, make_event, make_session, open_registration
from conftest import close_database, flask_requests, make_app

from amf.extensions import db
from amf.registration import services
from amf.shared_pages import shared_page, shared_page_cache


@pytest.fixture
def forum(app):
    with app.app_context():
        event = make_event(slug="shared", title="Shared forum")
        make_session(event, title="Opening plenary")
        db.session.commit()
    return "/events/shared"


def test_an_anonymous_visitor_gets_the_page_flask_rendered_for_the_last_one(app, client, forum):
    seen = flask_requests(app, with_query=True)
    first = client.get(f"{forum}/")
    again = client.get(f"{forum}/")
    head = client.head(f"{forum}/")

    assert seen == [f"{forum}/"]
    assert again.status_code == 200 and again.data == first.data
    assert "Shared forum" in again.get_data(as_text=True)
    for name in ("Content-Type", "Content-Security-Policy", "X-Frame-Options", "Referrer-Policy"):
        assert again.headers[name] == first.headers[name]
    assert head.status_code == 200 and head.data == b""
    assert shared_page_cache(app).hits == 2


def test_each_page_and_query_string_is_kept_apart(app, client, forum):
    seen = flask_requests(app, with_query=True)
    pages = [f"{forum}/", f"{forum}/agenda", f"{forum}/agenda?tz=Asia/Manila", "/cities/"]
    bodies = {path: client.get(path).data for path in pages}
    for path in pages:
        assert client.get(path).data == bodies[path]
    assert seen == pages
    assert "Asia/Manila" in bodies[f"{forum}/agenda?tz=Asia/Manila"].decode()
    assert "Asia/Manila" not in bodies[f"{forum}/agenda"].decode()


def test_a_visitor_with_a_session_always_reaches_flask(app, client, forum):
    seen = flask_requests(app, with_query=True)
    client.get(f"{forum}/")
    client.set_cookie(app.config["SESSION_COOKIE_NAME"], "anything", domain="localhost")
    client.get(f"{forum}/")
    client.get(f"{forum}/")
    assert seen == [f"{forum}/"] * 3


def test_a_commit_in_this_process_shows_on_the_next_visit(app, client, forum):
    from amf.events.models import Event

    assert "Shared forum" in client.get(f"{forum}/").get_data(as_text=True)
    with app.app_context():
        event = db.session.scalar(db.select(Event).where(Event.slug == "shared"))
        event.title = "Renamed forum"
        db.session.commit()
    assert "Renamed forum" in client.get(f"{forum}/").get_data(as_text=True)


def test_a_new_delegation_shows_at_once(app, client, forum, seeded):
    from amf.events.models import Event
    from amf.registration.tokens import make_verification_token

    with app.app_context():
        open_registration(db.session.scalar(db.select(Event).where(Event.slug == "shared")))
        db.session.commit()
    assert "0 of the 26" in client.get(f"{forum}/").get_data(as_text=True)
    with app.app_context():
        event = db.session.scalar(db.select(Event).where(Event.slug == "shared"))
        registration = services.submit_registration(event, delegate(1))
        services.verify_registration(
            make_verification_token(registration.id, registration.email, registration.manage_nonce)
        )
    assert "1 of the 26" in client.get(f"{forum}/").get_data(as_text=True)


def test_only_marked_pages_that_set_no_cookie_and_succeed_are_kept(app, client, forum):
    from flask import session

    @app.get("/test-marked-with-cookie")
    @shared_page
    def marked_with_cookie():
        session["seen"] = True
        return "with cookie"

    @app.get("/test-unmarked")
    def unmarked():
        return "unmarked"

    seen = flask_requests(app, with_query=True)
    paths = ["/test-marked-with-cookie", "/test-unmarked", f"{forum}/no-such-page", "/events/x/"]
    for path in paths * 2:
        client.delete_cookie(app.config["SESSION_COOKIE_NAME"], domain="localhost")
        client.get(path)
    assert seen == paths * 2
    assert shared_page_cache(app).kept == 0


def test_forms_are_never_shared(app, client, forum):
    """The registration form holds a CSRF token tied to the visitor's session."""
    from amf.events.models import Event

    with app.app_context():
        open_registration(db.session.scalar(db.select(Event).where(Event.slug == "shared")))
        db.session.commit()
    seen = flask_requests(app, with_query=True)
    client.get(f"{forum}/register")
    fresh = app.test_client()
    fresh.get(f"{forum}/register")
    assert seen == [f"{forum}/register"] * 2
    assert shared_page_cache(app).kept == 0


def test_another_workers_change_shows_once_the_answer_expires(
    app, client, forum, database_url, tmp_path, monkeypatch
):
    from amf import shared_pages
    from amf.events.models import Event

    clock = [1000.0]
    monkeypatch.setattr(shared_pages.time, "monotonic", lambda: clock[0])
    assert "Shared forum" in client.get(f"{forum}/").get_data(as_text=True)

    other_worker = make_app(database_url, tmp_path)
    with other_worker.app_context():
        event = db.session.scalar(db.select(Event).where(Event.slug == "shared"))
        event.title = "Changed elsewhere"
        db.session.commit()
    close_database(other_worker)

    clock[0] += app.config["AMF_SHARED_PAGE_TTL_SECONDS"] - 0.5
    assert "Shared forum" in client.get(f"{forum}/").get_data(as_text=True)
    clock[0] += 1
    assert "Changed elsewhere" in client.get(f"{forum}/").get_data(as_text=True)


def test_sharing_can_be_turned_off(database_url, tmp_path):
    app = make_app(database_url, tmp_path, AMF_SHARED_PAGE_TTL_SECONDS=0)
    try:
        assert shared_page_cache(app) is None
        seen = flask_requests(app, with_query=True)
        client = app.test_client()
        client.get("/")
        client.get("/")
        assert seen == ["/", "/"]
    finally:
        close_database(app)


def test_the_cache_is_bounded(app):
    from amf.shared_pages import SharedPageCache

    cache = SharedPageCache(ttl_seconds=60, max_entries=3, max_bytes=10)
    for n in range(5):
        cache.keep(("page", n), [], b"1234")
    assert cache.get(("page", 4)) is not None and cache.get(("page", 3)) is not None
    assert cache.get(("page", 2)) is None  # 12 bytes would pass the 10-byte bound
