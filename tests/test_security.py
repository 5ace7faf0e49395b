"""Security checks across the app: CSRF on every POST, link tokens, literal storage, injections.

Other files hold the rest of the security suite: escaping in pages and emails
(test_registration_flow, test_public_pages), CSV formula neutralising
(test_organiser_registrations), mail header injection (test_mail_headers), open redirects
after sign-in (test_organiser_access), hostile input of every kind (test_hostile_input) and
the response headers (test_security_headers).
"""

from __future__ import annotations

import re
import string

import pytest
import sqlalchemy as sa
from builders import delegate, make_event, make_session, open_registration
from conftest import delivered, text_of
from organiser_support import signed_in

from amf.extensions import db
from amf.mail.models import OutboxMessage
from amf.registration import services
from amf.registration.models import Registration
from amf.registration.tokens import make_verification_token

URL_SAFE = set(string.ascii_letters + string.digits + "-_")
VERIFY_LINK = re.compile(r"/registrations/verify/([A-Za-z0-9_.-]+)")


def _row_counts() -> dict[str, int]:
    return {
        table.name: db.session.scalar(sa.select(sa.func.count()).select_from(table))
        for table in db.metadata.sorted_tables
    }


def _post_urls(app, slug: str) -> list[str]:
    """Every POST route, with plausible values in its path."""
    values = {"token": "A" * 43, "slug": slug, "action": "approve"}
    urls = []
    with app.test_request_context():
        for rule in app.url_map.iter_rules():
            if "POST" not in rule.methods:
                continue
            args = {name: values.get(name, 1) for name in rule.arguments}
            urls.append(app.url_for(rule.endpoint, **args))
    return urls


@pytest.mark.parametrize("who", ["anonymous", "organiser"])
def test_every_post_route_refuses_a_request_without_its_csrf_token(app, seeded, who):
    with app.app_context():
        open_registration(make_event(slug="csrf"))
        db.session.commit()
        before = _row_counts()
    client = app.test_client() if who == "anonymous" else signed_in(app)
    if who == "organiser":
        with app.app_context():
            before = _row_counts()
    urls = _post_urls(app, "csrf")
    assert len(urls) >= 25
    answers = {url: client.post(url, data={"csrf_token": "forged"}).status_code for url in urls}
    assert answers == dict.fromkeys(urls, 400)
    with app.app_context():
        assert _row_counts() == before


def test_link_tokens_are_long_random_and_url_safe(app, seeded):
    with app.app_context():
        event = open_registration(make_event())
        tokens = set()
        for n in range(20):
            registration = services.submit_registration(event, delegate(n))
            tokens.add(services.manage_token(registration))
            tokens.add(services.calendar_token(registration))
    assert len(tokens) == 40  # no repeats
    for token in tokens:
        assert len(token) >= 43 and set(token) <= URL_SAFE  # 256-bit HMAC, base64url


def test_a_token_one_character_off_opens_nothing(app, client, seeded):
    with app.app_context():
        event = open_registration(make_event())
        registration = services.submit_registration(event, delegate(1))
        manage = services.manage_token(registration)
        calendar = services.calendar_token(registration)
        verify = make_verification_token(
            registration.id, registration.email, registration.manage_nonce
        )

    def flipped(token: str) -> str:
        middle = len(token) // 2
        return token[:middle] + ("B" if token[middle] != "B" else "C") + token[middle + 1 :]

    assert client.get(f"/registrations/{manage}").status_code == 200
    assert client.get(f"/registrations/{flipped(manage)}").status_code == 404
    assert client.get(f"/calendar/{calendar}.ics").status_code == 200
    assert client.get(f"/calendar/{flipped(calendar)}.ics").status_code == 404
    assert client.get(f"/registrations/verify/{flipped(verify)}").status_code == 404
    assert client.get(f"/registrations/verify/{verify}").status_code == 200


def test_links_store_only_digests(app, seeded):
    """A copy of the database does not hold any link that opens a registration: tokens are
    kept as digests, and the emails that carried them keep no body once sent."""
    from amf.mail.models import OutboxStatus
    from amf.registration.passes import CheckinPass, checkin_code

    with app.app_context():
        event = open_registration(make_event())
        registration = services.submit_registration(event, delegate(1))
        # The link the delegate was sent: a token made here again would carry another
        # timestamp whenever a second boundary falls between the two.
        (verification,) = db.session.scalars(sa.select(OutboxMessage)).all()
        verify = VERIFY_LINK.search(text_of(delivered(verification))).group(1)
        services.verify_registration(verify)
        registration = db.session.get(Registration, registration.id)
        secrets_in_links = {
            services.manage_token(registration),
            services.calendar_token(registration),
            verify,
            checkin_code(db.session.get(CheckinPass, registration.id)),
        }
        messages = db.session.scalars(sa.select(OutboxMessage)).all()
        assert [m.status for m in messages] == [OutboxStatus.SENT] * 2
        sent = "".join(text_of(delivered(m)) for m in messages)
        dump = [
            " ".join(str(value) for value in row.values())
            for table in db.metadata.sorted_tables
            for row in db.session.execute(sa.select(table)).mappings()
        ]
    assert all(secret in sent for secret in secrets_in_links)  # the delegate got them all
    assert not any(secret in row for row in dump for secret in secrets_in_links)


def test_verification_links_expire(app, client, seeded, monkeypatch):
    with app.app_context():
        event = open_registration(make_event())
        registration = services.submit_registration(event, delegate(1))
        token = make_verification_token(
            registration.id, registration.email, registration.manage_nonce
        )
    app.config["AMF_VERIFY_HOURS"] = 0
    monkeypatch.setattr("itsdangerous.timed.time.time", lambda: 10**10)
    assert client.get(f"/registrations/verify/{token}").status_code == 410


def test_sql_metacharacters_are_stored_literally(app, seeded):
    hostile = "Robert'); DROP TABLE registration;-- \" % _ \\ ` $1"
    with app.app_context():
        event = open_registration(make_event())
        services.submit_registration(
            event, delegate(1, given_names=hostile, family_name="O'Brien -- ;")
        )
        stored = db.session.scalars(sa.select(Registration)).one()
        assert (stored.given_names, stored.family_name) == (hostile, "O'Brien -- ;")
        like = services.find_active_registration(event, "%@example.org")
    assert like is None  # a wildcard in an address matches nothing but itself


def test_line_breaks_in_a_delegates_name_never_start_a_line_of_their_email(app, client, seeded):
    """A script that registers someone else's address cannot write its own paragraphs into
    the verification email: single-line fields arrive as one line."""
    injected = (
        "Mr\r\n\r\nACTION REQUIRED: your delegation is suspended.\nRe-confirm at evil.test\u2028"
    )
    with app.app_context():
        open_registration(make_event(slug="forum"))
        db.session.commit()
    page = client.get("/events/forum/register").text
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    form = {
        "csrf_token": token,
        "given_names": injected,
        "organisation": "City\nof Hanoi",
        "email": "victim@example.org",
        "category": "observer",
        "city": "other",
        "other_organisation": "UN-Habitat",
        "consent_privacy": "y",
    }
    assert client.post("/events/forum/register", data=form).status_code == 303
    with app.app_context():
        stored = db.session.scalars(sa.select(Registration)).one()
        [email] = db.session.scalars(sa.select(OutboxMessage)).all()
        text = text_of(delivered(email))
    assert stored.given_names == (
        "Mr ACTION REQUIRED: your delegation is suspended. Re-confirm at evil.test"
    )
    assert stored.organisation == "City of Hanoi"
    assert "ACTION REQUIRED" in text  # quoted, on the greeting's line
    assert not any(line.startswith("ACTION") for line in text.splitlines())


def test_line_breaks_in_agenda_text_never_start_an_icalendar_line(app, client):
    injected = "Opening\r\nATTENDEE:mailto:attacker@example.org\r\nBEGIN:VALARM"
    with app.app_context():
        event = make_event(slug="ics", venue_name="Hall\nLOCATION:elsewhere")
        make_session(event, title=injected, description=injected)
        db.session.commit()
    body = client.get("/events/ics/calendar.ics").data.decode()
    lines = body.split("\r\n")
    assert not any(
        line.startswith(("ATTENDEE", "BEGIN:VALARM", "LOCATION:elsewhere")) for line in lines
    )
    assert "Opening\\nATTENDEE:mailto:attacker@example.org\\nBEGIN:VALARM" in body.replace(
        "\r\n ", ""
    )


@pytest.mark.parametrize(
    "path",
    [
        "/events/../../etc/passwd",
        "/events/%2e%2e%2f%2e%2e%2fetc%2fpasswd/",
        "/events/..%2f..%2fconfig.py/agenda",
        "/static/../config.py",
        "/static/%2e%2e/config.py",
        "/cities/..%5c..%5cwindows",
        "/events/UPPER/",
        "/events/" + "a" * 200 + "/",
    ],
)
def test_path_tricks_in_slugs_reach_no_file_and_no_query(app, client, path, count_queries_for):
    with count_queries_for(app) as counter:
        response = client.get(path)
    assert response.status_code == 404
    assert b"SECRET_KEY" not in response.data and b"import" not in response.data
    assert counter.count == 0


@pytest.fixture
def count_queries_for():
    from conftest import count_queries

    return count_queries
