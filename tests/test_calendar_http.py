"""Polling costs almost nothing: ETag, Last-Modified, 304 and the cache of built feeds."""

from __future__ import annotations

from datetime import timedelta

from builders import make_event, make_session
from werkzeug.http import http_date

from amf.calendar.cache import document_cache
from amf.events.models import AgendaSession
from amf.extensions import db


def _event(app) -> tuple[str, int]:
    with app.app_context():
        event = make_event()
        session = make_session(event, title="Opening")
        make_session(event, "10:00", "11:00", title="Panel")
        db.session.commit()
        return event.slug, session.id


def _builds(app) -> int:
    with app.app_context():
        return document_cache().builds


def test_feed_has_a_strong_etag_of_its_bytes_and_last_modified(app, client):
    import hashlib

    slug, _ = _event(app)
    response = client.get(f"/events/{slug}/calendar.ics")
    etag = response.headers["ETag"]
    assert etag == '"' + hashlib.sha256(response.data).hexdigest()[:32] + '"'
    assert not etag.startswith("W/")
    assert response.headers["Last-Modified"]


def test_matching_if_none_match_gets_304_with_the_etag_and_no_rebuild(app, client):
    slug, _ = _event(app)
    first = client.get(f"/events/{slug}/calendar.ics")
    builds = _builds(app)
    again = client.get(
        f"/events/{slug}/calendar.ics", headers={"If-None-Match": first.headers["ETag"]}
    )
    assert again.status_code == 304 and again.data == b""
    assert again.headers["ETag"] == first.headers["ETag"]
    listed = client.get(
        f"/events/{slug}/calendar.ics",
        headers={"If-None-Match": f'"other", {first.headers["ETag"]}'},
    )
    assert listed.status_code == 304
    repeated = client.get(f"/events/{slug}/calendar.ics")
    assert repeated.status_code == 200 and repeated.data == first.data
    assert _builds(app) == builds, "neither a 304 nor a repeated 200 may rebuild the feed"


def test_if_modified_since_older_gets_200_current_gets_304_malformed_gets_200(app, client):
    slug, _ = _event(app)
    first = client.get(f"/events/{slug}/calendar.ics")
    last_modified = first.last_modified
    path = f"/events/{slug}/calendar.ics"
    older = client.get(
        path, headers={"If-Modified-Since": http_date(last_modified - timedelta(hours=1))}
    )
    assert older.status_code == 200 and older.data == first.data
    current = client.get(path, headers={"If-Modified-Since": first.headers["Last-Modified"]})
    assert current.status_code == 304
    for malformed in ("yesterday", "Mon, 99 Foo 2031 25:61:00 GMT", ""):
        response = client.get(path, headers={"If-Modified-Since": malformed})
        assert response.status_code == 200 and response.data == first.data, malformed


def test_changing_a_session_raises_sequence_and_changes_the_etag(app, client):
    slug, session_id = _event(app)
    first = client.get(f"/events/{slug}/calendar.ics")
    builds = _builds(app)
    with app.app_context():
        session = db.session.get(AgendaSession, session_id)
        session.starts_at -= timedelta(minutes=30)
        db.session.commit()
    after = client.get(
        f"/events/{slug}/calendar.ics", headers={"If-None-Match": first.headers["ETag"]}
    )
    assert after.status_code == 200
    assert after.headers["ETag"] != first.headers["ETag"]
    assert b"SEQUENCE:1" in after.data and b"SEQUENCE:1" not in first.data
    assert _builds(app) == builds + 1


def test_feed_needs_no_cookie_no_accept_header_and_sets_no_cookie(app, client):
    slug, _ = _event(app)
    response = client.get(f"/events/{slug}/calendar.ics", headers={"Accept": ""})
    assert response.status_code == 200
    assert "Set-Cookie" not in response.headers
    plain = app.test_client(use_cookies=False).get(f"/events/{slug}/calendar.ics")
    assert plain.status_code == 200 and plain.data == response.data
    assert "Set-Cookie" not in plain.headers


def test_304_answers_for_downloads_and_schedules_too(app, client):
    slug, session_id = _event(app)
    for path in (
        f"/events/{slug}/sessions/{session_id}.ics",
        f"/events/{slug}/schedule.xml",
        f"/events/{slug}/schedule.json",
    ):
        first = client.get(path)
        again = client.get(path, headers={"If-None-Match": first.headers["ETag"]})
        assert again.status_code == 304, path


def test_polling_an_unchanged_feed_runs_no_query_and_a_change_shows_at_once(app, client):
    """The version memo answers polls without the database; a commit here clears it."""
    from conftest import count_queries

    from amf.events.models import AgendaSession

    with app.app_context():
        event = make_event(slug="memo")
        session = make_session(event, title="Before")
        db.session.commit()
        session_id = session.id
    first = client.get("/events/memo/calendar.ics")
    with count_queries(app) as counter:
        again = client.get(
            "/events/memo/calendar.ics", headers={"If-None-Match": first.headers["ETag"]}
        )
        repeat = client.get("/events/memo/calendar.ics")
    assert (again.status_code, repeat.status_code) == (304, 200)
    assert counter.count == 0
    with app.app_context():
        db.session.get(AgendaSession, session_id).title = "After"
        db.session.commit()
    changed = client.get(
        "/events/memo/calendar.ics", headers={"If-None-Match": first.headers["ETag"]}
    )
    assert changed.status_code == 200 and b"SUMMARY:After" in changed.data


def test_feeds_set_no_cookie(app, client):
    # Flask-Login's remember-cookie hook now runs on every response (issue 14: no removed
    # library hooks), and it looks into the session, so feeds carry "Vary: Cookie"; they
    # still never set one.
    with app.app_context():
        make_session(make_event(slug="novary"))
        db.session.commit()
    response = client.get("/events/novary/calendar.ics")
    assert response.status_code == 200
    assert "Set-Cookie" not in response.headers
