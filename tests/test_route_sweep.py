"""Every route in app.url_map, under production settings, with hostile path and query values.

For anonymous visitors and each role, every route is requested with each path parameter in
turn replaced by a hostile value (numbers no id can be, negative numbers, NUL, invalid
UTF-8, 10 KB strings) while the others stay valid, and with every query parameter the views
read set to those values. Routes that take POST are posted with a valid CSRF token (path
variants only: with valid ids and an empty form, a POST is a real, if empty, action). No
answer may be a 500, and the database must not change.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from builders import delegate, make_event, make_session, open_registration
from conftest import close_database, make_app
from flask import Flask
from organiser_support import CSRF, PASSWORD, make_user

from amf.accounts.models import Role
from amf.extensions import db

SITE = "https://events.example.org"
HOSTILE = [
    str(2**31),
    str(2**64),
    "-1",
    "-2147483649",
    "%00",
    "a%00b",
    "%FF%FE%C0%AF",  # not UTF-8
    "x" * 10 * 1024,
]
# Every name the views read from a query string (grep "args.get" in amf/).
QUERY_NAMES = [
    "actor", "category", "city", "day", "event", "id", "member_state", "page", "q",
    "saved", "session", "status", "type", "tz", "next",
]  # fmt: skip
ARGUMENT = re.compile(r"<(?:[a-z_]+(?:\([^)]*\))?:)?([a-z_]+)>")
NOT_POSTED = {"accounts.logout"}  # it ends the test client's session, which is its purpose


@pytest.fixture
def site(app, database_url, tmp_path, monkeypatch, seeded) -> Iterator[tuple[Flask, dict]]:
    """A production app on a database holding one of everything the routes name."""
    from amf.cities.models import Officer
    from amf.events.models import Room, Speaker, Track
    from amf.mail.models import OutboxMessage
    from amf.registration import services
    from amf.registration.tokens import make_verification_token

    monkeypatch.setenv("SECRET_KEY", "s" * 40)
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("AMF_BASE_URL", SITE)
    with app.app_context():
        event = open_registration(make_event(slug="sweep"))
        room = Room(event_id=event.id, name="Hall A", position=0)
        track = Track(event_id=event.id, name="Main", slug="main")
        speaker = Speaker(event_id=event.id, name="Speaker One")
        db.session.add_all([room, track, speaker])
        db.session.flush()
        session = make_session(event, title="Opening", room=room, track=track)
        session.speakers.append(speaker)
        db.session.commit()
        registration = services.submit_registration(event, delegate())
        services.verify_registration(
            make_verification_token(registration.id, registration.email, registration.manage_nonce)
        )
        values = {
            "slug": "sweep",
            "track_slug": "main",
            "event_id": event.id,
            "session_id": session.id,
            "room_id": room.id,
            "speaker_id": speaker.id,
            "registration_id": registration.id,
            "token": services.manage_token(registration),
            "officer_id": db.session.scalar(sa.select(Officer.id).limit(1)),
            "message_id": db.session.scalar(sa.select(OutboxMessage.id).limit(1)),
            "filename": "css/amf.css",
            "fmt": "csv",
            "action": "resend",
        }
    for role in Role:
        values[f"user:{role.value}"] = make_user(app, f"{role.value}@amf.test", role)
    values["user_id"] = values[f"user:{Role.ORGANISER.value}"]
    production = make_app(
        database_url,
        tmp_path,
        AMF_ENV="production",
        RATELIMIT_ENABLED=False,  # the sweep signs in and posts far more than a person would
    )
    try:
        yield production, values
    finally:
        close_database(production)


def _client(app: Flask, role: Role | None):
    client = app.test_client()
    client.environ_base["HTTP_REFERER"] = f"{SITE}/"  # Flask-WTF's check over HTTPS
    if role is not None:
        page = client.get("/organiser/login", base_url=SITE)
        response = client.post(
            "/organiser/login",
            base_url=SITE,
            data={
                "email": f"{role.value}@amf.test",
                "password": PASSWORD,
                "csrf_token": CSRF.search(page.text).group(1),
            },
        )
        assert response.status_code == 303, response.text
    return client


def _paths(rule: str, values: dict) -> Iterator[str]:
    """The rule's path with each argument in turn hostile, the others valid."""
    names = ARGUMENT.findall(rule)
    for name in names:
        for hostile in HOSTILE:
            yield ARGUMENT.sub(
                lambda m, name=name, hostile=hostile: (
                    hostile if m.group(1) == name else str(values.get(m.group(1), "x"))
                ),
                rule,
            )


def _valid_path(rule: str, values: dict) -> str:
    return ARGUMENT.sub(lambda m: str(values.get(m.group(1), "x")), rule)


def _status(response) -> int:
    """The status, the response closed (static files hold an open file)."""
    response.close()
    return response.status_code


def _database_digest(app: Flask) -> dict[str, str]:
    """A digest of every row of every table."""
    digests = {}
    with app.app_context():
        for table in db.metadata.sorted_tables:
            order = list(table.primary_key.columns) or list(table.columns)
            rows = db.session.execute(sa.select(table).order_by(*order)).all()
            digests[table.name] = hashlib.sha256(repr(rows).encode()).hexdigest()
        db.session.rollback()
    return digests


@pytest.mark.parametrize("role", [None, *Role], ids=lambda r: r.value if r else "anonymous")
def test_no_hostile_path_or_query_value_gives_a_500_or_changes_anything(site, role):
    app, values = site
    client = _client(app, role)
    token = CSRF.search(client.get("/events/sweep/register", base_url=SITE).text).group(1)
    before = _database_digest(app)
    failures = []
    requests = 0
    for rule in app.url_map.iter_rules():
        queries = ["&".join(f"{name}={hostile}" for name in QUERY_NAMES) for hostile in HOSTILE]
        gets = [*_paths(rule.rule, values)]
        gets += [f"{_valid_path(rule.rule, values)}?{query}" for query in queries]
        if "GET" in rule.methods:
            for path in gets:
                requests += 1
                status = _status(client.get(path, base_url=SITE))
                if status >= 500:
                    failures.append(f"GET {path[:200]} -> {status}")
        if "POST" in rule.methods and rule.endpoint not in NOT_POSTED:
            posts = list(_paths(rule.rule, values)) or [
                f"{_valid_path(rule.rule, values)}?{query}" for query in queries
            ]
            for path in posts:
                requests += 1
                status = _status(client.post(path, base_url=SITE, data={"csrf_token": token}))
                if status >= 500:
                    failures.append(f"POST {path[:200]} -> {status}")
    assert requests > 1000
    assert failures == []
    after = _database_digest(app)
    assert {name for name in before if before[name] != after[name]} == set()
