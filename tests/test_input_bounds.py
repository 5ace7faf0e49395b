"""Inputs no id or column can hold are refused before any query, and errors need no database."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from builders import make_event, make_session, open_registration
from conftest import close_database, count_queries, make_app
from organiser_support import PASSWORD, csrf_from, login, make_user, signed_in

from amf.accounts.models import Role
from amf.extensions import db

HUGE = [str(2**31), str(2**63), str(2**64)]


@pytest.fixture
def forum(app):
    with app.app_context():
        event = make_event(slug="bounds")
        open_registration(event)
        session = make_session(event, title="Opening")
        db.session.commit()
        return event.id, session.id


@pytest.mark.parametrize("number", HUGE)
@pytest.mark.parametrize(
    "template",
    [
        "/events/bounds/sessions/{n}",
        "/events/bounds/sessions/{n}.ics",
        "/events/bounds/speakers/{n}",
        "/events/bounds/rooms/{n}/calendar.ics",
    ],
)
def test_public_ids_past_32_bits_are_404s_without_a_query(app, client, forum, template, number):
    path = template.format(n=number)
    with count_queries(app) as queries:
        response = client.get(path)
    assert response.status_code == 404, path
    assert queries.count == 0, queries.statements


@pytest.mark.parametrize("number", HUGE)
def test_back_office_ids_past_32_bits_are_404s(app, forum, number):
    client = signed_in(app, Role.ADMIN)
    for path in (
        f"/organiser/events/{number}/",
        f"/organiser/events/{number}/registrations",
        f"/organiser/events/{forum[0]}/registrations/{number}",
        f"/organiser/checkin/{number}",
    ):
        assert client.get(path).status_code == 404, path


@pytest.mark.parametrize("value", [*HUGE, "-1", "-2147483649"])
def test_back_office_number_parameters_out_of_range_are_400s(app, forum, value):
    client = signed_in(app, Role.ADMIN)
    event_id = forum[0]
    for path in (
        f"/organiser/events/{event_id}/registrations?page={value}",
        f"/organiser/events/{event_id}/registrations?city={value}",
        f"/organiser/events/{event_id}/registrations?session={value}",
        f"/organiser/events/{event_id}/registrations.csv?city={value}",
        f"/organiser/audit/?id={value}",
        f"/organiser/audit/?page={value}",
        f"/organiser/delegations?event={value}",
        f"/organiser/outbox?page={value}",
    ):
        response = client.get(path)
        assert response.status_code == 400, path
        assert "out of range" in response.text


def test_check_in_by_a_huge_registration_id_is_refused(app, forum):
    client = signed_in(app, Role.ADMIN)
    url = f"/organiser/checkin/{forum[0]}"
    token = csrf_from(client, url)
    response = client.post(url, data={"csrf_token": token, "registration_id": str(2**64)})
    assert response.status_code == 400


@pytest.mark.parametrize(
    "path",
    [
        "/organiser/events/{event}/registrations?q=a%00b",
        "/organiser/events/{event}/registrations.csv?q=a%00b",
        "/organiser/audit/?actor=x%00",
        "/organiser/audit/?type=%00",
        "/organiser/checkin/{event}?q=%00",
    ],
)
def test_nul_bytes_in_query_strings_are_400s(app, forum, path):
    client = signed_in(app, Role.ADMIN)
    response = client.get(path.format(event=forum[0]))
    assert response.status_code == 400
    assert "NUL" in response.text


def test_a_nul_byte_in_the_sign_in_email_is_refused_and_nothing_breaks(app):
    make_user(app)
    client = app.test_client()
    token = csrf_from(client, "/organiser/login")
    response = client.post(
        "/organiser/login",
        data={"email": "admin@amf.test\x00", "password": PASSWORD, "csrf_token": token},
    )
    assert response.status_code == 422
    assert login(client).status_code == 303  # the next, honest attempt works


def test_a_nul_byte_in_a_back_office_form_never_reaches_the_database(app, forum):
    from amf.events.models import Speaker

    client = signed_in(app, Role.ADMIN)
    url = f"/organiser/events/{forum[0]}/speakers"
    token = csrf_from(client, f"/organiser/events/{forum[0]}/setup")
    response = client.post(
        url,
        data={
            "csrf_token": token,
            "new-speaker-name": "Dr\x00 Nul",
            "new-speaker-bio": "a\x00b",
            "new-speaker-officer_id": "",
        },
    )
    assert response.status_code == 303
    with app.app_context():
        names = db.session.scalars(sa.select(Speaker.name)).all()
    assert all("\x00" not in name for name in names)
    assert "Dr\ufffd Nul" in names  # stored as an undecodable byte would be


def test_a_body_past_the_limit_is_a_friendly_413_before_it_is_read(app, client, forum):
    app.config["MAX_CONTENT_LENGTH"] = 1024 * 1024
    response = client.post(
        "/events/bounds/register",
        data={"given_names": "x" * (20 * 1024 * 1024)},
    )
    assert response.status_code == 413
    assert "Too much data" in response.text and "<html" in response.text


def _unreachable_app(tmp_path, secret: str):
    """An app whose database refuses connections (a closed port)."""
    from smtp_server import free_port

    url = f"postgresql://postgres@127.0.0.1:{free_port()}/amf"
    return make_app(url, tmp_path, SECRET_KEY=secret, SQLALCHEMY_ENGINE_OPTIONS={})


def test_a_lost_database_shows_our_own_503_page(app, forum, tmp_path):
    cut_off = _unreachable_app(tmp_path, app.config["SECRET_KEY"])
    try:
        response = cut_off.test_client().get("/events/bounds/")
        assert response.status_code == 503
        assert "Service unavailable" in response.text and "AMF Events" in response.text
        assert response.headers["Retry-After"]
    finally:
        close_database(cut_off)


def test_a_signed_in_organiser_also_gets_our_page_when_the_database_is_lost(app, tmp_path):
    client = signed_in(app, Role.ADMIN)  # the session cookie names an account
    cut_off = _unreachable_app(tmp_path, app.config["SECRET_KEY"])
    try:
        other = cut_off.test_client()
        cookie = client.get_cookie(app.config["SESSION_COOKIE_NAME"])
        other.set_cookie(cookie.key, cookie.value, domain=cookie.domain)
        response = other.get("/organiser/")
        assert response.status_code == 503
        assert "Service unavailable" in response.text and "AMF Events" in response.text
    finally:
        close_database(cut_off)
